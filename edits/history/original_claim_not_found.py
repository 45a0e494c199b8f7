"""Original claim not found."""

from __future__ import annotations

from contracts import Claim, Finding
from edits.base import Edit
from edits.history.model import PatientHistory
from edits.reference.model import ReferenceSet

REPLACEMENT, VOID = "7", "8"


class OriginalClaimNotFound(Edit):
    """A replacement or void names an original claim that is not in the patient's history, so nothing was removed.

    Checks: a claim with frequency code 7 (replacement) or 8 (void), edited with
    history. Its original is `original_claim_id`, or its own `claim_id` when that
    is absent; it is looked up in the same patient's history only. When history
    does not hold it, nothing is taken out: the replacement is edited against the
    history as it is and enters it like any claim, a void changes nothing. The
    finding (info by default) names every line of the claim, so a policy that
    raises it to deny keeps a replacement of an unknown claim out of history. It
    is the only finding a void can get. Without history it finds nothing.

    Why: a replacement or void of a claim the editor never saw (sent before
    history began, outside the retention window, denied in full, or misnumbered)
    cannot correct anything; whoever reads the result should know that the
    earlier payment, if any, was not reversed here.

    Fails: claim B, frequency 7, original_claim_id A, for a patient whose history
    has no claim A; a void of claim A when A is not in history.

    Passes: claim A2, frequency 7, original_claim_id A, with claim A in history;
    any claim with frequency code 1 (original).

    Source: X12 837P CLM05-3 claim frequency type code (7 replacement of prior
    claim, 8 void/cancel of prior claim) and REF*F8 payer claim control number;
    NUBC claim frequency codes.
    """

    name = "original-claim-not-found"
    default_severity = "info"
    uses_history = True
    judges_voids = True

    def check(self, claim: Claim, reference: ReferenceSet) -> tuple[Finding, ...]:
        return ()  # whether the original is known is a question for history

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> tuple[Finding, ...]:
        frequency = claim.claim_frequency_code
        if frequency not in (REPLACEMENT, VOID):
            return ()
        original = claim.original_claim_id or claim.claim_id
        if original in history.removed:
            return ()
        kind = "void" if frequency == VOID else "replacement"
        consequence = "nothing was voided" if frequency == VOID else "this claim is edited and kept as a new claim"
        first = claim.lines[0]
        return (
            Finding(
                edit=self.name,
                severity=self.severity,
                lines=tuple(line.line_number for line in claim.lines),
                code=first.code,
                message=(
                    f"This {kind} (frequency code {frequency}) names original claim {original}, which is not in the "
                    f"patient's history: nothing was removed, {consequence}."
                ),
                reference_version=reference.for_date(first.date_of_service).version,
            ),
        )
