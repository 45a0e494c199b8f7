"""Which edits exist: the built-in ones, listed here, and those outside packages add.

An outside package adds an edit through the entry-point group `claim_edit.edits`:

    [project.entry-points."claim_edit.edits"]
    my-edit-name = "my_package.my_module:MyEdit"
"""

from __future__ import annotations

from importlib.metadata import entry_points

from edits.base import Edit
from edits.fee_schedule.modifier_50_on_addon import Modifier50OnAddon
from edits.fee_schedule.modifier_51_on_addon import Modifier51OnAddon
from edits.history.duplicate_service import DuplicateService
from edits.history.original_claim_not_found import OriginalClaimNotFound
from edits.ncci.addon_without_primary import AddonWithoutPrimary
from edits.ncci.mue_units_exceeded import MueUnitsExceeded

ENTRY_POINT_GROUP = "claim_edit.edits"

BUILTIN_EDITS: tuple[type[Edit], ...] = (
    AddonWithoutPrimary,
    MueUnitsExceeded,
    Modifier50OnAddon,
    Modifier51OnAddon,
    DuplicateService,
    OriginalClaimNotFound,
)


class RegistryError(ValueError):
    """Two edits with one name, or a plugin that is not an Edit."""


def plugin_edits() -> tuple[type[Edit], ...]:
    found: list[type[Edit]] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        edit = point.load()
        if not (isinstance(edit, type) and issubclass(edit, Edit)):
            raise RegistryError(f"entry point {point.name!r} ({point.value}) is not an edits.base.Edit subclass")
        if edit.name != point.name:
            raise RegistryError(f"entry point {point.name!r} loads an edit named {edit.name!r}; the names must match")
        found.append(edit)
    return tuple(sorted(found, key=lambda e: e.name))


def all_edits() -> tuple[type[Edit], ...]:
    """Built-in edits first, in their listed order, then plugins by name."""
    edits = BUILTIN_EDITS + plugin_edits()
    seen: set[str] = set()
    for edit in edits:
        if edit.name in seen:
            raise RegistryError(f"two edits are named {edit.name!r}")
        seen.add(edit.name)
    return edits
