"""A worker given `--ptp` on its command line runs ptp-bundled-code on a real Redis: the column-two line is denied."""

from __future__ import annotations

from pathlib import Path

import redis

from tests.edits.reference.cms_files import write_ptp_txt
from tests.workers.helpers import CLEAN, WorkerThread, event, pending_count, results, submit, wait_for
from tests.workers.test_happy_path import settings
from workers.cli import build_parser
from workers.reference_args import engine_from_args

# A made-up row in the CMS layout: 99213 bundles 36415, no modifier bypasses it.
ROW = ["99213", "36415", "", "20150101", "*", "0", "Misuse of Column Two code with Column One code"]
BUNDLED = (("99213", (), 1), ("36415", (), 1))
BYPASS_TRIED = (("99213", ("25",), 1), ("36415", ("59",), 1))


def test_worker_with_ptp_files_denies_the_column_two_line(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    ptp = write_ptp_txt(tmp_path / "ccipra-v323r0-f1.txt", [ROW])
    args = build_parser().parse_args(["worker", "--redis-url", redis_url, "--ptp", str(ptp)])
    engine = engine_from_args(args)
    assert "ptp-bundled-code" in engine.edit_names
    events = [event(BUNDLED), event(BYPASS_TRIED), event(CLEAN)]
    with WorkerThread(settings(redis_url), engine):
        submit(redis_client, "claims.submitted", events)
        wait_for(lambda: redis_client.xlen("claims.edited") >= len(events), what="all results")
    by_event = {r.event_id: r for r in results(redis_client)}
    for bundled in events[:2]:
        result = by_event[bundled.event_id]
        assert result.outcome == "deny"
        assert [(f.edit, f.lines, f.code) for f in result.findings] == [("ptp-bundled-code", (2,), "36415")]
    assert by_event[events[2].event_id].findings == ()
    assert pending_count(redis_client) == 0
