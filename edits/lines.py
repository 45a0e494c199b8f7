"""What the edits ask of a claim's lines, written once: who provided a line."""

from __future__ import annotations

import datetime as dt

from contracts import Claim, ServiceLine


def provider_of(claim: Claim, line: ServiceLine) -> str:
    """The line's provider: its rendering NPI, else the claim's rendering NPI, else the billing NPI.

    NCCI edits (PTP, date-of-service MUEs, add-on/primary) apply to one provider's services for one
    patient on one date; this is the provider they compare. The helpers below and
    `edits.engine.entering_history` apply the same rule per claim (the claim's part once, not per line).
    """
    return line.rendering_provider_npi or claim.rendering_provider_npi or claim.billing_provider_npi


def provider_days(claim: Claim) -> set[tuple[str, dt.date]]:
    """Every (provider, date of service) of the claim's lines (`provider_of`): all an edit may ask history about."""
    default = claim.rendering_provider_npi or claim.billing_provider_npi
    pairs = set()
    for line in claim.lines:  # a plain loop: cheaper than a set comprehension in CPython 3.11
        pairs.add((line.rendering_provider_npi or default, line.date_of_service))
    return pairs


def lines_by_provider_and_day(claim: Claim) -> dict[tuple[str, dt.date], list[ServiceLine]]:
    """The claim's lines by (provider, date of service) (`provider_of`), each group in line order."""
    default = claim.rendering_provider_npi or claim.billing_provider_npi
    groups: dict[tuple[str, dt.date], list[ServiceLine]] = {}
    for line in claim.lines:
        key = (line.rendering_provider_npi or default, line.date_of_service)
        group = groups.get(key)
        if group is None:
            groups[key] = [line]
        else:
            group.append(line)
    return groups
