"""How big the random and load tests run: small by default, full with NAPFLOW_FULL=1.

`make test` runs them small, so that the whole suite finishes in a few minutes; CI (`.ci/run`)
sets NAPFLOW_FULL=1 for the full, documented sizes. Each size can also be set on its own
(NAPFLOW_MODEL_EXAMPLES=500...), which wins over both. Every size is fixed, never random: the
small run is the same run every time, and so is the full one.
"""

import os

FULL = os.environ.get("NAPFLOW_FULL") == "1"


def size(variable: str, small: int, full: int) -> int:
    """The size NAPFLOW_<variable> asks for, else `full` under NAPFLOW_FULL=1, else `small`."""
    value = os.environ.get(variable)
    return int(value) if value else (full if FULL else small)


# The model-based test: sequences per database. The test asserts that its (derandomized)
# sequences reach every state, every trigger and every kind of refusal: at 140 they do, on
# both databases (they are the same sequences); at 100 they do not.
MODEL_EXAMPLES = size("NAPFLOW_MODEL_EXAMPLES", 140, 1000)
# schemathesis: examples per operation, and the stateful phase's runs and steps.
FUZZ_EXAMPLES = size("NAPFLOW_FUZZ_EXAMPLES", 10, 100)
FUZZ_STATEFUL_EXAMPLES = size("NAPFLOW_FUZZ_STATEFUL_EXAMPLES", 5, 50)
FUZZ_STATEFUL_STEPS = size("NAPFLOW_FUZZ_STATEFUL_STEPS", 25, 25)
# The crash test: SIGKILLs per database.
CRASH_KILLS = size("NAPFLOW_CRASH_KILLS", 2, 5)
