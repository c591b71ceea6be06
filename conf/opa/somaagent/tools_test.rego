package somaagent.tools_test

import rego.v1

import data.somaagent.tools

base := {"tenant": {"id": "t1", "deniedTools": []}, "user": {"id": "u1", "role": "member"}}

test_known_tool_allowed if {
	tools.decision.allow with input as object.union(base, {"tool": {"name": "code_execution", "needsNetwork": false}})
}

test_unknown_tool_denied if {
	d := tools.decision with input as object.union(base, {"tool": {"name": "rm_rf", "needsNetwork": false}})
	not d.allow
	d.reason == "unknown tool \"rm_rf\""
}

test_tenant_denied_tool if {
	inp := object.union(base, {
		"tenant": {"id": "t1", "deniedTools": ["http_request"]},
		"tool": {"name": "http_request", "needsNetwork": true},
	})
	d := tools.decision with input as inp
	not d.allow
	contains(d.reason, "disabled for this tenant")
}

test_missing_denied_list_means_none_denied if {
	tools.decision.allow with input as {"tenant": {"id": "t1"}, "user": {"role": "member"}, "tool": {"name": "response"}}
}
