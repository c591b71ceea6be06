# Which tools a tenant and role may run. Input (see docs/policy.md):
#   { "tenant": { "id": str, "deniedTools": [str] },
#     "user":   { "id": str, "role": "admin" | "member" },
#     "tool":   { "name": str, "needsNetwork": bool } }
# Decision: data.somaagent.tools.decision = { "allow": bool, "reason": str }
package somaagent.tools

import rego.v1

known_tools := {
	"code_execution", "workspace_files", "http_request",
	"memory_save", "memory_search", "memory_forget", "response",
}

# Tools only a tenant admin may run even when the tenant allows them.
admin_only := set()

default decision := {"allow": false, "reason": "tool is not allowed"}

decision := {"allow": false, "reason": sprintf("unknown tool %q", [input.tool.name])} if {
	not input.tool.name in known_tools
}

decision := {"allow": false, "reason": sprintf("tool %q is disabled for this tenant", [input.tool.name])} if {
	input.tool.name in known_tools
	input.tool.name in object.get(input.tenant, "deniedTools", [])
}

decision := {"allow": false, "reason": sprintf("tool %q needs the admin role", [input.tool.name])} if {
	input.tool.name in known_tools
	not input.tool.name in object.get(input.tenant, "deniedTools", [])
	input.tool.name in admin_only
	input.user.role != "admin"
}

decision := {"allow": true, "reason": "allowed"} if {
	input.tool.name in known_tools
	not input.tool.name in object.get(input.tenant, "deniedTools", [])
	role_may_run
}

role_may_run if not input.tool.name in admin_only

role_may_run if input.user.role == "admin"
