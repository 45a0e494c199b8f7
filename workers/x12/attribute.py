"""Which claims each implementation-guide error refuses: by envelope, and inside a transaction by segment position.

An envelope error (interchange, group, transaction: counts, control numbers, trailers) refuses every claim
inside it. A segment error refuses the claim whose segments span its position; one outside every claim
(header, billing provider, subscriber loops) refuses the claims of its transaction, which all depend on those.
Indexed so that a file with as many errors as segments costs O(errors log claims + claims), not their product.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict

from workers.x12.drafts import ClaimDraft
from workers.x12.validate import GuideError

MISSING_SEGMENT = "3"
"""pyx12's code for a mandatory segment missing: reported at the segment where it noticed, often the next loop's first."""

Scope = tuple[str, ...]


class _Index:
    def __init__(self, claims: list[ClaimDraft]) -> None:
        self.members: dict[Scope, list[int]] = defaultdict(list)
        spans: dict[Scope, list[tuple[int, int, int]]] = defaultdict(list)
        for index, claim in enumerate(claims):
            e = claim.envelope
            for scope in ((e.interchange,), (e.interchange, e.group), (e.interchange, e.group, e.transaction)):
                self.members[scope].append(index)
            spans[(e.interchange, e.group, e.transaction)].append((claim.first_st_position, claim.last_st_position, index))
        self.spans = {scope: sorted(items) for scope, items in spans.items()}
        self.firsts = {scope: [first for first, _, _ in items] for scope, items in self.spans.items()}

    def claim_at(self, scope: Scope, position: int) -> int | None:
        firsts = self.firsts.get(scope, [])
        k = bisect.bisect_right(firsts, position) - 1
        if k >= 0:
            _, last, index = self.spans[scope][k]
            if position <= last:
                return index
        return None

    def starts_a_claim(self, scope: Scope, position: int) -> bool:
        firsts = self.firsts.get(scope, [])
        k = bisect.bisect_left(firsts, position)
        return k < len(firsts) and firsts[k] == position


def _scope(error: GuideError) -> Scope:
    full = (error.interchange, error.group or "", error.transaction or "")
    return full[: {"interchange": 1, "group": 2}.get(error.level, 3)]


def _where_missing(error: GuideError, index: _Index) -> GuideError:
    """A missing segment noticed at a CLM, or outside every claim (an HL, the SE), is missing from the loop just before."""
    position = error.st_position
    if error.code != MISSING_SEGMENT or error.level != "segment" or position is None or position < 2:
        return error
    scope = _scope(error)
    if index.starts_a_claim(scope, position) or index.claim_at(scope, position) is None:
        return dataclasses.replace(error, st_position=position - 1, file_segment=error.file_segment - 1)
    return error


def attribute(claims: list[ClaimDraft], errors: list[GuideError]) -> tuple[dict[int, GuideError], list[GuideError]]:
    """The first error each claim (by its index in `claims`) is refused for, and the errors that refuse no claim."""
    index = _Index(claims)
    problems: dict[int, GuideError] = {}
    unused: list[GuideError] = []
    whole: set[Scope] = set()  # scopes whose every claim already has its first error
    for raw in errors:
        error = _where_missing(raw, index)
        scope = _scope(error)
        single = index.claim_at(scope, error.st_position) if error.level == "segment" and error.st_position is not None else None
        if single is not None:
            problems.setdefault(single, error)
            continue
        if scope in whole:
            continue
        targets = index.members.get(scope, [])
        if not targets:
            unused.append(error)
            continue
        for target in targets:
            problems.setdefault(target, error)
        whole.add(scope)
    return problems, unused
