"""The Hypothesis profile of the fuzz tests: CI-sized, deterministic, no deadline.

NAPFLOW_FUZZ_EXAMPLES raises the number of examples for a longer, local run.
"""

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("NAPFLOW_FUZZ_EXAMPLES", "100"))
STATEFUL_STEPS = int(os.environ.get("NAPFLOW_FUZZ_STATEFUL_STEPS", "25"))

settings.register_profile(
    "napflow-fuzz",
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    deadline=None,  # PostgreSQL answers in variable time; slowness is not what is tested
    database=None,
    print_blob=True,
    # One app and database per operation, shared by its examples on purpose: state built by
    # one example (plans, reviewers) is what the next one runs into.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile("napflow-fuzz")
STATEFUL_EXAMPLES = int(os.environ.get("NAPFLOW_FUZZ_STATEFUL_EXAMPLES", "50"))
