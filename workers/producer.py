"""Reading a claims file and writing its events to the input stream (`claim-edit submit`, the demo).

Each line is a `claim.submitted` event, sent as is, or a bare claim, wrapped in an event with a fresh
`event_id` and `occurred_at` now. Lines are validated before anything is sent, so a file with a bad
line sends nothing and the error names the line.

With partitions (Redis Cluster, docs/scale-out.md), `send_partitioned` writes each event to the input
stream of its patient's partition: `workers.partitions.partition_of(patient_id, partitions)`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec
import redis

from contracts import ClaimSubmitted, InvalidEvent, decode_claim_or_event, encode
from contracts.codec import is_event
from workers.partitions import DEFAULT_PREFIX, partition_of, partition_streams

PIPELINE_SIZE = 1000


class ClaimsFileError(ValueError):
    """A claims file line that is neither a claim nor a claim.submitted event; the message names the line."""


def read_events(path: Path, lines: Iterable[bytes] | None = None) -> list[ClaimSubmitted]:
    """Every line of `path` (or of `lines`, named `path` in errors) as an event, validated."""
    if lines is not None:
        return _events(path, lines)
    with path.open("rb") as file:
        return _events(path, file)


def _events(path: Path, lines: Iterable[bytes]) -> list[ClaimSubmitted]:
    events: list[ClaimSubmitted] = []
    now = dt.datetime.now(dt.UTC)
    for number, raw_line in enumerate(lines, start=1):
        raw = raw_line.strip()
        if not raw or raw.startswith(b"#"):
            continue
        try:
            event = decode_claim_or_event(raw, now=now)
        except InvalidEvent as error:
            raise ClaimsFileError(f"{path}:{number}: {error.reason}: {error.detail}") from None
        if not is_event(raw):
            event = msgspec.structs.replace(event, event_id=str(uuid.uuid4()))
        events.append(event)
    return events


def send(
    client: redis.Redis,
    stream: str,
    payloads: list[bytes],
    *,
    maxlen: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """XADD each payload in field `event`, pipelined; returns the stream ids in order."""
    ids: list[str] = []
    for start in range(0, len(payloads), PIPELINE_SIZE):
        chunk = payloads[start : start + PIPELINE_SIZE]
        pipe = client.pipeline(transaction=False)
        for payload in chunk:
            pipe.xadd(stream, {"event": payload}, maxlen=maxlen, approximate=True)
        ids.extend(i.decode() if isinstance(i, bytes) else str(i) for i in pipe.execute())
        if progress is not None:
            progress(len(chunk))
    return ids


def send_partitioned(
    client: redis.Redis,
    events: list[ClaimSubmitted],
    partitions: int,
    *,
    prefix: str = DEFAULT_PREFIX,
    maxlen: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, str]]:
    """XADD each event to its patient's partition stream, pipelined (a cluster client splits the pipeline by node).

    Returns (stream, stream id) per event, in the order given; events of one patient keep their order.
    """
    streams = [partition_streams(i, partitions, prefix).submitted for i in range(partitions)]
    sent: list[tuple[str, str]] = []
    for start in range(0, len(events), PIPELINE_SIZE):
        chunk = events[start : start + PIPELINE_SIZE]
        targets = [streams[partition_of(event.claim.patient_id, partitions)] for event in chunk]
        pipe = client.pipeline(transaction=False)
        for event, stream in zip(chunk, targets, strict=True):
            pipe.xadd(stream, {"event": encode(event)}, maxlen=maxlen, approximate=True)
        ids = pipe.execute()
        sent.extend((stream, i.decode() if isinstance(i, bytes) else str(i)) for stream, i in zip(targets, ids, strict=True))
        if progress is not None:
            progress(len(chunk))
    return sent


def encode_all(events: list[ClaimSubmitted]) -> list[bytes]:
    return [encode(event) for event in events]
