"""The claim-edit engine: pure edits over a claim's service lines, with CMS reference data.

    from edits import Engine, load_default_reference
    engine = Engine(load_default_reference())
    findings = engine.run(claim)
"""

from edits.base import Edit
from edits.engine import Engine, run
from edits.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from edits.reference.model import Reference, ReferenceSet
from edits.reference.snapshot import load_default_reference, load_snapshot
from edits.registry import all_edits

__all__ = [
    "DEFAULT_POLICY",
    "Edit",
    "Engine",
    "Policy",
    "PolicyError",
    "Reference",
    "ReferenceSet",
    "all_edits",
    "load_default_reference",
    "load_policy",
    "load_snapshot",
    "run",
]
