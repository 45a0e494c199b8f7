"""A worker on a real Redis with the bundled reference (the real fee schedule indicators): each fee schedule
indicator edit reaches the results, with its severity and facts."""

from __future__ import annotations

import redis

from contracts import FeeScheduleFacts
from edits import Engine, load_default_reference
from tests.workers.helpers import WorkerThread, event, pending_count, results, submit, wait_for
from tests.workers.test_happy_path import settings

# Claim lines (code, modifiers, units) -> the fee schedule finding expected on the worker's result,
# from the real October 2025 indicators: 64628 assistant 1, co-surgeons 0, team 0, bilateral 0;
# 99213 PC/TC 0; A4550 status B; 96523 status T; 0500F status M; 15600 assistant 0; 27130 co-surgeons 1.
CASES: dict[str, tuple[tuple[tuple[str, tuple[str, ...], int], ...], tuple[str, int, str, str, FeeScheduleFacts]]] = {
    "assistant": ((("64628", ("80",), 1),), ("assistant-at-surgery-not-payable", 1, "deny", "80",
                                              FeeScheduleFacts(indicator="assistant", value="1"))),
    "assistant-review": ((("15600", ("AS",), 1),), ("assistant-at-surgery-not-payable", 1, "review", "AS",
                                                    FeeScheduleFacts(indicator="assistant", value="0"))),
    "co-surgeon": ((("64628", ("62",), 1),), ("co-surgeon-not-permitted", 1, "deny", "62",
                                              FeeScheduleFacts(indicator="co_surgeons", value="0"))),
    "co-surgeon-review": ((("27130", ("62",), 1),), ("co-surgeon-not-permitted", 1, "review", "62",
                                                     FeeScheduleFacts(indicator="co_surgeons", value="1"))),
    "team": ((("64628", ("66",), 1),), ("team-surgery-not-permitted", 1, "deny", "66", FeeScheduleFacts(indicator="team", value="0"))),
    "bilateral": ((("64628", ("50",), 1),), ("modifier-50-not-bilateral", 1, "deny", "50",
                                             FeeScheduleFacts(indicator="bilateral", value="0"))),
    "pctc": ((("99213", ("26", "TC"), 1),), ("pctc-modifier-invalid", 1, "deny", "26", FeeScheduleFacts(indicator="pctc", value="0"))),
    "bundled": ((("99213", (), 1), ("A4550", (), 1)), ("code-not-payable", 2, "deny", "", FeeScheduleFacts(indicator="status", value="B"))),
    "injection": ((("96523", (), 1), ("99213", (), 1)), ("code-not-payable", 1, "deny", "",
                                                         FeeScheduleFacts(indicator="status", value="T", other_lines=(2,)))),
    "measure": ((("99213", (), 1), ("0500F", (), 1)), ("code-not-payable", 2, "info", "", FeeScheduleFacts(indicator="status", value="M"))),
}  # fmt: skip
CLEAN = ((("99213", ("25",), 1), ("71046", ("26",), 1)), (("96523", (), 1),))  # PC/TC 1 takes 26; a lone injection is paid


def test_worker_results_carry_each_fee_schedule_edit(redis_client: redis.Redis, redis_url: str) -> None:
    events = {name: event(lines) for name, (lines, _) in CASES.items()}
    clean = [event(lines) for lines in CLEAN]
    engine = Engine(load_default_reference())

    with WorkerThread(settings(redis_url), engine):
        submit(redis_client, "claims.submitted", [*events.values(), *clean])
        wait_for(lambda: redis_client.xlen("claims.edited") >= len(events) + len(clean), what="every result")
    by_event = {result.event_id: result for result in results(redis_client)}
    assert len(by_event) == len(events) + len(clean)
    for name, (_, (edit, line, severity, modifier, facts)) in CASES.items():
        result = by_event[events[name].event_id]
        found = [f for f in result.findings if f.edit == edit]
        assert [(f.lines, f.severity, f.modifier or "", f.facts) for f in found] == [((line,), severity, modifier, facts)], name
        assert found[0].message, name
        assert result.reference_version == engine.reference_version
        assert result.outcome == {"deny": "deny", "review": "review", "info": "pass"}[severity], name
    for one in clean:
        assert by_event[one.event_id].findings == ()
        assert by_event[one.event_id].outcome == "pass"
    assert pending_count(redis_client) == 0
    assert redis_client.xlen("claims.deadletter") == 0
