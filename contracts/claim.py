"""The claim as a claims platform sends it: a professional (837P) claim and its service lines."""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from typing import Annotated

import msgspec

# Validation is done with cheap string methods in __post_init__ rather than
# `Meta(pattern=...)`: a regex per code was measured at ~5 us per claim, the
# biggest single cost in decoding. msgspec turns the ValueError into a
# ValidationError carrying the JSON path of the offending line.

Code = Annotated[str, msgspec.Meta(min_length=5, max_length=5, description="CPT or HCPCS code: 5 uppercase letters or digits")]
Modifier = Annotated[str, msgspec.Meta(min_length=2, max_length=2, description="2-character modifier, e.g. 50, 51, RT, XS")]
Units = (
    Annotated[int, msgspec.Meta(gt=0, le=99_999)]
    | Annotated[float, msgspec.Meta(gt=0, le=99_999)]
)
Npi = Annotated[str, msgspec.Meta(min_length=10, max_length=10, description="10-digit National Provider Identifier")]
OpaqueId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PlaceOfService = Annotated[str, msgspec.Meta(min_length=2, max_length=2)]
MONEY_MAX = decimal.Decimal("99999999.99")
MONEY_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
"""What a money string should look like, and what we write: plain digits, at most two decimal places."""
Money = Annotated[
    decimal.Decimal,
    msgspec.Meta(
        description=(
            "US dollars, exact: a decimal string (as written: \"1250.00\") or a JSON number, "
            "0 to 99999999.99, at most two decimal places"
        ),
        # msgspec decodes a Decimal from a JSON string or number but its schema says string only:
        # contracts.json_schemas widens the type. `pattern` constrains strings, min/max numbers.
        extra_json_schema={"pattern": MONEY_PATTERN, "minimum": 0, "maximum": 99_999_999.99},
    ),
]
_ONE = decimal.Decimal(1)
_TENTH = decimal.Decimal("0.1")
_CENT = decimal.Decimal("0.01")
_SHOWN_CHARS = 24

MAX_LINES = 50  # the 837P limit on service lines per claim
MAX_MODIFIERS = 4


CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

# `not value.strip(CHARS)` is true exactly when every character is in CHARS: one C call per value,
# about a third of the cost of isascii() + isalnum() + isdigit()/isupper() (measured in bench/).
# Values already found valid are remembered (a set probe costs a third of a strip, and a stream bills
# the same codes and NPIs over and over); the sets stop growing at _KNOWN_MAX, so hostile input can
# cost speed, never memory. Only values that passed the check enter them.
_KNOWN_MAX = 50_000
_known_codes: set[str] = set()
_known_npis: set[str] = set()


def _is_code(value: str) -> bool:
    """Non-empty, only ASCII digits and uppercase letters."""
    if value in _known_codes:
        return True
    if not value or value.strip(CODE_CHARS):
        return False
    if len(_known_codes) < _KNOWN_MAX:
        _known_codes.add(value)
    return True


def _is_npi(value: str) -> bool:
    """Non-empty, only ASCII digits."""
    if value in _known_npis:
        return True
    if not value or value.strip(DIGITS):
        return False
    if len(_known_npis) < _KNOWN_MAX:
        _known_npis.add(value)
    return True


def checked_money(value: decimal.Decimal) -> decimal.Decimal:
    """`value` if it is an amount we accept, written plainly; else ValueError saying why.

    Decimals from JSON can be NaN, infinite, negative, or carry an exponent. "Plainly": a positive
    exponent is expanded (1E+2 -> 100) and a negative zero loses its sign (-0.00 -> 0.00), so every
    accepted amount encodes as plain digits (`MONEY_PATTERN`); the digits after the point are kept.
    """
    # The common case in a few cheap calls: as_tuple() alone costs about 0.8 us (it builds a tuple of digits).
    if (value.is_finite() and not value.is_signed() and value <= MONEY_MAX
            and (value.same_quantum(_CENT) or value.same_quantum(_ONE) or value.same_quantum(_TENTH))):
        return value
    sign, _, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # 'n', 'N', 'F': NaN, sNaN, Infinity
        raise ValueError("is not a finite number")
    if sign:
        if value:
            raise ValueError("is negative")
        value = value.copy_abs()
    if value > MONEY_MAX:
        raise ValueError(f"is over {MONEY_MAX}")
    if exponent < -2:
        raise ValueError("has more than two decimal places")
    if exponent > 0:
        value = value.quantize(_ONE)
    return value


def money_problem(value: decimal.Decimal) -> str | None:
    """Why `value` is not an amount of money we accept, or None."""
    try:
        checked_money(value)
    except ValueError as problem:
        return str(problem)
    return None


def _money_field(struct: msgspec.Struct, field: str, value: decimal.Decimal) -> None:
    """Check a money field of a struct being built; store its plain form when that differs."""
    try:
        plain = checked_money(value)
    except ValueError as problem:
        shown = str(value)
        if len(shown) > _SHOWN_CHARS:
            shown = shown[: _SHOWN_CHARS - 3] + "..."
        raise ValueError(f"{field} {shown} {problem}") from None
    if plain is not value:
        msgspec.structs.force_setattr(struct, field, plain)


class ServiceLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One service line: what was done, how many units, on which date."""

    line_number: Annotated[int, msgspec.Meta(ge=1, le=MAX_LINES)]
    code: Code
    modifiers: Annotated[tuple[Modifier, ...], msgspec.Meta(max_length=MAX_MODIFIERS)] = ()
    units: Units = 1
    date_of_service: dt.date
    date_of_service_to: dt.date | None = None
    place_of_service: PlaceOfService | None = None
    rendering_provider_npi: Npi | None = None
    charge: Money | None = None

    def __post_init__(self) -> None:
        # Runs once per decoded line: the common case (a known code, no modifiers, no end date or NPI,
        # a charge with two decimal places) is a few probes, with no helper calls.
        if self.code not in _known_codes and not _is_code(self.code):
            raise ValueError(f"code {self.code!r} must be 5 uppercase letters or digits")
        if self.modifiers:
            for modifier in self.modifiers:
                if modifier not in _known_codes and not _is_code(modifier):
                    raise ValueError(f"modifier {modifier!r} must be 2 uppercase letters or digits")
        if self.date_of_service_to is not None and self.date_of_service_to < self.date_of_service:
            raise ValueError("date_of_service_to is before date_of_service")
        if self.rendering_provider_npi is not None and not _is_npi(self.rendering_provider_npi):
            raise ValueError("rendering_provider_npi must be 10 digits")
        charge = self.charge
        # same_quantum(0.01) is false for NaN and infinities; -0.00 is signed and takes the slow path (made plain there).
        if charge is not None and not (charge.same_quantum(_CENT) and not charge.is_signed() and charge <= MONEY_MAX):
            _money_field(self, "charge", charge)


_line_number = operator.attrgetter("line_number")


class Claim(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """A professional claim. `patient_id` and the NPIs are opaque ids to us: never logged."""

    claim_id: OpaqueId
    patient_id: OpaqueId
    billing_provider_npi: Npi
    lines: Annotated[tuple[ServiceLine, ...], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    payer_id: OpaqueId | None = None
    claim_frequency_code: Annotated[str, msgspec.Meta(min_length=1, max_length=1)] | None = None
    original_claim_id: Annotated[
        OpaqueId | None,
        msgspec.Meta(description="With claim_frequency_code 7 (replacement) or 8 (void): the claim replaced (837P REF*F8)"),
    ] = None
    place_of_service: PlaceOfService | None = None
    rendering_provider_npi: Npi | None = None
    diagnosis_codes: Annotated[tuple[Annotated[str, msgspec.Meta(min_length=3, max_length=7)], ...], msgspec.Meta(max_length=12)] = ()
    total_charge: Money | None = None

    def __post_init__(self) -> None:
        if self.billing_provider_npi not in _known_npis and not _is_npi(self.billing_provider_npi):
            raise ValueError("billing_provider_npi must be 10 digits")
        if self.rendering_provider_npi is not None and not _is_npi(self.rendering_provider_npi):
            raise ValueError("rendering_provider_npi must be 10 digits")
        if self.total_charge is not None:
            _money_field(self, "total_charge", self.total_charge)
        lines = self.lines
        if len(lines) > 1 and len(set(map(_line_number, lines))) != len(lines):
            raise ValueError("line_number values must be unique within a claim")
