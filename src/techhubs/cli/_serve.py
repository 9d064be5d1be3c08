"""`techhubs serve` (API + dashboard) and `techhubs report` (one self-contained HTML file)."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

import click

from techhubs.errors import TechhubsError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (127.0.0.1: this machine only).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--results", "results", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="A `techhubs build` results folder to serve beside the bundled editions "
              "(repeatable).")
@click.option("--data", "data", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="A panel data file to serve, e.g. `techhubs enrich` output (repeatable); "
              "the dashboard opens on it.")
@click.option("--method", "-m", metavar="PRESET|FILE",
              help="The method the --data files open with (default: hub-factors when they "
              "have its factors, else gii-clusters).")
@click.option("--no-browser", is_flag=True, help="Do not open the dashboard in a browser.")
@click.option("--max-runs", default=2000, show_default=True, type=click.IntRange(10, 100_000),
              help="Most Monte Carlo runs one re-rank may ask for.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another host name (or address) browsers may use to reach the server "
              "(repeatable). Always allowed: localhost, 127.0.0.1, ::1 and --host.")
def serve(host: str, port: int, results: tuple[Path, ...], data: tuple[Path, ...],
          method: str | None, no_browser: bool, max_runs: int,
          allowed_hosts: tuple[str, ...]) -> None:
    """Serve the REST API (/api, schema at /openapi.json) and the dashboard (/).

    The server is read-only: it serves the bundled editions and the results
    folders and data files named here, nothing else. It answers only requests addressed to
    its allowed host names (others get 400, which stops DNS-rebinding pages),
    and sends a strict Content-Security-Policy. Stop it with Ctrl-C.
    """
    import uvicorn

    from techhubs.api import LOOPBACK_HOSTS, Limits, create_app

    wildcard = host in ("0.0.0.0", "::", "")
    names = (*LOOPBACK_HOSTS, *(() if wildcard else (host,)), *allowed_hosts)
    if wildcard and not allowed_hosts:
        click.echo(f"note: listening on every interface, but answering only to "
                   f"{', '.join(LOOPBACK_HOSTS)}; add --allowed-host NAME for the names "
                   "other machines use", err=True)
    if method is not None and not data:
        raise TechhubsError("--method goes with --data", key="--method")
    app = create_app(results_dirs=list(results), data_files=[(f, method) for f in data],
                     limits=Limits(max_runs=max_runs), warm=True, allowed_hosts=names)
    url = f"http://{host}:{port}/"
    click.echo(f"techhubs dashboard on {url} (API schema: {url}openapi.json); Ctrl-C stops")
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command()
@click.option("--edition", "-e", default=None, metavar="NAME",
              help="Bundled edition (default gii-2023).")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A panel data file (CSV/TSV/Parquet) instead of an edition.")
@click.option("--method", "-m", default=None, metavar="PRESET|FILE",
              help="Methodology preset or TOML file (default: the edition's own).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A `techhubs build` results folder instead of an edition.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="The HTML file to write.")
@click.option("--runs", default=500, show_default=True, type=click.IntRange(0, 100_000),
              help="Monte Carlo runs for the rank intervals (0: no intervals).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--weight-uncertainty", default=0.25, show_default=True,
              type=click.FloatRange(0, 1), help="Weights vary by +/- this share.")
def report(edition: str | None, data: Path | None, method: str | None, results: Path | None,
           out: Path, runs: int, seed: int, weight_uncertainty: float) -> None:
    """Write one self-contained HTML report: ranking, rank intervals, map,
    methodology, data provenance and a page per hub. It opens offline."""
    from techhubs.cli._console import Steps
    from techhubs.report import build_report

    if results is not None and (edition or data):
        raise TechhubsError("give --results or --edition/--data, not both", key="--results")
    with Steps("report") as steps:
        path = build_report(out, edition=edition, data=data, method=method, results=results,
                            runs=runs, seed=seed, weight_uncertainty=weight_uncertainty,
                            progress=lambda text: steps.update(step=text))
    click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
