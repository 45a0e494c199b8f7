"""Test helpers for the worker: a tiny reference set, claims and events, reading the output streams."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import msgspec
import redis

from contracts import ClaimEdited, ClaimSubmitted, DeadLetter, encode
from contracts.claim import Claim, ServiceLine
from contracts.codec import decode_dead_letter, decode_result
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet
from workers.streams import entries

DOS = dt.date(2025, 11, 3)

# Indicators as in the October 2025 PPRRVU file: status, global days, PC/TC, mult proc, bilateral, assistant, co-surgeons, team.
_FEES = {
    "64628": ("A", "010", "0", "2", "0", "1", "0", "0"),
    "64629": ("A", "ZZZ", "0", "0", "0", "1", "0", "0"),
    "64635": ("A", "010", "0", "2", "1", "1", "0", "0"),
    "64636": ("A", "ZZZ", "0", "0", "1", "1", "0", "0"),
    "64479": ("A", "000", "0", "2", "1", "1", "0", "0"),
    "64480": ("A", "ZZZ", "0", "0", "1", "1", "0", "0"),
    "64490": ("A", "000", "0", "2", "1", "2", "0", "0"),
    "64491": ("A", "ZZZ", "0", "0", "1", "2", "0", "0"),
    "64493": ("A", "000", "0", "2", "1", "2", "0", "0"),
    "64494": ("A", "ZZZ", "0", "0", "1", "2", "0", "0"),
}
_PRIMARIES = {"64629": "64628", "64636": "64635", "64480": "64479", "64491": "64490", "64494": "64493"}


def tiny_reference() -> ReferenceSet:
    return ReferenceSet(
        version="test-2025Q4",
        references=(
            Reference(
                version="test-2025Q4",
                fee_schedule={code: FeeScheduleEntry(*row) for code, row in _FEES.items()},
                mue={"64628": MueEntry(1, 2), "64629": MueEntry(2, 2), "64635": MueEntry(1, 2), "64636": MueEntry(4, 2)},
                addons={addon: (AddOnPairing(primary, 1),) for addon, primary in _PRIMARIES.items()},
            ),
        ),
    )


def save_tiny_reference(directory: Path) -> Path:
    from edits.reference.snapshot import save_snapshot

    path = directory / "tiny.snapshot"
    save_snapshot(tiny_reference(), path)
    return path


def claim(*lines: tuple[str, tuple[str, ...], int], claim_id: str | None = None) -> Claim:
    claim_id = claim_id or f"C-{uuid.uuid4().hex[:12]}"
    return Claim(
        claim_id=claim_id,
        patient_id=f"P-test-{claim_id}",  # one patient per claim: claims spread over partitions
        billing_provider_npi="1234567893",
        lines=tuple(
            ServiceLine(line_number=i, code=code, modifiers=mods, units=units, date_of_service=DOS)
            for i, (code, mods, units) in enumerate(lines, start=1)
        ),
    )


CLEAN = (("64628", (), 1), ("64629", (), 1))
ADDON_ALONE = (("64629", (), 1),)
MUE_EXCEEDED = (("64628", (), 1), ("64629", (), 3))


def event(lines: tuple[tuple[str, tuple[str, ...], int], ...] = CLEAN, event_id: str | None = None) -> ClaimSubmitted:
    return ClaimSubmitted(
        event_id=event_id or f"E-{uuid.uuid4().hex}",
        occurred_at=dt.datetime.now(dt.UTC),
        claim=claim(*lines),
    )


def submit(client: redis.Redis, stream: str, events: list[ClaimSubmitted]) -> list[bytes]:
    pipe = client.pipeline(transaction=False)
    for one in events:
        pipe.xadd(stream, {"event": encode(one)})
    return [bytes(i) for i in pipe.execute()]


def results(client: redis.Redis, stream: str = "claims.edited") -> list[ClaimEdited]:
    return [decode_result(fields[b"result"]) for _, fields in entries(client, stream)]


def dead_letters(client: redis.Redis, stream: str = "claims.deadletter") -> list[DeadLetter]:
    return [decode_dead_letter(fields[b"dead_letter"]) for _, fields in entries(client, stream)]


def pending_count(client: redis.Redis, stream: str = "claims.submitted", group: str = "claim-edit") -> int:
    info: dict[str, Any] = client.xpending(stream, group)
    return int(info["pending"])


def to_builtins(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


def wait_for(condition: Any, timeout_s: float = 20.0, what: str = "condition") -> None:
    """Poll until `condition()` is true; fail the test naming `what` after `timeout_s` (a hang guard, not a speed check)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


class WorkerThread:
    """A `Worker` running on its own event loop in a thread, for tests that drive it from synchronous code."""

    def __init__(self, settings: Any, engine: Any) -> None:
        import asyncio
        import threading

        from workers.runtime import Worker

        self.worker = Worker(settings, engine)
        self.exit_code: int | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="worker-under-test", daemon=True)

    def _main(self) -> None:
        import asyncio

        async def main() -> int:
            self._stop = asyncio.Event()
            self._ready.set()
            return await self.worker.run(self._stop)

        self.exit_code = self._loop.run_until_complete(main())
        self._loop.close()

    def start(self, wait_reading: bool = True) -> WorkerThread:
        self._thread.start()
        self._ready.wait(10)
        if wait_reading:
            wait_for(lambda: self.worker.started.is_set() or not self._thread.is_alive(), what="the worker to start reading")
        return self

    def stop(self, timeout_s: float = 30.0) -> int | None:
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "worker thread did not stop"
        return self.exit_code

    def __enter__(self) -> WorkerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
