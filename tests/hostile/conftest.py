"""Hypothesis profiles for the fuzz tests: `hostile` (the default: a few hundred examples, seconds) and `long`.

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/hostile/test_fuzz.py       # 20,000 examples per test
    HOSTILE_EXAMPLES=200000 .venv/bin/python -m pytest tests/hostile/test_fuzz.py       # any count

The profiles are only registered here, never loaded globally: the fuzz tests apply `fuzz_settings()`
themselves, so other property tests in the suite keep their own settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("hostile", max_examples=300, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=_QUIET)


def fuzz_settings() -> settings:
    """The profile named by HYPOTHESIS_PROFILE (`hostile` when unset or unknown), with HOSTILE_EXAMPLES overriding its count."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "hostile")
    try:
        chosen = settings.get_profile(name)
    except InvalidArgument:  # another suite's profile name, or a typo: keep the fast default
        chosen = settings.get_profile("hostile")
    examples = os.environ.get("HOSTILE_EXAMPLES")
    return settings(chosen, max_examples=int(examples)) if examples else chosen
