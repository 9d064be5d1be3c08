"""REST API and dashboard server: ``create_app(results_dirs=..., limits=...)``.

Run it with ``techhubs serve`` or any ASGI server::

    uvicorn --factory techhubs.api:create_app
"""

from techhubs.api._app import (
    LOOPBACK_HOSTS,
    SECURITY_HEADERS,
    Limits,
    create_app,
    parse_weights,
)

__all__ = ["LOOPBACK_HOSTS", "SECURITY_HEADERS", "Limits", "create_app", "parse_weights"]
