"""Comparing the findings of one claim before and after, by a stable key.

A finding's key is (edit, lines, code, severity). Messages, MUE values quoted
in them, versions and timings are left out on purpose: a new quarter changes
`reference_version` on every finding, and a changed MUE rewrites the message of
a finding that still fires; neither is a change in what happens to the claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

import msgspec

from contracts import Finding, Outcome

FindingKey = tuple[str, tuple[int, ...], str, str]
FailOn = Literal["added", "removed", "any"]
FAIL_ON: tuple[FailOn, ...] = ("added", "removed", "any")


class HasKeyFields(Protocol):
    @property
    def edit(self) -> str: ...
    @property
    def lines(self) -> tuple[int, ...]: ...
    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...


def key_of(finding: HasKeyFields) -> FindingKey:
    return (finding.edit, finding.lines, finding.code, finding.severity)


EMPTY_DIGEST = hash(())


def digest_of(findings: Sequence[HasKeyFields]) -> int:
    """An in-process fingerprint of the multiset of keys: equal digests mean unchanged findings.

    Python's hash is salted per process; the digests are only compared within one run.
    """
    if not findings:
        return EMPTY_DIGEST
    if len(findings) == 1:
        only = findings[0]
        return hash(((only.edit, only.lines, only.code, only.severity),))
    return hash(tuple(sorted(key_of(finding) for finding in findings)))


class ChangedClaim(msgspec.Struct, kw_only=True):
    """One claim whose findings differ: where it was read, both sides, and the difference."""

    where: str
    event_id: str
    claim_id: str
    matched_by: Literal["event_id", "claim_id", "against"]
    before_outcome: Outcome
    after_outcome: Outcome
    before: tuple[Finding, ...]
    after: tuple[Finding, ...]
    added: tuple[Finding, ...] = ()
    removed: tuple[Finding, ...] = ()

    def counts_for(self, fail_on: FailOn) -> bool:
        if fail_on == "added":
            return bool(self.added)
        if fail_on == "removed":
            return bool(self.removed)
        return True


def _only_in(first: Iterable[Finding], second: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings of `first` whose key is not matched in `second` (as multisets)."""
    spare = Counter(key_of(finding) for finding in second)
    out: list[Finding] = []
    for finding in first:
        key = key_of(finding)
        if spare[key] > 0:
            spare[key] -= 1
        else:
            out.append(finding)
    return tuple(out)


def added_and_removed(before: Sequence[Finding], after: Sequence[Finding]) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    return _only_in(after, before), _only_in(before, after)
