from models import Plan


def test_make_plan_reaches_every_state(make_plan, session_factory):
    for state in ("draft", "stakeholder_review", "national_approval", "approved", "submitted",
                  "acknowledged", "withdrawn"):
        plan_id = make_plan(state)
        with session_factory() as session:
            assert session.get(Plan, plan_id).state == state
