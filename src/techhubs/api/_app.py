"""The FastAPI application: REST API under ``/api`` and the dashboard at ``/``.

Read-only by construction: the sources (bundled editions, results folders
named at start-up) are fixed when the app is created, no endpoint takes a
filesystem path, and no endpoint writes anything. Routes live in one router per
tag (``_catalogue``, ``_rankings``, ``_units``, ``_geo``, ``_published``) and
receive the app's store and limits as dependencies (:mod:`techhubs.api._deps`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techhubs._version import __version__
from techhubs.api import _catalogue, _geo, _published, _rankings, _units
from techhubs.api._deps import Limits, parse_weights
from techhubs.api._export import json_response
from techhubs.api._synthetic import synthetic_source
from techhubs.errors import ComputationError, TechhubsError, UnknownNameError
from techhubs.views.store import (
    Memo,
    Source,
    Store,
    data_source,
    edition_sources,
    results_source,
)


def web_dir() -> Path:
    return Path(str(resources.files("techhubs.web")))


# ------------------------------------------------------------------ errors
def error_response(status: int, error: str, message: str, key: str | None = None,
                   hint: str | None = None, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": error, "message": message, "key": key, "hint": hint},
                         status_code=status, headers=headers)


def error_status(exc: TechhubsError) -> int:
    """404 for an unknown name; 409 when a valid request's method cannot be applied to the
    data it names (a geometric mean of zero scores: the request is fine, the data and the
    method conflict); 422 for a request that breaks a rule."""
    if isinstance(exc, UnknownNameError):
        return 404
    return 409 if isinstance(exc, ComputationError) else 422


def _techhubs_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, TechhubsError)
    return error_response(error_status(exc), type(exc).__name__, exc.message, exc.key,
                          exc.hint)


def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return error_response(422, "ValidationError",
                              f"the request body is not valid JSON ({first.get('msg')})",
                              "body", "send a JSON object, e.g. {\"weights\": {}}")
    key = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "body") else loc) or None
    message = f"{'.'.join(loc)}: {first.get('msg')}" if loc else str(first.get("msg"))
    hint = None
    if len(errors) > 1:
        hint = f"{len(errors) - 1} more problem(s): " + "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors[1:4])
    return error_response(422, "ValidationError", message, key, hint)


def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # A body that cannot be decoded at all: the same answer as malformed JSON.
        return error_response(422, "ValidationError", f"the request body cannot be read "
                              f"({exc.detail})", "body", "send a UTF-8 JSON object")
    name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
    # Keep the handler's headers (e.g. Allow on a 405, as RFC 9110 requires).
    return error_response(exc.status_code, name, str(exc.detail),
                          headers=dict(exc.headers or {}))


class _TwiceError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _TwiceError(key)
        seen[key] = value
    return seen


def _duplicate_key(body: bytes, scope: Scope) -> str | None:
    """A key that a JSON body gives twice in one object (else None; other problems of the
    body are left to the request's own validation)."""
    headers = dict(scope.get("headers", ()))
    if not body or b"json" not in headers.get(b"content-type", b""):
        return None
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except _TwiceError as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    return None


class BodyLimit:
    """Answer 413 to any request body over ``max_bytes`` (declared or streamed), and 422 to
    a JSON body that gives a key twice."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        twice = _duplicate_key(body, scope)
        if twice is not None:
            response = error_response(
                422, "ValidationError", f"the request body names {twice!r} twice in one "
                "object", key="body", hint="give each key once (JSON readers differ on "
                "which of two values they keep)")
            await response(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "PayloadTooLarge", f"request body over the limit of {self.max_bytes} bytes",
            key="body", hint="send fewer weights or split the request")
        await response(scope, receive, send)


REPEATABLE_PATHS = frozenset({"/api/rankings"})
"""GET routes whose answer depends only on the path and query (and the data fixed when the
server started), kept by :class:`RepeatCache`."""


class RepeatCache:
    """Answer a GET that repeats one already answered (same path, same query bytes) with
    the bytes of that answer, before routing and query parsing: reloading a permalink or
    switching back to a dashboard filter costs a lookup. Only complete 200 answers of
    :data:`REPEATABLE_PATHS` are kept, at most ``size`` (least recently used out first);
    they cannot go stale, as every answer comes from data fixed at start-up."""

    def __init__(self, app: ASGIApp, size: int) -> None:
        self.app = app
        self.memo = Memo(size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or scope["path"] not in REPEATABLE_PATHS):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        kept = self.memo.get(key)
        if kept is not None:
            for message in kept:  # fresh dicts: an outer layer may add headers to them
                await send({**message, "headers": list(message.get("headers", ()))})
            return
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append({**message, "headers": list(message.get("headers", ()))})
            await send(message)

        await self.app(scope, receive, keep)
        if (len(messages) == 2 and messages[0]["type"] == "http.response.start"
                and messages[0]["status"] == 200 and not messages[1].get("more_body")):
            self.memo.put(key, tuple(messages))


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Host names a local server answers to unless told more (``techhubs serve --allowed-host``)."""

SECURITY_HEADERS = {
    # Scripts, styles and data only from this server: no inline script, no eval, no
    # framing (clickjacking), no plugins; the favicon is a data: URL.
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def host_name(header: str) -> str:
    """The name of a ``Host`` header without its port: ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """Every answer carries :data:`SECURITY_HEADERS`; a request whose ``Host`` is not
    allowed gets 400, so that a web page on another name (DNS rebinding) cannot
    read a local server."""

    _EXTRA = tuple((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = {host_name(h) for h in allowed_hosts}
        self.allowed_raw = {h.encode("latin-1") for h in self.allowed}

    def _host_allowed(self, scope: Scope) -> bool:
        if self.any_host:
            return True
        for name, value in scope.get("headers", ()):
            if name == b"host":
                # the common case, a bare allowed name, without decoding
                return value in self.allowed_raw or \
                    host_name(value.decode("latin-1")) in self.allowed
        return True  # HTTP/1.0 without Host: no browser sends that

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self._EXTRA]
            await send(message)

        if not self._host_allowed(scope):
            response = error_response(
                400, "BadHost", "this server does not answer to that host name",
                key="Host", hint="open the dashboard on a name the server allows "
                f"({', '.join(sorted(self.allowed))}), or start it with --allowed-host NAME")
            await response(scope, receive, secured)
            return
        await self.app(scope, receive, secured)


def create_app(results_dirs: Sequence[str | Path] = (), limits: Limits | None = None, *,
               data_files: Sequence[str | Path | tuple[str | Path, str | Path | None]] = (),
               synthetic: tuple[int, int] | None = None, editions: bool = True,
               warm: bool = False, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    results_dirs:
        ``techhubs build`` output folders to serve beside the bundled editions
        (validated now; a bad folder raises :class:`~techhubs.errors.DataError`).
    limits:
        Request limits (:class:`Limits`).
    data_files:
        Panel data files to serve (e.g. ``techhubs enrich`` output), each a path or
        ``(path, method)``; validated now.
    synthetic:
        ``(n_units, n_indicators)``: also serve a synthetic random panel named
        ``synthetic-<n>x<k>`` (for benchmarks; its values are random numbers).
    editions:
        Serve the bundled editions (default).
    warm:
        Fit the default source and match its published rankings in a background
        thread now, so that the first visitor does not wait for them.
    allowed_hosts:
        Host names (``Host`` header, port aside) the app answers; others get 400.
        Default: the loopback names. ``"*"`` answers any (behind a proxy that checks).
    """
    limits = limits or Limits()
    sources: list[Source] = []
    if synthetic is not None:
        sources.append(synthetic_source(*synthetic))
    if editions:
        sources += edition_sources()
    sources += [results_source(d) for d in results_dirs]
    sources += [data_source(*(f if isinstance(f, tuple) else (f,))) for f in data_files]
    if not sources:
        raise TechhubsError("nothing to serve: no edition and no results folder",
                            hint="keep the bundled editions or give --results DIR")
    # What the dashboard opens on comes first: a data file named on the command line, else
    # the bundled default edition, else a results folder.
    sources.sort(key=lambda s: (s.kind != "data", s.kind != "edition", s.kind != "results"))
    store = Store(sources, cache_size=limits.cache_size)

    if warm:
        def _warm() -> None:
            try:
                store.fitted(store.default_source, None)
                store.published(store.default_source)
            except TechhubsError:
                pass  # the same error reaches the first request that needs it

        threading.Thread(target=_warm, name="techhubs-warm-up", daemon=True).start()

    app = FastAPI(
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: off, so the
        # server stays usable offline; the schema itself is at /openapi.json.
        docs_url=None, redoc_url=None,
        title="techhubs",
        version=__version__,
        description="Rankings, profiles and what-if re-ranking of technology hubs. "
        "Read-only: every answer comes from the bundled editions and the build results "
        "named when the server started.",
    )
    app.state.store = store
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(RepeatCache, size=limits.cache_size)
    app.add_middleware(Guard, allowed_hosts=tuple(allowed_hosts))  # outermost: runs first
    app.add_exception_handler(TechhubsError, _techhubs_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    static = web_dir() / "static"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> Response:
        return FileResponse(static / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static), name="static")
    # the busiest routes first: routes are matched in order
    for router in (_rankings.build_router(limits), _units.router, _catalogue.router,
                   _geo.router, _published.router):
        app.include_router(router)
    return app


__all__ = ["LOOPBACK_HOSTS", "REPEATABLE_PATHS", "SECURITY_HEADERS", "BodyLimit", "Guard",
           "Limits", "RepeatCache", "create_app", "error_response", "parse_weights",
           "web_dir"]
