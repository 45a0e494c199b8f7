"""Prometheus metrics of one worker, in their own registry. Label sets are created at start-up,
so dashboards show zeros rather than gaps. Counts are taken only for entries this consumer really
acked (the commit script's flags), so two consumers racing on one entry count it once.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, disable_created_metrics
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from contracts import DEAD_LETTER_REASONS, OUTCOMES, SEVERITIES, ClaimEdited, DeadLetter
from workers.batch import PreparedBatch

try:
    BUILD_VERSION = version("claim-edit")
except PackageNotFoundError:  # a source tree that is not installed
    BUILD_VERSION = "0+unknown"

BATCH_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENCY_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
BATCH_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
HISTORY_LINES_BUCKETS = (0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
ACKED = ord("1")
DUPLICATE_EVENT = ord("d")
LEFT_PENDING = ord("p")


class HasLinesRead(Protocol):
    @property
    def lines_read(self) -> int: ...


class BatchHistogram(Collector):
    """A histogram fed a batch of observations at once, exposed through the registry like any other.

    prometheus-client's Histogram takes a lock and walks its buckets per observation; per claim that
    was about 5% of the worker's CPU. Here a batch is bucketed with `bisect` and added under one lock.
    """

    def __init__(self, name: str, documentation: str, buckets: Iterable[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.bounds = sorted(float(b) for b in buckets)
        self._counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_many(self, values: Iterable[float]) -> None:
        counts = [0] * len(self._counts)
        total = 0.0
        bounds = self.bounds
        for value in values:
            counts[bisect_left(bounds, value)] += 1  # bucket `le` counts values <= its bound
            total += value
        with self._lock:
            self._counts = [a + b for a, b in zip(self._counts, counts, strict=True)]
            self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, buckets = 0, []
        for bound, count in zip([*map(str, self.bounds), "+Inf"], counts, strict=True):
            cumulative += count
            buckets.append((bound, float(cumulative)))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=total)


@dataclass(slots=True)
class BatchSummary:
    """What one commit did, for the batch log line and the tests."""

    entries: int
    acked: int
    outcomes: dict[str, int] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    duplicate_events: int = 0  # results withheld because their event_id was answered already; in `dead_letters` too
    left_pending: int = 0  # duplicate events whose dead letter could not be committed (shutdown): reclaimed later

    @property
    def duplicates(self) -> int:
        """Entries another consumer had already acked: nothing was published for them here."""
        return self.entries - self.acked - self.left_pending


class WorkerMetrics:
    def __init__(self, edit_names: Iterable[str], reference_version: str, ruleset_version: str = "") -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # the `_created` series double the output and no dashboard reads them
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.processed = Counter("claimedit_claims_processed_total", "Claims edited and published, by outcome", ["outcome"], registry=r)
        self.findings = Counter("claimedit_findings_total", "Findings published, by edit and severity", ["edit", "severity"], registry=r)
        self.deadletters = Counter("claimedit_deadletters_total", "Entries published to the dead-letter stream, by reason", ["reason"],
                                   registry=r)
        self.redeliveries = Counter("claimedit_redeliveries_total", "Pending entries taken over from an idle or dead consumer (XAUTOCLAIM)",
                                    registry=r)
        self.duplicates = Counter("claimedit_duplicate_deliveries_total",
                                  "Entries edited here but already acked elsewhere, so not published again", registry=r)
        self.redis_errors = Counter("claimedit_redis_errors_total", "Failed Redis calls (each retry counts)", ["operation"], registry=r)
        self.batch_duration = Histogram("claimedit_batch_duration_seconds", "From a batch's arrival to its commit",
                                        buckets=BATCH_SECONDS_BUCKETS, registry=r)
        self.batch_size = Histogram("claimedit_batch_size", "Entries per committed batch", buckets=BATCH_SIZE_BUCKETS, registry=r)
        self.latency = BatchHistogram("claimedit_end_to_end_latency_seconds", "From the event's occurred_at to the commit of its result",
                                      LATENCY_SECONDS_BUCKETS)
        r.register(self.latency)
        self.lag = Gauge("claimedit_consumer_lag", "Entries in the input stream not yet delivered to the group (XINFO GROUPS lag)",
                         registry=r)
        self.pending = Gauge("claimedit_pending_entries", "Entries delivered to the group but not yet acked (XPENDING)", registry=r)
        # History (docs/history.md, "Operations"); zero while --no-history.
        self.history_lines_read = Counter("claimedit_history_lines_read_total", "History lines read with the batches' patients",
                                          registry=r)
        self.history_patients_read = Counter("claimedit_history_patients_read_total", "Patient histories read (one per patient per batch)",
                                             registry=r)
        self.history_patient_lines = BatchHistogram("claimedit_history_patient_lines", "Lines in one patient's history when read",
                                                    HISTORY_LINES_BUCKETS)
        r.register(self.history_patient_lines)
        self.history_conflicts = Counter("claimedit_history_conflicts_total",
                                         "Entries whose patient's history changed between read and commit: edited again", registry=r)
        self.history_unresolved = Counter("claimedit_history_conflicts_unresolved_total",
                                          "Entries left pending after the last re-edit still found their patient's history moved",
                                          registry=r)
        self.history_write_bytes = Counter("claimedit_history_write_bytes_total", "Bytes of history values written by committed entries",
                                           registry=r)
        self.reference = Info("claimedit_reference", "Reference data version the engine runs with", registry=r)
        self.build = Info("claimedit_build", "claim-edit package version and rule set", registry=r)
        self.reference.info({"version": reference_version})
        self.build.info({"version": BUILD_VERSION, "ruleset": ruleset_version})
        for outcome in OUTCOMES:
            self.processed.labels(outcome)
        for reason in DEAD_LETTER_REASONS:
            self.deadletters.labels(reason)
        for name in edit_names:
            for severity in SEVERITIES:
                self.findings.labels(name, severity)
        for operation in ("read", "commit", "reclaim", "stats"):
            self.redis_errors.labels(operation)

    def record_history_read(self, patients: Iterable[HasLinesRead]) -> None:
        sizes = [patient.lines_read for patient in patients]
        self.history_patients_read.inc(len(sizes))
        self.history_lines_read.inc(sum(sizes))
        self.history_patient_lines.observe_many(sizes)

    def record(
        self, batch: PreparedBatch, flags: bytes, *, duplicate_letters: Sequence[DeadLetter] = (), now: float | None = None,
    ) -> BatchSummary:
        """Count what the commit published: `flags` holds b'1' per entry this consumer acked, b'0' for one acked
        elsewhere, b'd' for one acked here with a `duplicate-event` dead letter (those are `duplicate_letters`),
        b'p' for a duplicate left pending."""
        now = time.time() if now is None else now
        findings: Tally[tuple[str, str]] = Tally()
        results, dead, duplicate_events, left_pending = _split(batch.records, flags)
        outcomes: Tally[str] = Tally([result.outcome for result in results])
        for result in results:
            if result.findings:
                for finding in result.findings:
                    findings[(finding.edit, finding.severity)] += 1
        stamps = [result.occurred_at.timestamp() for result in results if result.occurred_at is not None]
        latencies = [now - stamp if stamp < now else 0.0 for stamp in stamps]
        if duplicate_events != len(duplicate_letters):
            raise ValueError(f"{duplicate_events} entries flagged duplicate but {len(duplicate_letters)} dead letters given")
        dead += duplicate_letters
        self.latency.observe_many(latencies)
        for outcome, count in outcomes.items():
            self.processed.labels(outcome).inc(count)
        for (edit, severity), count in findings.items():
            self.findings.labels(edit, severity).inc(count)
        for letter in dead:
            self.deadletters.labels(letter.reason).inc()
        acked = sum(outcomes.values()) + len(dead)
        summary = BatchSummary(entries=len(batch), acked=acked, outcomes=dict(outcomes), dead_letters=dead,
                               duplicate_events=duplicate_events, left_pending=left_pending)
        if summary.duplicates:
            self.duplicates.inc(summary.duplicates)
        self.batch_size.observe(len(batch))
        self.batch_duration.observe(time.perf_counter() - batch.started)
        return summary


def _split(records: Sequence[ClaimEdited | DeadLetter], flags: bytes) -> tuple[list[ClaimEdited], list[DeadLetter], int, int]:
    """The results and dead letters this consumer published, and how many entries were flagged duplicate or left pending."""
    if len(flags) != len(records):
        raise ValueError(f"{len(flags)} flags for {len(records)} records")
    acked_here = flags.count(ACKED)
    dead: list[DeadLetter] = []
    duplicate_events = left_pending = 0
    if acked_here == len(flags):  # the usual batch: every entry acked here; one pass in C per question
        results = [record for record in records if type(record) is ClaimEdited]
        if len(results) != len(records):
            dead = [record for record in records if type(record) is DeadLetter]
    else:
        results = []
        for flag, record in zip(flags, records, strict=True):
            if flag != ACKED:
                duplicate_events += flag == DUPLICATE_EVENT
                left_pending += flag == LEFT_PENDING
            elif type(record) is ClaimEdited:
                results.append(record)
            elif type(record) is DeadLetter:
                dead.append(record)
    if len(results) + len(dead) != acked_here:
        raise TypeError("a batch record is neither a result nor a dead letter")
    return results, dead, duplicate_events, left_pending
