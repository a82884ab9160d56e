"""The Hypothesis profile of the fuzz tests: deterministic, no deadline, sized by tests/sizes.py
(10 examples per operation by default, 100 in CI; NAPFLOW_FUZZ_EXAMPLES sets it).
"""

from hypothesis import HealthCheck, settings

from tests.sizes import FUZZ_EXAMPLES

settings.register_profile(
    "napflow-fuzz",
    max_examples=FUZZ_EXAMPLES,
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
