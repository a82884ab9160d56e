"""The WSGI entry point: `gunicorn app.wsgi:app` serves napflow as `napflow serve` does."""

import sys

from app import create_app, serving_refusal
from config import ConfigError

# Exit status 4 is gunicorn's "the application failed to load": its master then stops instead
# of starting worker after worker. The reason is one line on stderr, not a traceback.
APP_LOAD_ERROR = 4

try:
    app = create_app()
    refusal = serving_refusal(app)
except ConfigError as err:
    refusal = str(err)
if refusal:
    print(f"napflow: {refusal}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
