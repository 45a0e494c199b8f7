"""Stream range bounds from ids and ISO 8601 times; the finding key and digest the diff relies on; the baseline index."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts import Finding, MueFacts
from workers.replay.baseline import Index
from workers.replay.diff import added_and_removed, digest_of, key_of
from workers.replay.sources import BoundError, check_range, parse_bound

NOV_3_MS = int(dt.datetime(2025, 11, 3, tzinfo=dt.UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("-", False, "-"),
        ("+", True, "+"),
        ("1762128000000", False, "1762128000000"),
        ("1762128000000-7", True, "1762128000000-7"),
        ("2025-11-03", False, f"{NOV_3_MS}-0"),
        ("2025-11-03", True, str(NOV_3_MS - 1)),  # end times are exclusive
        ("2025-11-03T00:00:00Z", False, f"{NOV_3_MS}-0"),
        ("2025-11-03T00:00:00", False, f"{NOV_3_MS}-0"),  # no offset: UTC
        ("2025-11-02T19:00:00-05:00", False, f"{NOV_3_MS}-0"),
        ("2025-11-03T00:00:00.250+00:00", False, f"{NOV_3_MS + 250}-0"),
    ],
)
def test_bounds(text: str, end: bool, expected: str) -> None:
    assert parse_bound(text, end=end) == expected


def test_bad_bounds_are_named() -> None:
    with pytest.raises(BoundError, match=r"--end '3pm': expected a stream id .* or an ISO 8601 time"):
        parse_bound("3pm", end=True)
    with pytest.raises(BoundError, match="before the Unix epoch"):
        parse_bound("1960-01-01", end=False)
    with pytest.raises(BoundError, match="the range is empty"):
        check_range("200-0", "100")
    check_range("100-0", "100")  # an ms-only end includes every sequence of that ms
    check_range("-", "+")


def finding(
    edit: str = "mue-units-exceeded", lines: tuple[int, ...] = (2,), message: str = "m", version: str = "v1", mue_value: int | None = None
) -> Finding:
    facts = MueFacts(units_counted=3, mue_value=mue_value, mai=2) if mue_value is not None else None
    return Finding(edit=edit, severity="deny", lines=lines, code="64629", message=message, reference_version=version, facts=facts)


def test_key_ignores_message_versions_and_quoted_facts() -> None:
    before = finding(message="exceed the MUE of 2", version="2026Q2", mue_value=2)
    after = finding(message="exceed the MUE of 1", version="2026Q3", mue_value=1)
    assert key_of(before) == key_of(after)
    assert digest_of([before]) == digest_of([after])
    assert added_and_removed([before], [after]) == ((), ())


def test_digest_ignores_order_but_not_multiplicity_or_lines() -> None:
    one, two = finding(lines=(1,)), finding(edit="addon-without-primary", lines=(3,))
    assert digest_of([one, two]) == digest_of([two, one])
    assert digest_of([one, one]) != digest_of([one])
    assert digest_of([finding(lines=(2, 3))]) != digest_of([finding(lines=(2,))])
    assert digest_of([]) != digest_of([one])
    added, removed = added_and_removed([one, one, two], [one])
    assert (added, removed) == ((), (one, two))


def test_index_matches_by_event_id_then_claim_id_and_the_last_duplicate_wins() -> None:
    index = Index()
    index.add("E-1", "C-1", 11, location=0)
    index.add("E-2", "C-2", 22, location=100)
    index.add("E-1", "C-1", 33, location=200)  # recorded twice: the later row counts
    index.seal()
    row, how = index.find("E-1", "C-x") or (None, None)
    assert how == "event_id"
    assert row is not None
    assert (index.digests[row], index.locations[row]) == (33, 200)
    row, how = index.find("E-unknown", "C-2") or (None, None)
    assert how == "claim_id"
    assert row is not None
    assert index.locations[row] == 100
    assert index.find("E-unknown", "C-unknown") is None


def test_index_finds_every_recorded_id_and_nothing_else() -> None:
    index = Index()
    for number in range(5000):
        index.add(f"E-{number}", f"C-{number % 1000}", number, location=number * 10)
    index.seal()
    for number in range(0, 5000, 7):
        hit = index.find(f"E-{number}", "C-none")
        assert hit is not None
        assert (index.digests[hit[0]], hit[1]) == (number, "event_id")
    hit = index.find("E-none", "C-5")
    assert hit is not None
    assert (index.locations[hit[0]], hit[1]) == (4005 * 10, "claim_id")  # the last row of claim C-5
    assert all(index.find(f"X-{number}", f"Y-{number}") is None for number in range(2000))
