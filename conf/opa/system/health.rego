# OPA's own readiness (GET /health/ready, OPA's custom health checks): ready only when SomaAgent's
# policies are loaded and answer, so an OPA that restarted empty (or with half its files) is not
# ready, and whoever probes it (scripts/services/opa.sh, compose, the gateway's /readyz) says so.
package system.health

import rego.v1

default live := true

default ready := false

ready if {
	data.somaagent.tools.decision.allow with input as {"tenant": {"id": "probe"}, "user": {"role": "member"}, "tool": {"name": "response"}}
	data.somaagent.requests.decision.allow with input as {
		"action": "session.create", "tenant": {"id": "probe", "maxSessions": 1, "maxMessageBytes": 1},
		"user": {"role": "member"}, "sessionCount": 0,
	}
}
