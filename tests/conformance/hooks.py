# Schemathesis hooks for the API conformance run (tests/int/api-conformance.int.test.ts).
#
# The OpenAPI document states every rule JSON Schema can express. A few rules of schedules cannot be:
# a cron expression's grammar, a one-off time that must still be ahead, a session that must exist, and
# a time zone by its IANA name, and (on PATCH) whether cron or runAt may be set depends on the schedule as stored. The document says so
# in prose; here the generated *valid* bodies are kept to those rules, so a refusal of one of them (a
# 400 naming the field, which the integration tests check) is not counted as a rejected valid request.
# Bodies of the wrong shape still go through: they must be refused.
import ast
import re
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import schemathesis

# CPython 3.11 as this machine has it (3.11.7, before the fix of python/cpython#106905) keeps
# ast.parse's recursion count in one state shared by every thread, and a garbage collection in the
# middle of a parse can hand the interpreter to another thread: two parses at once then fail with
# "SystemError: AST constructor recursion depth mismatch". Hypothesis parses source files to describe
# its filters, in both of the run's workers, and the coverage phase failed so with some seeds. One
# parse at a time.
_parse = ast.parse
_parsing = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time

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
        # Whether cron or runAt may be set, or cleared, depends on the stored schedule (it keeps one
        # of them): valid bodies leave both alone.
        return "cron" not in body and "runAt" not in body
    if isinstance(cron, str) and isinstance(run_at, str):
        return False
    if isinstance(cron, str) and not _cron_ok(cron):
        return False
    if isinstance(run_at, str) and not _ahead(run_at):
        return False
    return True
