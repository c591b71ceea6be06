# Schemathesis hooks for the API conformance run (tests/int/api-conformance.int.test.ts).
#
# The OpenAPI document states every rule JSON Schema can express. A few rules of schedules cannot be:
# a cron expression's grammar, a one-off time that must still be ahead, a session that must exist, and
# a time zone by its IANA name, and (on PATCH) whether cron or runAt may be set depends on the schedule as stored. The document says so
# in prose; here the generated *valid* bodies are kept to those rules, so a refusal of one of them (a
# 400 naming the field, which the integration tests check) is not counted as a rejected valid request.
# Bodies of the wrong shape still go through: they must be refused.
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import schemathesis

CRON = re.compile(r"^(\*|[0-9]{1,2})( (\*|[0-9]{1,2})){4}$")
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def _cron_ok(value: str) -> bool:
    if not CRON.match(value.strip()):
        return False
    for field, (low, high) in zip(value.split(), RANGES):
        if field != "*" and not low <= int(field) <= high:
            return False
    return True


def _zone_ok(value: str) -> bool:
    try:
        ZoneInfo(value.strip())
        return True
    except Exception:
        return False


def _ahead(value: str) -> bool:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return True  # not a date: a negative case, left to be refused
    if at.tzinfo is None:
        return True
    return at > datetime.now(timezone.utc)


@schemathesis.hook("filter_body").apply_to(path_regex=r"^/api/v1/schedules")
def schedule_rules(ctx, body):
    if not isinstance(body, dict):
        return True
    cron, run_at = body.get("cron"), body.get("runAt")
    if isinstance(body.get("sessionId"), str):
        return False
    if isinstance(body.get("timezone"), str) and not _zone_ok(body["timezone"]):
        return False
    if ctx.operation is not None and ctx.operation.method.upper() == "PATCH":
        return not isinstance(cron, str) and not isinstance(run_at, str)
    if isinstance(cron, str) and isinstance(run_at, str):
        return False
    if isinstance(cron, str) and not _cron_ok(cron):
        return False
    if isinstance(run_at, str) and not _ahead(run_at):
        return False
    return True
