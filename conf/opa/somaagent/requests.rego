# Admission of requests: which models a tenant may use and the size and count quotas.
# Input (see docs/policy.md):
#   { "action": "session.create" | "message.send" | "voice.start",
#     "tenant": { "id": str, "allowedModels": [str] | absent (every model),
#                 "maxSessions": int, "maxMessageBytes": int },
#     "user":   { "id": str, "role": "admin" | "member" },
#     "model": str,          # message.send, voice.start: the chat model the turns would call
#     "requestBytes": int,   # message.send: size of the message in UTF-8 bytes
#     "sessionCount": int }  # session.create: the tenant's sessions now
# Decision: data.somaagent.requests.decision =
#   { "allow": bool, "reason": str, "violations": [{ "code": str, "reason": str }] }
# Codes: model_not_allowed, message_too_large, session_quota.
package somaagent.requests

import rego.v1

violations contains {"code": "model_not_allowed", "reason": sprintf("model %q is not allowed for this tenant", [input.model])} if {
	input.action in {"message.send", "voice.start"}
	allowed := object.get(input.tenant, "allowedModels", null)
	allowed != null
	not input.model in allowed
}

violations contains {"code": "message_too_large", "reason": sprintf("the message is %d bytes; this tenant's limit is %d", [input.requestBytes, input.tenant.maxMessageBytes])} if {
	input.action == "message.send"
	input.requestBytes > input.tenant.maxMessageBytes
}

violations contains {"code": "session_quota", "reason": sprintf("this tenant already has %d sessions; its limit is %d", [input.sessionCount, input.tenant.maxSessions])} if {
	input.action == "session.create"
	input.sessionCount >= input.tenant.maxSessions
}

known_actions := {"session.create", "message.send", "voice.start"}

violations contains {"code": "unknown_action", "reason": sprintf("unknown action %q", [input.action])} if {
	not input.action in known_actions
}

default decision := {"allow": false, "reason": "no decision", "violations": []}

decision := {"allow": true, "reason": "allowed", "violations": []} if count(violations) == 0

decision := {"allow": false, "reason": concat("; ", [v.reason | some v in ordered]), "violations": ordered} if {
	count(violations) > 0
	ordered := sort_violations(violations)
}

sort_violations(vs) := [v | some code in sort({c | some x in vs; c := x.code}); some v in vs; v.code == code]
