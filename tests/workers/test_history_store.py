"""History in Redis, on a real server: edits across claims, the version check and re-edit, exactly-once changes,
retention, and no patient id in clear."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import msgspec
import pytest
import redis
import redis.asyncio as aioredis

from contracts import ClaimEdited, ClaimSubmitted
from edits import Engine
from edits.history.model import ClaimLines, HistoryLine
from tests.history_audit import HISTORY_KEY, audit_history, history_keys, stored_claims, stored_version
from tests.workers.helpers import WorkerThread, claim, results, submit, tiny_reference, wait_for
from workers.commit import Committer
from workers.health import Health
from workers.history import edit_batch
from workers.history.edit_batch import HistoryBatch, HistoryPreparer
from workers.history.patient_keys import PatientKeys
from workers.history.redis_store import VERSION_WIDTH
from workers.metrics import WorkerMetrics
from workers.settings import Settings, SettingsError, settings_from

pytestmark = pytest.mark.redis

STREAM = "claims.submitted"
SPLIT = (("64628", (), 1), ("64629", (), 1))


def history_settings(redis_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"redis_url": redis_url, "http_port": 0, "http_host": "127.0.0.1", "block_ms": 50, "batch_size": 16,
                                 "consumer": "test-1", "stats_interval_s": 0.2, "history": True, "history_key": HISTORY_KEY}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def patient_event(patient: str, lines: tuple[tuple[str, tuple[str, ...], int], ...] = SPLIT, day: dt.date | None = None) -> ClaimSubmitted:
    base = claim(*lines)
    if day is not None:
        base = msgspec.structs.replace(base, lines=tuple(msgspec.structs.replace(line, date_of_service=day) for line in base.lines))
    return ClaimSubmitted(event_id=f"E-{uuid.uuid4().hex}", occurred_at=dt.datetime.now(dt.UTC),
                          claim=msgspec.structs.replace(base, patient_id=patient))


def duplicate_lines(result: ClaimEdited) -> set[int]:
    return {n for f in result.findings if f.edit == "duplicate-service" for n in f.lines}


def test_of_each_identical_pair_in_one_batch_exactly_one_is_a_duplicate(redis_client: redis.Redis, redis_url: str) -> None:
    events = [patient_event(f"P-{i // 2}") for i in range(20)]  # 10 patients, two identical claims each
    with WorkerThread(history_settings(redis_url), Engine(tiny_reference())):
        submit(redis_client, STREAM, events)
        wait_for(lambda: redis_client.xlen("claims.edited") >= len(events), what="all results")
    by_event = {r.event_id: r for r in results(redis_client)}
    for first, second in zip(events[::2], events[1::2], strict=True):
        flagged = [bool(duplicate_lines(by_event[e.event_id])) for e in (first, second)]
        assert flagged == [False, True], "the later claim of a pair (stream order) is the duplicate"
    checked = audit_history(redis_client, events, by_event.values(), dict.fromkeys(by_event, STREAM))
    assert checked == 20  # the first claim of each pair, two lines each; the denied duplicates stay out


def test_no_patient_id_in_clear_in_keys_or_values(redis_client: redis.Redis, redis_url: str) -> None:
    patient = "MEMBER-0042-SECRET"
    with WorkerThread(history_settings(redis_url), Engine(tiny_reference())):
        submit(redis_client, STREAM, [patient_event(patient)])
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1, what="the result")
    keys = history_keys(redis_client)
    assert len(keys) == 1
    assert keys[0].startswith("claims.submitted:h2:")
    assert patient not in keys[0]
    value = redis_client.get(keys[0])
    assert isinstance(value, bytes)
    assert len(value) > VERSION_WIDTH
    assert patient.encode() not in value
    assert redis_client.pttl(keys[0]) > 700 * 86_400_000  # twice --history-days (365) from the write


def _committer(client: aioredis.Redis, metrics: WorkerMetrics, dedup_window_s: float = 600.0) -> Committer:
    return Committer(client, stream=STREAM, group="claim-edit", result_stream="claims.edited", deadletter_stream="claims.deadletter",
                     maxlen=10_000, metrics=metrics, health=Health(), dedup_window_s=dedup_window_s, history_ttl_ms=86_400_000)


def _read(client: redis.Redis, count: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
    reply = client.xreadgroup("claim-edit", "test-1", {STREAM: ">"}, count=count)
    return list(reply[0][1])  # type: ignore[index]


@pytest.mark.parametrize("dedup_window_s", [600.0, 0.0])
def test_a_batch_edited_before_the_previous_commit_is_edited_again_and_sees_it(
    redis_client: redis.Redis, redis_url: str, dedup_window_s: float
) -> None:
    """The overlap of the pipeline: batch N+1 is read and edited while N commits. N+1's claim of the same patient
    finds the version moved, is re-edited against N's lines, and is the duplicate; nothing is kept twice."""
    redis_client.xgroup_create(STREAM, "claim-edit", id="0", mkstream=True)
    first, second = patient_event("P-1"), patient_event("P-1")
    submit(redis_client, STREAM, [first, second])
    entries = _read(redis_client, 2)

    async def scenario() -> tuple[bytes, WorkerMetrics]:
        client = aioredis.Redis.from_url(redis_url)
        metrics = WorkerMetrics(["duplicate-service"], "test")
        preparer = HistoryPreparer(Engine(tiny_reference()), stream=STREAM, consumer="test-1", max_event_bytes=1 << 20, client=client,
                                   secret=HISTORY_KEY.encode(), days=365, metrics=metrics)
        committer = _committer(client, metrics, dedup_window_s)
        batch_n = await preparer.prepare_batch([entries[0][0]], [entries[0][1]])
        batch_n1 = await preparer.prepare_batch([entries[1][0]], [entries[1][1]])  # read before N commits: stale
        assert type(batch_n1) is HistoryBatch
        assert not duplicate_lines(batch_n1.records[0])  # type: ignore[arg-type]
        await committer.submit(batch_n)
        await committer.submit(batch_n1)
        await committer.drain()
        await client.aclose()
        return b"", metrics

    _, metrics = asyncio.run(scenario())
    assert metrics.history_conflicts._value.get() == 1
    by_event = {r.event_id: r for r in results(redis_client)}
    assert not duplicate_lines(by_event[first.event_id])
    assert duplicate_lines(by_event[second.event_id]) == {1, 2}
    assert audit_history(redis_client, [first, second], by_event.values(), dict.fromkeys(by_event, STREAM)) == 2


def test_an_entry_edited_twice_changes_history_once(redis_client: redis.Redis, redis_url: str) -> None:
    """A slow consumer and a reclaiming one both edit an entry: only the commit whose XACK counts changes history."""
    redis_client.xgroup_create(STREAM, "claim-edit", id="0", mkstream=True)
    lines = (("64628", (), 1), ("64629", ("76",), 1))  # 76: a repeat, never a duplicate, so a second copy would show
    events = [patient_event("P-1", lines), patient_event("P-2", lines)]
    submit(redis_client, STREAM, events)
    entries = _read(redis_client, 2)
    ids, fields = [e[0] for e in entries], [e[1] for e in entries]

    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        metrics = WorkerMetrics(["duplicate-service"], "test")
        preparer = HistoryPreparer(Engine(tiny_reference()), stream=STREAM, consumer="test-1", max_event_bytes=1 << 20, client=client,
                                   secret=HISTORY_KEY.encode(), days=365, metrics=metrics)
        committer = _committer(client, metrics)
        slow = await preparer.prepare_batch(ids, fields)
        reclaimed = await preparer.prepare_batch(ids, fields)
        await committer.commit(reclaimed)
        summary = await committer.commit(slow)
        assert summary is not None
        assert summary.acked == 0
        await client.aclose()

    asyncio.run(scenario())
    out = results(redis_client)
    assert len(out) == 2
    assert audit_history(redis_client, events, out, dict.fromkeys((e.event_id for e in events), STREAM)) == 4


def test_lines_older_than_history_days_before_the_newest_are_dropped_on_write(redis_client: redis.Redis, redis_url: str) -> None:
    old, recent = patient_event("P-1", day=dt.date(2024, 1, 10)), patient_event("P-1", day=dt.date(2025, 1, 10))
    with WorkerThread(history_settings(redis_url, history_days=300), Engine(tiny_reference())):
        submit(redis_client, STREAM, [old])
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1, what="the first result")
        [key] = history_keys(redis_client)
        assert set(stored_claims(redis_client, key)) == {old.claim.claim_id}
        submit(redis_client, STREAM, [recent])
        wait_for(lambda: redis_client.xlen("claims.edited") >= 2, what="the second result")
    assert set(stored_claims(redis_client, key)) == {recent.claim.claim_id}


def test_history_on_without_a_key_refuses_to_start_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"CLAIMEDIT_HISTORY_KEY.*--history-key-file"):
        settings_from(env={"CLAIMEDIT_HISTORY": "1"})
    with pytest.raises(SettingsError, match="at least 16 bytes"):
        settings_from(env={"CLAIMEDIT_HISTORY": "1", "CLAIMEDIT_HISTORY_KEY": "short"})
    assert settings_from(env={}).history is False
    assert settings_from(env={"CLAIMEDIT_HISTORY": "1", "CLAIMEDIT_HISTORY_KEY": HISTORY_KEY}).history_secret() == HISTORY_KEY.encode()
    assert HISTORY_KEY not in repr(settings_from(env={"CLAIMEDIT_HISTORY": "1", "CLAIMEDIT_HISTORY_KEY": HISTORY_KEY}))


def test_an_entry_still_conflicting_after_the_last_re_edit_stays_pending_then_commits(redis_client: redis.Redis, redis_url: str) -> None:
    """With no re-edit rounds left, the stale entry is neither acked nor published: it stays pending, and the next
    pass over this consumer's pending entries (as after a restart or a reclaim) edits and commits it."""
    redis_client.xgroup_create(STREAM, "claim-edit", id="0", mkstream=True)
    first, second = patient_event("P-1"), patient_event("P-1")
    submit(redis_client, STREAM, [first, second])
    entries = _read(redis_client, 2)

    async def scenario() -> WorkerMetrics:
        client = aioredis.Redis.from_url(redis_url)
        metrics = WorkerMetrics(["duplicate-service"], "test")
        preparer = HistoryPreparer(Engine(tiny_reference()), stream=STREAM, consumer="test-1", max_event_bytes=1 << 20, client=client,
                                   secret=HISTORY_KEY.encode(), days=365, metrics=metrics)
        committer = Committer(client, stream=STREAM, group="claim-edit", result_stream="claims.edited",
                              deadletter_stream="claims.deadletter", maxlen=10_000, metrics=metrics, health=Health(),
                              history_ttl_ms=86_400_000, max_reedits=0)
        batch_n = await preparer.prepare_batch([entries[0][0]], [entries[0][1]])
        batch_n1 = await preparer.prepare_batch([entries[1][0]], [entries[1][1]])
        await committer.commit(batch_n)
        summary = await committer.commit(batch_n1)
        assert summary is not None
        assert (summary.acked, summary.left_pending) == (0, 1)
        assert redis_client.xlen("claims.edited") == 1
        pending = redis_client.xreadgroup("claim-edit", "test-1", {STREAM: "0"}, count=10)
        ids, fields = [e[0] for e in pending[0][1]], [e[1] for e in pending[0][1]]  # type: ignore[index]
        assert ids == [entries[1][0]]
        await committer.commit(await preparer.prepare_batch(ids, fields, source="pending"))
        await client.aclose()
        return metrics

    metrics = asyncio.run(scenario())
    assert metrics.history_unresolved._value.get() == 1
    by_event = {r.event_id: r for r in results(redis_client)}
    assert duplicate_lines(by_event[second.event_id]) == {1, 2}
    assert audit_history(redis_client, [first, second], by_event.values(), dict.fromkeys(by_event, STREAM)) == 2


def test_the_hash_layout_of_the_previous_version_is_never_read_nor_changed(redis_client: redis.Redis, redis_url: str) -> None:
    """Upgrade from one hash per patient (infix `:h:`): the old hash is another key name. The worker neither reads it
    (the same claim again is not a duplicate of what only the hash holds) nor writes it (its fields and TTL stay as
    they were, until the TTL ends it); the patient's history starts afresh as a value under `:h2:`."""
    event = patient_event("P-1")
    key = PatientKeys(HISTORY_KEY.encode(), STREAM).key("P-1")
    old_key = key.replace(":h2:", ":h:")
    earlier = ClaimLines(claim_id="C-before-upgrade", lines=tuple(
        HistoryLine(claim_id="C-before-upgrade", line_number=line.line_number, provider=event.claim.billing_provider_npi,
                    date_of_service=line.date_of_service, code=line.code, modifiers=line.modifiers, units=line.units)
        for line in event.claim.lines))
    old_fields = {b"": b"20000.abcdef012345.7", b"C-before-upgrade": msgspec.msgpack.encode(earlier)}
    redis_client.hset(old_key, mapping=old_fields)
    redis_client.pexpire(old_key, 5 * 86_400_000)
    with WorkerThread(history_settings(redis_url), Engine(tiny_reference())):
        submit(redis_client, STREAM, [event])
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1, what="the result")
    [result] = results(redis_client)
    assert not duplicate_lines(result)  # the hash's identical claim was not read
    assert redis_client.hgetall(old_key) == old_fields
    assert 4 * 86_400_000 < redis_client.pttl(old_key) <= 5 * 86_400_000
    assert history_keys(redis_client) == [key]
    assert set(stored_claims(redis_client, key)) == {event.claim.claim_id}
    assert len(stored_version(redis_client, key)) == VERSION_WIDTH


def test_version_tokens_have_one_width_never_repeat_and_a_spent_counter_takes_a_new_prefix() -> None:
    """The commit script reads a version as the value's first VERSION_WIDTH bytes: every token has that width."""
    client = aioredis.Redis()  # never connects

    def preparer() -> HistoryPreparer:
        return HistoryPreparer(Engine(tiny_reference()), stream=STREAM, consumer="t", max_event_bytes=1 << 20, client=client,
                               secret=HISTORY_KEY.encode(), days=365, metrics=WorkerMetrics(["duplicate-service"], "test"))

    one, two = preparer(), preparer()  # two processes (or a restart): two random prefixes
    tokens = [one._token() for _ in range(1000)] + [two._token() for _ in range(1000)]
    assert {len(token) for token in tokens} == {VERSION_WIDTH}
    assert len(set(tokens)) == len(tokens)
    prefix = tokens[0][:8]
    one._tokens = edit_batch._MAX_COUNTER - 1
    last, after = one._token(), one._token()
    assert (last[:8], last[8:]) == (prefix, str(edit_batch._MAX_COUNTER))
    assert after[:8] != prefix
    assert after[8:] == str(edit_batch._FIRST_COUNTER)
    assert len(after) == VERSION_WIDTH
    asyncio.run(client.aclose())
