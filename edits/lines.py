"""What the edits ask of a claim's lines, written once: who provided a line."""

from __future__ import annotations

import datetime as dt

from contracts import Claim, ServiceLine


def provider_of(claim: Claim, line: ServiceLine) -> str:
    """The line's provider: its rendering NPI, else the claim's rendering NPI, else the billing NPI.

    NCCI edits (PTP, date-of-service MUEs, add-on/primary) apply to one provider's services for one
    patient on one date; this is the provider they compare.
    """
    return line.rendering_provider_npi or claim.rendering_provider_npi or claim.billing_provider_npi


def provider_days(claim: Claim) -> set[tuple[str, dt.date]]:
    """Every (provider, date of service) of the claim's lines (`provider_of`): all an edit may ask history about."""
    default = claim.rendering_provider_npi or claim.billing_provider_npi
    return {(line.rendering_provider_npi or default, line.date_of_service) for line in claim.lines}
