package somaagent.requests_test

import rego.v1

import data.somaagent.requests

tenant := {"id": "t1", "allowedModels": ["gpt-4o-mini", "stub-chat"], "maxSessions": 2, "maxMessageBytes": 100}

send(model, bytes) := {
	"action": "message.send", "tenant": tenant, "user": {"id": "u1", "role": "member"},
	"model": model, "requestBytes": bytes,
}

test_allowed_model_and_size if {
	d := requests.decision with input as send("stub-chat", 10)
	d.allow
	d.violations == []
}

test_model_not_in_allow_list if {
	d := requests.decision with input as send("gpt-4o", 10)
	not d.allow
	d.violations[0].code == "model_not_allowed"
	d.reason == "model \"gpt-4o\" is not allowed for this tenant"
}

test_no_allow_list_means_every_model if {
	inp := json.patch(send("anything", 10), [{"op": "remove", "path": "/tenant/allowedModels"}])
	requests.decision.allow with input as inp
}

test_message_at_the_limit_allowed_over_refused if {
	requests.decision.allow with input as send("stub-chat", 100)
	d := requests.decision with input as send("stub-chat", 101)
	not d.allow
	d.violations[0].code == "message_too_large"
}

test_both_violations_reported_in_code_order if {
	d := requests.decision with input as send("gpt-4o", 500)
	[v.code | some v in d.violations] == ["message_too_large", "model_not_allowed"]
}

test_session_quota if {
	base := {"action": "session.create", "tenant": tenant, "user": {"id": "u1", "role": "member"}}
	requests.decision.allow with input as object.union(base, {"sessionCount": 1})
	d := requests.decision with input as object.union(base, {"sessionCount": 2})
	not d.allow
	d.violations[0].code == "session_quota"
}

test_unknown_action_refused if {
	d := requests.decision with input as {"action": "drop.tables", "tenant": tenant, "user": {"id": "u1"}}
	not d.allow
	d.violations[0].code == "unknown_action"
}

test_voice_start_follows_the_model_allow_list if {
	base := {"action": "voice.start", "tenant": tenant, "user": {"id": "u1", "role": "member"}}
	requests.decision.allow with input as object.union(base, {"model": "stub-chat"})
	d := requests.decision with input as object.union(base, {"model": "gpt-4o"})
	not d.allow
	d.violations[0].code == "model_not_allowed"
}
