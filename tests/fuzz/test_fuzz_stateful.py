"""The stateful phase: schemathesis follows the document's links from a new plan.

POST /plans answers with the plan's id and ETag; the links lead from there to its edits,
transitions, reviewers, reviews, versions, history and verification, and from those onwards,
so a run chains create -> assign -> review -> transition -> history on one plan, with every
check on every step.
"""

from hypothesis import settings

from tests.fuzz.schema import load_schema, sent_without_token
from tests.fuzz.settings import FUZZ
from tests.fuzz.snapshot import Snapshot
from tests.sizes import FUZZ_STATEFUL_EXAMPLES, FUZZ_STATEFUL_STEPS

schema = load_schema()


def test_links_chain_operations_on_one_plan(fuzz_app, fuzzer):
    seeded = Snapshot(fuzz_app.extensions["napflow.db"].engine)

    class Scenario(schema.as_state_machine()):
        def setup(self):
            seeded.restore()

        def get_call_kwargs(self, case):
            return {"headers": None if sent_without_token(case) else fuzzer.headers,
                    "app": fuzz_app}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The headers tell the checks that the token was given, not generated.
            case.validate_response(response, additional_checks=additional_checks,
                                   headers=kwargs["headers"], transport_kwargs=kwargs)

    Scenario.run(settings=settings(FUZZ, max_examples=FUZZ_STATEFUL_EXAMPLES,
                                   stateful_step_count=FUZZ_STATEFUL_STEPS))
