"""What the edits ask of a claim's lines, written once: who provided a line."""

from __future__ import annotations

from contracts import Claim, ServiceLine


def provider_of(claim: Claim, line: ServiceLine) -> str:
    """The line's provider: its rendering NPI, else the claim's rendering NPI, else the billing NPI.

    NCCI edits (PTP, date-of-service MUEs, add-on/primary) apply to one provider's services for one
    patient on one date; this is the provider they compare. `PatientHistory.meets` and
    `edits.engine.entering_history` apply the same rule per claim (the claim's part once, not per line).
    """
    return line.rendering_provider_npi or claim.rendering_provider_npi or claim.billing_provider_npi
