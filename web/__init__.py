"""The pages: server-rendered HTML for people, calling the operations the API calls.

`init_app` is called by the composition root after the API is registered (the page errors
wrap the API's error handlers, see web/errors.py). web/ never imports api/.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    # The page modules add their views to the one blueprint as they are imported.
    from web import (  # noqa: F401
        account,
        audit,
        auth,
        errors,
        history,
        i18n,
        navigation,
        plans,
        plans_list,
        security,
        status,
        tasks,
        terms,
    )
    from web.blueprint import bp

    i18n.init_app(app)
    terms.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    app.jinja_env.globals["navigation_items"] = navigation.items
    app.register_blueprint(bp)
    errors.init_app(app)
