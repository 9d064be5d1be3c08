"""REST API and dashboard server: ``create_app(results_dirs=..., limits=...)``.

Run it with ``techhubs serve`` or any ASGI server::

    uvicorn --factory techhubs.api:create_app
"""

from techhubs.api._app import Limits, create_app, parse_weights

__all__ = ["Limits", "create_app", "parse_weights"]
