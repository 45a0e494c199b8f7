"""What the workers of a run published, from their own /metrics: outcomes, findings, history conflicts.

Exact and free: every claim is counted by the worker as it commits, so nothing is read back from the
result stream (for 200,000 results that would take seconds). Scraped after the last result arrived and
before the workers are stopped; the counters lag the results by at most one batch, so it waits for them.
"""

from __future__ import annotations

import time
import urllib.request
from collections import Counter
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

WAIT_S = 5.0


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of one worker's /metrics: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _summed(ports: list[int]) -> tuple[Counter[str], Counter[tuple[str, str]], float, float]:
    outcomes: Counter[str] = Counter()
    findings: Counter[tuple[str, str]] = Counter()
    dead = conflicts = 0.0
    for port in ports:
        for (name, labels), value in scrape(port).items():
            label = dict(labels)
            if name == "claimedit_claims_processed_total":
                outcomes[label["outcome"]] += int(value)
            elif name == "claimedit_findings_total":
                findings[label["edit"], label["severity"]] += int(value)
            elif name == "claimedit_deadletters_total":
                dead += value
            elif name == "claimedit_history_conflicts_total":
                conflicts += value
    return outcomes, findings, dead, conflicts


def published(ports: list[int], expected: int) -> dict[str, Any]:
    """Outcome shares, findings per claim (by edit) and history conflicts over every claim the workers published."""
    deadline = time.monotonic() + WAIT_S
    while True:
        outcomes, findings, dead, conflicts = _summed(ports)
        if sum(outcomes.values()) + dead >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    claims = sum(outcomes.values())
    per_claim = 1 / claims if claims else 0.0
    by_edit: Counter[str] = Counter()
    for (edit, _), count in findings.items():
        by_edit[edit] += count
    return {
        "claims": claims,
        "findings_per_claim": sum(findings.values()) * per_claim,
        "outcome_shares": {outcome: count * per_claim for outcome, count in sorted(outcomes.items())},
        "denied_share": outcomes["deny"] * per_claim,
        "findings_per_claim_by_edit": {edit: count * per_claim for edit, count in by_edit.most_common()},
        "history_conflicts": int(conflicts),  # claims edited again because their patient's history moved before the commit
    }
