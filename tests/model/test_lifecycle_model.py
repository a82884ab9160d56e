"""Model-based test of the lifecycle: random sequences, checked every step; 140 per database
by default, 1,000 in CI (NAPFLOW_FULL=1). NAPFLOW_MODEL_EXAMPLES=50 runs fewer while working on
the model (the coverage check at the end then may not hold).
"""

import time

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from models.db import write_session
from tests.model import cast
from tests.model.actions import Stats
from tests.model.machine import LifecycleMachine
from tests.sizes import MODEL_EXAMPLES
from workflow import users
from workflow.engine import default_registry

settings.register_profile(
    "napflow-model-ci", max_examples=MODEL_EXAMPLES, stateful_step_count=20, derandomize=True,
    database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])



def test_lifecycle_model(engine, session_factory, record_property):
    with write_session(session_factory) as session:
        for name in cast.USERNAMES:
            users.add_user(session, "test", name, cast.grant_strings(name))
    stats = Stats()
    machine = type("Lifecycle", (LifecycleMachine,),
                   {"engine": engine, "factory": session_factory, "stats": stats})
    started = time.perf_counter()
    run_state_machine_as_test(machine, settings=settings.get_profile("napflow-model-ci"))
    seconds = time.perf_counter() - started

    figures = (f"{engine.dialect.name}: {stats.sequences} sequences, {stats.steps} steps, "
               f"{sum(stats.refused.values())} refused, {seconds:.1f} s")
    print(f"\nlifecycle model {figures}\n  done: {dict(stats.done)}\n"
          f"  refused: {dict(stats.refused)}\n  guard failed: {dict(stats.guard_failed)}\n"
          f"  states: {dict(stats.states)}")
    record_property("lifecycle_model", figures)
    # The sequences went everywhere: every state, every trigger taken, every kind of refusal.
    wf = default_registry().get("nap-1540")
    assert set(stats.states) == set(wf.states)
    assert set(wf.triggers) <= set(stats.done)
    assert set(stats.refused) == {
        "NotFound", "ValidationFailed", "UnknownTrigger", "Forbidden", "InvalidTransition",
        "NotEditable", "PreconditionFailed", "PreconditionRequired", "GuardFailed"}
