"""`claim-edit replay` over files: baselines of both formats, the diff, every report format, bad input, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contracts import encode
from edits import Engine, load_default_reference
from tests.replay.helpers import CLAIMS, changed_claims, changed_mue, check_json, claim, event, events, keys, replay, write_jsonl


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, Path]:
    """Events and the results the worker would have recorded for them (bundled reference)."""
    engine = Engine(load_default_reference())
    events_path = write_jsonl(tmp_path / "events.jsonl", events())
    baseline = write_jsonl(tmp_path / "results.jsonl", [engine.edit(one, source_stream_id="1-0") for one in events()])
    return events_path, baseline


def test_unchanged_reference_changes_nothing(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path]) -> None:
    events_path, baseline = recorded
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--format", "json")
    assert run.status == 0
    totals = run.json()["summary"]["totals"]
    assert totals["events"] == len(CLAIMS)
    assert totals["unchanged"] == len(CLAIMS)
    assert totals["changed"] == totals["without_baseline"] == totals["unreadable"] == 0
    assert run.json()["changed"] == []


def test_raised_mue_removes_exactly_the_finding_it_no_longer_makes(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    mue = changed_mue(tmp_path / "mue.csv", value=3)
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", mue, "--format", "json")
    assert run.status == 1
    report = run.json()
    changed = changed_claims(report)
    assert set(changed) == {"C-three-units"}
    change = changed["C-three-units"]
    assert keys(change["removed"]) == [("mue-units-exceeded", (2,), "64629", "deny")]
    assert change["added"] == []
    assert (change["before_outcome"], change["after_outcome"]) == ("deny", "pass")
    assert change["matched_by"] == "event_id"
    assert change["where"] == "line 4"
    assert report["summary"]["edits"] == [{"edit": "mue-units-exceeded", "added": 0, "removed": 1}]
    assert report["summary"]["totals"]["claims_with_removed"] == 1


def test_lowered_mue_adds_findings_on_the_claims_now_over(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    mue = changed_mue(tmp_path / "mue.csv", value=1)
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", mue, "--format", "json")
    assert run.status == 1
    changed = changed_claims(run.json())
    # C-three-units was already over: its finding keeps its key (only the message's MUE value differs).
    assert set(changed) == {"C-two-units", "C-split"}
    assert keys(changed["C-two-units"]["added"]) == [("mue-units-exceeded", (2,), "64629", "deny")]
    assert keys(changed["C-split"]["added"]) == [("mue-units-exceeded", (2, 3), "64629", "deny")]
    assert all(change["removed"] == [] for change in changed.values())


def test_fail_on_narrows_the_exit_status(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path) -> None:
    events_path, baseline = recorded
    raised = changed_mue(tmp_path / "mue.csv", value=3)  # only removes findings
    common = ("--events", events_path, "--baseline", baseline, "--mue", raised)
    assert replay(capsys, *common, "--fail-on", "added").status == 0
    assert replay(capsys, *common, "--fail-on", "removed").status == 1
    assert replay(capsys, *common, "--fail-on", "any").status == 1


def test_check_output_is_a_baseline_and_bare_claims_match_by_claim_id(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Events recorded with their own event ids; the file replayed holds bare claims (event_id = claim_id).
    events_path = write_jsonl(tmp_path / "events.jsonl", events())
    baseline = tmp_path / "check.jsonl"
    baseline.write_text(check_json(capsys, events_path))
    bare = write_jsonl(tmp_path / "claims.jsonl", [claim(claim_id) for claim_id in CLAIMS])
    run = replay(capsys, "--events", bare, "--baseline", baseline, "--mue", changed_mue(tmp_path / "mue.csv", value=3), "--format", "json")
    assert run.status == 1
    change = changed_claims(run.json())["C-three-units"]
    assert change["matched_by"] == "claim_id"
    assert change["event_id"] == "C-three-units"


def test_events_without_a_recorded_result_are_counted_not_compared(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    engine = Engine(load_default_reference())
    recorded = [event("C-pair"), event("C-office")]
    baseline = write_jsonl(tmp_path / "results.jsonl", [engine.edit(one) for one in recorded])
    events_path = write_jsonl(tmp_path / "events.jsonl", events())
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--format", "json")
    assert run.status == 0
    totals = run.json()["summary"]["totals"]
    assert (totals["unchanged"], totals["without_baseline"]) == (2, len(CLAIMS) - 2)


def test_unreadable_lines_are_reported_with_their_numbers_and_the_rest_replayed(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    _, baseline = recorded
    bad_claim = b'{"claim_id": "C-bad", "patient_id": "P", "billing_provider_npi": "123", "lines": []}'
    wrong_type = encode({"event_type": "claim.edited", "event_id": "E-x"})
    events_path = write_jsonl(tmp_path / "events.jsonl", events(), extra_lines={2: b"{not json", 5: bad_claim, 9: wrong_type})
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--format", "json")
    assert run.status == 0
    summary = run.json()["summary"]
    assert summary["totals"]["unreadable"] == 3
    assert summary["totals"]["unchanged"] == len(CLAIMS)
    assert [(u["where"], u["reason"]) for u in summary["unreadable"]] == [
        ("line 2", "not-json"), ("line 5", "schema"), ("line 9", "wrong-event-type")
    ]
    assert "3 unreadable (first: line 2: not-json)" in run.err
    table = replay(capsys, "--events", events_path, "--baseline", baseline)
    assert "line 5: schema:" in table.out
    assert "unreadable                 3" in table.out


def test_unreadable_baseline_lines_are_reported_and_an_events_file_is_refused(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"garbage\n" + baseline.read_bytes())
    run = replay(capsys, "--events", events_path, "--baseline", damaged, "--format", "json")
    assert run.status == 0
    summary = run.json()["summary"]
    assert summary["baseline_unreadable_count"] == 1
    assert summary["baseline_unreadable"][0]["where"] == "line 1"
    assert summary["totals"]["unchanged"] == len(CLAIMS)

    swapped = replay(capsys, "--events", events_path, "--baseline", events_path)
    assert swapped.status == 2
    assert "no readable result" in swapped.err
    assert "event_type is 'claim.submitted'" in swapped.err


def test_against_compares_two_reference_sets_without_a_recording(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, _ = recorded
    raised = changed_mue(tmp_path / "mue.csv", value=3)
    # after = bundled (the usual flags, none given); before = the raised MUE: the finding reappears.
    run = replay(capsys, "--events", events_path, "--against-mue", raised, "--format", "json")
    assert run.status == 1
    change = changed_claims(run.json())["C-three-units"]
    assert change["matched_by"] == "against"
    assert keys(change["added"]) == [("mue-units-exceeded", (2,), "64629", "deny")]
    assert run.json()["summary"]["totals"]["changed"] == 1
    same = replay(capsys, "--events", events_path, "--against")  # bundled against bundled
    assert same.status == 0
    assert "no claim changed" in same.out


def test_junit_has_one_failing_testcase_per_changed_claim(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    report = tmp_path / "replay.xml"
    lowered = changed_mue(tmp_path / "mue.csv", value=1)
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", lowered, "--format", "junit", "--output", report)
    assert run.status == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "0")
    failing = {case.get("name"): case.find("failure") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert set(failing) == {"C-two-units (line 2)", "C-split (line 3)"}
    failure = failing["C-split (line 3)"]
    assert failure is not None
    assert failure.get("type") == "added"
    assert failure.get("message") == "added mue-units-exceeded 64629 lines 2,3 (deny)"
    assert "+ lines 2,3" in (failure.text or "")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["changed"] == "2"

    # --fail-on removed: the same claims are listed but skipped, and the exit status is 0.
    relaxed = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", lowered, "--format", "junit", "--fail-on", "removed")
    assert relaxed.status == 0
    suite = ET.fromstring(relaxed.out).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")


def test_table_and_markdown_name_the_changes(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path) -> None:
    events_path, baseline = recorded
    lowered = changed_mue(tmp_path / "mue.csv", value=1)
    table = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", lowered)
    assert table.status == 1
    assert "C-split (event E-C-split, line 3)  PASS -> DENY" in table.out
    assert "  + lines 2,3  64629  deny    mue-units-exceeded: 64629: 2 units on 2025-11-03 exceed the MUE of 1" in table.out
    assert table.out.rstrip().endswith("2 claims changed")
    markdown = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", lowered, "--format", "markdown", "--show", "1")
    assert markdown.out.startswith("### claim-edit replay: 2 claims changed")
    assert "| `mue-units-exceeded` | 2 | 0 |" in markdown.out
    assert markdown.out.count("| pass → deny |") == 1
    assert "_... 1 more changed claims not shown._" in markdown.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --events FILE, --stream NAME or --candidate-stream NAME"),
        (("--events", "{events}"), "nothing to compare with"),
        (("--events", "{events}", "--baseline", "{baseline}", "--against"), "give one of --baseline, --baseline-stream or --against"),
        (("--events", "{events}", "--baseline", "{tmp}/missing.jsonl"), "cannot read baseline"),
        (("--events", "{tmp}/missing.jsonl", "--baseline", "{baseline}"), "missing.jsonl"),
        (("--events", "{events}", "--baseline", "{baseline}", "--start", "2025-11-03"), "--start/--end select a stream range"),
        (("--stream", "s", "--baseline", "{baseline}", "--start", "yesterday"), "--start 'yesterday': expected a stream id"),
        (("--stream", "s", "--baseline", "{baseline}", "--start", "2025-11-04", "--end", "2025-11-03"), "the range is empty"),
        (("--events", "{events}", "--against-effective", "2026-01-01"), "--against side: --effective"),
    ],
)
def test_unusable_flags_exit_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    events_path, baseline = recorded
    filled = [arg.format(events=events_path, baseline=baseline, tmp=tmp_path) for arg in args]
    run = replay(capsys, *filled)
    assert run.status == 2
    assert message in run.err
    assert run.err.startswith("claim-edit replay: ")


def test_json_lists_every_changed_claim_whatever_show_says(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    lowered = changed_mue(tmp_path / "mue.csv", value=1)
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--mue", lowered, "--format", "json", "--show", "0")
    body = json.loads(run.out)
    assert len(body["changed"]) == body["summary"]["totals"]["changed"] == 2
    assert body["summary"]["failed"] is True


def test_redis_errors_exit_2_without_printing_a_password(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path]) -> None:
    from workers.embedded_redis import free_port

    _, baseline = recorded
    url = f"redis://user:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    run = replay(capsys, "--stream", "claims.submitted", "--baseline", baseline, "--redis-url", url)
    assert run.status == 2
    assert f"Redis at redis://user:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in run.err
    assert "s3cret" not in run.err


def test_baseline_in_event_order_is_read_in_step_and_any_other_order_through_the_index(tmp_path: Path) -> None:
    from workers.replay.baseline import FileBaseline

    engine = Engine(load_default_reference())
    results = [engine.edit(one) for one in events()]
    garbage = {3: b"garbage"}
    in_order = FileBaseline(write_jsonl(tmp_path / "in-order.jsonl", results, extra_lines=garbage))
    shuffled = FileBaseline(write_jsonl(tmp_path / "shuffled.jsonl", results[::-1], extra_lines=garbage))
    gap = FileBaseline(write_jsonl(tmp_path / "gap.jsonl", results[:2] + results[3:], extra_lines=garbage))
    for baseline in (in_order, shuffled, gap):
        hits = [baseline.match(one.event_id, one.claim.claim_id) for one in events()]
        for one, hit in zip(events(), hits, strict=True):
            if baseline is gap and one.claim.claim_id == list(CLAIMS)[2]:
                assert hit is None
                continue
            assert hit is not None
            _, handle, how = hit
            assert how == "event_id"
            assert baseline.fetch(handle).event_id == one.event_id
        assert baseline.problem_count == 1  # the garbage line, counted once even when indexing re-reads it
        assert baseline.problems[0].where == "line 3"
        assert baseline.results() == (len(CLAIMS) - 1 if baseline is gap else len(CLAIMS))
        baseline.close()
    assert in_order.in_step
    assert not shuffled.in_step
    assert not gap.in_step


def test_results_no_event_reached_are_still_counted_and_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    engine = Engine(load_default_reference())
    baseline = write_jsonl(tmp_path / "results.jsonl", [engine.edit(one) for one in events()], extra_lines={5: b"{}"})
    first_two = write_jsonl(tmp_path / "events.jsonl", events()[:2])
    run = replay(capsys, "--events", first_two, "--baseline", baseline, "--format", "json")
    assert run.status == 0
    summary = run.json()["summary"]
    assert summary["baseline_results"] == len(CLAIMS)
    assert summary["baseline_unreadable"] == [{"where": "line 5", "detail": "not a result: needs event_id, claim_id and findings"}]
    assert summary["totals"]["unchanged"] == 2
