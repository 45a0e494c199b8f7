"""The engine: run every enabled edit over one claim. Pure: no I/O, deterministic order."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from contracts import Claim, ClaimEdited, ClaimSubmitted, Finding, outcome_of
from edits.base import Edit
from edits.policy import DEFAULT_POLICY, Policy, PolicyError
from edits.reference.model import ReferenceSet
from edits.registry import all_edits

try:
    PACKAGE_VERSION = version("claim-edit")
except PackageNotFoundError:  # running from a source tree that is not installed
    PACKAGE_VERSION = "0+unknown"


def _finding_order(finding: Finding) -> tuple[int, str]:
    return (finding.lines[0] if finding.lines else 0, finding.edit)


class Engine:
    """A reference set and a policy, bound once; `run` is then called per claim."""

    def __init__(
        self,
        reference: ReferenceSet,
        policy: Policy = DEFAULT_POLICY,
        edits: Sequence[type[Edit]] | None = None,
    ) -> None:
        available = tuple(edits) if edits is not None else all_edits()
        known = {edit.name for edit in available}
        unknown = sorted(set(policy.edits) - known)
        if unknown:
            raise PolicyError(f"{policy.source}: no edit named {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        self.reference = reference
        self.policy = policy
        self.edits: tuple[Edit, ...] = tuple(
            edit(severity=rule.severity, options=rule.options)
            for edit in available
            if (rule := policy.for_edit(edit.name)).enabled
        )
        self.reference_version = reference.version
        self.ruleset_version = f"{PACKAGE_VERSION}+{policy.fingerprint()}.{len(self.edits)}"
        self.edit_names: tuple[str, ...] = tuple(edit.name for edit in self.edits)

    def run(self, claim: Claim) -> tuple[Finding, ...]:
        findings: list[Finding] = []
        reference = self.reference
        for edit in self.edits:
            findings.extend(edit.check(claim, reference))
        if len(findings) > 1:
            findings.sort(key=_finding_order)
        return tuple(findings)

    def edit(self, event: ClaimSubmitted, *, source_stream_id: str | None = None, now: dt.datetime | None = None) -> ClaimEdited:
        """Run the edits and wrap the findings in the `claim.edited` result for this event."""
        started = time.perf_counter_ns()
        findings = self.run(event.claim)
        elapsed_us = (time.perf_counter_ns() - started) // 1000
        return ClaimEdited(
            event_id=event.event_id,
            claim_id=event.claim.claim_id,
            outcome=outcome_of(findings),
            findings=findings,
            reference_version=self.reference_version,
            ruleset_version=self.ruleset_version,
            occurred_at=event.occurred_at,
            edited_at=now or dt.datetime.now(dt.UTC),
            engine_us=elapsed_us,
            source_stream_id=source_stream_id,
        )


def run(claim: Claim, reference: ReferenceSet, policy: Policy = DEFAULT_POLICY) -> tuple[Finding, ...]:
    """One-off convenience: build an engine and run it. Hot paths keep an `Engine`."""
    return Engine(reference, policy).run(claim)
