"""Response headers of every page: a strict Content-Security-Policy and its companions."""

from flask import Flask, Response, request

# Everything a page uses comes from napflow itself; no inline script or style anywhere
# (the layout's one script is a file), so nothing injected into a page can run.
CSP = ("default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
       "object-src 'none'")


def is_page(path: str) -> bool:
    """Pages are everything but the API (under /api/, with its OpenAPI document and the
    health probes)."""
    return not (path.startswith("/api/") or path in ("/openapi.json", "/healthz", "/readyz"))


def init_app(app: Flask) -> None:
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    if not is_page(request.path):
        return response
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        # A page shows what its user may see: no shared cache keeps it, and after sign-out
        # the browser's back button does not show it again.
        response.headers["Cache-Control"] = "no-store"
    return response
