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

    `severity` is the policy's severity for the edit, else `default_severity`.
    `severity_override` is the policy's alone (None when it sets none): an edit
    whose findings take their severity from the data (an indicator value) uses
    it, because a policy override replaces every severity of the edit.
    """

    name: ClassVar[str]
    default_severity: ClassVar[Severity] = "deny"
    uses_history: ClassVar[bool] = False
    """True for edits that also read the patient's earlier claims: the engine calls
    `check_with_history` on them instead of `check` whenever the claim is edited with
    history that holds a line of the claim's providers and dates, or the claim is a
    replacement or void; otherwise, and without history (`check --no-history`), `check`."""
    judges_voids: ClassVar[bool] = False
    """A void (frequency code 8) edited with history is judged only by edits that set this."""
    judges_modifiers: frozenset[str] | None = None
    """Set by an edit that looks only at lines carrying one of these modifiers (and reads no history):
    the engine does not call it for a claim none of whose lines carries one (one set test per claim)."""

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None) -> None:
        self.severity: Severity = severity or self.default_severity
        self.severity_override: Severity | None = severity
        self.options: Mapping[str, Any] = options or {}

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def check(self, claim: Claim, reference: ReferenceSet) -> Iterable[Finding]:
        raise NotImplementedError

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> Iterable[Finding]:
        """The check over this claim and the patient's earlier claims (without its original, for a
        replacement or void); by default it is `check`. It asks history only about this claim's own
        providers and dates (`edits.lines.provider_of`, date of service). So with a history that
        holds no line of those (provider, date) pairs, an empty one included, it must find what
        `check` finds, except for a replacement or void: the engine calls `check` then."""
        return self.check(claim, reference)
