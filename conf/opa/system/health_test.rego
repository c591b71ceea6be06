package system.health_test

import rego.v1

import data.system.health

test_ready_with_the_policies if {
	health.ready
	health.live
}

test_not_ready_without_the_tool_policy if {
	not health.ready with data.somaagent.tools.decision as {"allow": false, "reason": "x"}
}

test_not_ready_without_the_request_policy if {
	not health.ready with data.somaagent.requests as {}
}
