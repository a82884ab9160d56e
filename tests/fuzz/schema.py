"""The API's own OpenAPI document as schemathesis reads it, with the checks configured."""

import schemathesis
from schemathesis.config import SchemathesisConfig

from api import create_app
from tests.fuzz import steering

CONFIG = SchemathesisConfig.from_dict({
    "checks": {
        # Data valid for the schema may still be refused by rules a schema cannot express,
        # and the contract says how: 422 validation_error (an unknown reviewer, a period that
        # ends before it starts, a country not on the ISO list), guard_failed or
        # unknown_trigger; 409 for the wrong state; 412/428 for If-Match.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422", "428"],
        },
    },
})


def load_schema() -> schemathesis.schemas.BaseSchema:
    """The document is the same whatever the database: it is read once, from a bare app."""
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)
    schema.hook(steering.flatmap_path_parameters)
    schema.hook(steering.flatmap_body)
    return schema
