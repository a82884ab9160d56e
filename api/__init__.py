"""The HTTP API: blueprints under /api/v1/, the request pipeline, problem+json errors."""
