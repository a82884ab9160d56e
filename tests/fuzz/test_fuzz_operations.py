"""Every operation of the OpenAPI document, fuzzed with all of schemathesis' checks.

Each operation gets its own app and database (SQLite and PostgreSQL), seeded with a plan in
every state; its examples (explicit, coverage and random, positive and negative) run as
callers chosen from the cast, most often a user holding every national role for Thailand.
"""

import zlib

import schemathesis
from hypothesis import settings

from tests.fuzz.schema import load_schema, sent_without_token
from tests.fuzz.settings import FUZZ

schema = load_schema()

# Who sends an example: chosen from the example itself, so the choice is deterministic.
CALLERS = ("fuzzer",) * 4 + ("viewer", "vnm_drafter", "committee", "admin", "global_auditor")


@schema.parametrize()
@settings(FUZZ)
def test_operation(case: schemathesis.Case, fuzz_app, fuzzer, people):
    key = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    name = CALLERS[key % len(CALLERS)]
    caller = fuzzer if name == "fuzzer" else people[name]
    case.call_and_validate(headers=None if sent_without_token(case) else caller.headers,
                           app=fuzz_app)


