"""What every edit is: a named, documented, pure check over one claim."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from contracts import Claim, Finding, Severity
from edits.history.model import PatientHistory
from edits.reference.model import ReferenceSet

DOC_SECTIONS = ("Checks:", "Why:", "Fails:", "Passes:", "Source:")
"""Every edit's docstring has these sections, in this order; a test enforces it."""


class Edit:
    """Base class of edits. Subclasses set `name` and `default_severity` and implement `check`.

    `name` reads as the problem found (`addon-without-primary`), is stable, and
    is what policies, metrics and findings use. The summary is the docstring's
    first line. `options` are the edit's own keys from the policy file.
    """

    name: ClassVar[str]
    default_severity: ClassVar[Severity] = "deny"
    uses_history: ClassVar[bool] = False
    """True for edits that also read the patient's earlier claims: the engine calls
    `check_with_history` on them instead of `check` whenever the claim is edited with
    history (even an empty one); without history (`check --no-history`) only `check`."""
    judges_voids: ClassVar[bool] = False
    """A void (frequency code 8) edited with history is judged only by edits that set this."""

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None) -> None:
        self.severity: Severity = severity or self.default_severity
        self.options: Mapping[str, Any] = options or {}

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def check(self, claim: Claim, reference: ReferenceSet) -> Iterable[Finding]:
        raise NotImplementedError

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> Iterable[Finding]:
        """The check over this claim and the patient's earlier claims (without its original, for a
        replacement or void); by default it is `check`. With an empty history it must find what
        `check` finds, except for a replacement or void (the engine calls `check` then)."""
        return self.check(claim, reference)
