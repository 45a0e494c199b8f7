"""The fee schedule (PPRRVU) indicator values in words, one table per indicator, for every edit of the family.

Each table maps an indicator value to the value followed by its meaning, as findings print it
("1 (statutory payment restriction: an assistant at surgery is never paid)"). The meanings follow
CMS's record layout of the relative value file (RVU25D_record_layout.txt, Attachment A). One table
per indicator, here, so two edits reading the same indicator never describe it differently.
"""

from __future__ import annotations

from collections.abc import Mapping

BILATERAL_WORDS: Mapping[str, str] = {
    "0": "0 (150% bilateral adjustment does not apply: a bilateral procedure is inappropriate for this code)",
    "1": "1 (150% bilateral rule)",
    "2": "2 (already bilateral: the code's value covers both sides)",
    "3": "3 (100% each side)",
    "9": "9 (bilateral concept does not apply)",
}

ASSISTANT_WORDS: Mapping[str, str] = {
    "0": "0 (an assistant at surgery is paid only when documentation establishes medical necessity)",
    "1": "1 (statutory payment restriction: an assistant at surgery is never paid)",
    "2": "2 (an assistant at surgery may be paid)",
    "9": "9 (assistant-at-surgery concept does not apply)",
}

CO_SURGEON_WORDS: Mapping[str, str] = {
    "0": "0 (co-surgeons not permitted)",
    "1": "1 (co-surgeons paid only when documentation establishes the medical necessity of two surgeons)",
    "2": "2 (co-surgeons permitted)",
    "9": "9 (co-surgeon concept does not apply)",
}

TEAM_WORDS: Mapping[str, str] = {
    "0": "0 (team surgeons not permitted)",
    "1": "1 (team surgeons paid only when documentation establishes the medical necessity of a team; pay by report)",
    "2": "2 (team surgeons permitted; pay by report)",
    "9": "9 (team surgery concept does not apply)",
}

PCTC_WORDS: Mapping[str, str] = {
    "0": "0 (physician service: it has no professional and technical components)",
    "1": "1 (diagnostic test with professional and technical components: 26 and TC apply)",
    "2": "2 (professional component only code: the code itself is the professional component)",
    "3": "3 (technical component only code: the code itself is the technical component)",
    "4": "4 (global test only code: its components are billed with their own codes)",
    "5": "5 (incident-to service)",
    "6": "6 (laboratory physician interpretation: 26 applies, TC does not)",
    "7": "7 (physical therapy service)",
    "8": "8 (physician interpretation of an abnormal smear: neither component is billed with a modifier)",
    "9": "9 (professional/technical component concept does not apply)",
}

STATUS_WORDS: Mapping[str, str] = {
    "A": "A (active: paid separately under the fee schedule)",
    "B": "B (bundled: payment is always included in the payment for other services)",
    "C": "C (contractor priced)",
    "D": "D (deleted code)",
    "E": "E (excluded from the fee schedule by regulation; may be paid under another fee schedule)",
    "F": "F (deleted code, no grace period)",
    "G": "G (not valid for Medicare: Medicare uses another code for this service)",
    "H": "H (deleted modifier: this code's 26 or TC component no longer exists)",
    "I": "I (not valid for Medicare: Medicare uses another code for this service)",
    "J": "J (anesthesia service)",
    "M": "M (measurement code: reporting only, no payment)",
    "N": "N (non-covered service)",
    "P": "P (bundled or excluded: no separate payment under the fee schedule)",
    "R": "R (restricted coverage: special coverage instructions apply; contractor priced if covered)",
    "T": "T (injection: paid only when no other fee schedule service is billed that day by the same provider)",
    "X": "X (statutory exclusion from the fee schedule; may be paid under another fee schedule)",
}


def described(words: Mapping[str, str], value: str) -> str:
    """The value in words; a value CMS does not define is named as such rather than guessed at."""
    return words.get(value) or f"{value} (a value the CMS record layout does not define)"
