"""`techhubs robustness`: Monte Carlo rank intervals and Sobol sensitivity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from techhubs import workflows
from techhubs.cli._console import console, fmt_number, rank_span
from techhubs.cli._rank import data_option, denominate_option, edition_option, method_option
from techhubs.robustness.spec import WEIGHT_MODES, WEIGHT_SCOPES


@contextmanager
def progress_bars(*labels: str) -> Iterator[list[Callable[..., None]]]:
    """Rich progress bars on stderr, one ``progress(done, total)`` callback per label."""
    from rich.console import Console

    stderr = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True,
                  disable=not stderr.is_terminal) as bar:
        callbacks: list[Callable[..., None]] = []
        for label in labels:
            task = bar.add_task(label, total=None, visible=False)

            def update(done: int, total: int, task: Any = task) -> None:
                bar.update(task, completed=done, total=total, visible=True)

            callbacks.append(update)
        yield callbacks


def interval_table(result: Any, top: int | None, title: str | None = None) -> Table:
    t = result.table if top is None else result.table.head(top)
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False)
    for col in ("rank", "name", "median", "5-95% interval", f"P(top {result.top})", "min-max"):
        table.add_column(col, justify="left" if col == "name" else "right", no_wrap=True)
    p_top = f"p_top{result.top}"
    for row in t.iter_rows(named=True):
        interval = rank_span(row["rank_p05"], row["rank_p95"])
        scored = row["nominal_rank"] is not None
        table.add_row(fmt_number(row["nominal_rank"]), row["name"],
                      fmt_number(row["median_rank"], 1), interval,
                      f"{row[p_top]:.0%}" if scored else "–",
                      f"{row['rank_min']}–{row['rank_max']}" if scored else "–")
    return table


def sobol_table(sens: Any) -> Table:
    table = Table(title="Sobol indices on the mean absolute rank shift "
                  f"({sens.conf_level:.0%} CI half-width)", box=box.SIMPLE_HEAVY,
                  title_justify="left", pad_edge=False)
    for col in ("factor", "S1", "±", "ST", "± "):
        table.add_column(col, justify="left" if col == "factor" else "right")
    for row in sens.summary.sort("ST", descending=True, nulls_last=True).iter_rows(named=True):
        table.add_row(row["factor"], fmt_number(row["S1"], 3), fmt_number(row["S1_conf"], 3),
                      fmt_number(row["ST"], 3), fmt_number(row["ST_conf"], 3))
    return table


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@click.command()
@edition_option
@data_option
@method_option
@denominate_option
@click.option("--runs", "-r", type=int, default=1000, show_default=True, metavar="N",
              help="Monte Carlo runs (with --sobol: the run budget, N (d+2) with N a power "
                   "of two).")
@click.option("--seed", "-s", type=int, default=0, show_default=True, metavar="S",
              help="Random seed: the same seed gives the same samples and ranks.")
@click.option("--weights", "-w", type=float, metavar="X",
              help="Indicator weights vary by +-X (relative, e.g. 0.25). Default: the "
                   "methodology's [uncertainty] table, else 0.25.")
@click.option("--weight-levels", metavar="L1,L2",
              help="Vary the weights of these tree levels (1 = indicators, 2 = pillars, "
                   "3 = sub-indices, as COINr) by +-X of --weights (default 0.25).")
@click.option("--weight-mode", type=click.Choice(WEIGHT_MODES),
              help="uniform +-X, or a Dirichlet around the nominal weights.")
@click.option("--concentration", type=float, metavar="C",
              help="Dirichlet concentration (larger = closer to nominal).")
@click.option("--weight-scope", type=click.Choice(WEIGHT_SCOPES),
              help="Vary indicator weights only, or every node's weight.")
@click.option("--normalisation", metavar="M1,M2",
              help="Normalisations to sample from, e.g. 'minmax:low=1,zscore:mean=100:sd=10'.")
@click.option("--aggregation", metavar="A1,A2",
              help="Aggregations to sample from, e.g. 'arithmetic,geometric'.")
@click.option("--imputation", metavar="I1,I2", help="Imputations, e.g. 'none,mean'.")
@click.option("--treatment", metavar="on,off", help="Outlier treatment on and/or off.")
@click.option("--leave-one-out/--no-leave-one-out", default=None,
              help="Leave one indicator (or none) out in each run.")
@click.option("--sobol", is_flag=True, help="Also compute first/total-order Sobol indices.")
@click.option("--top", "-n", type=int, default=20, show_default=True, metavar="N",
              help="Rows of the printed table (files hold every unit).")
@click.option("--out", "-o", type=click.Path(path_type=Path), metavar="DIR",
              help="Write intervals (CSV/JSON/Parquet), samples, Sobol indices and plots "
                   "into DIR.")
@click.option("--plot", type=click.Choice(["png", "svg", "none"]), default="png",
              show_default=True, help="Plot format for --out.")
def robustness(edition: str | None, data: Path | None, method: str | None,
               denominate: bool | None, runs: int, seed: int, weights: float | None,
               weight_levels: str | None, weight_mode: str | None,
               concentration: float | None, weight_scope: str | None,
               normalisation: str | None, aggregation: str | None, imputation: str | None,
               treatment: str | None, leave_one_out: bool | None, sobol: bool, top: int,
               out: Path | None, plot: str) -> None:
    """How sure is each rank? Rank intervals under methodological uncertainty.

    Samples the uncertain inputs (weights, normalisation, aggregation,
    imputation, outlier treatment, leaving one indicator out) declared in the
    methodology's [uncertainty] table, overridden by the options, and ranks
    every run. Prints each unit's nominal and median rank, 5-95% rank
    interval and probability of a top-10 place; --sobol adds variance-based
    sensitivity indices of each input.

    \b
    Examples:
      techhubs robustness                       # GII 2023, weights +-25%
      techhubs robustness --runs 10000 --weights 0.5 --out robustness/
      techhubs robustness --data asem_iData.csv --method asem_iMeta.csv \\
          --weight-levels 2,3 --weights 0.25 --runs 500
      techhubs robustness --data my.csv --method my.toml --sobol --runs 4096 \\
          --aggregation arithmetic,geometric --normalisation minmax:low=1,rank
    """
    overrides: dict[str, Any] = {
        "weights": weights, "weight_mode": weight_mode, "concentration": concentration,
        "weight_scope": weight_scope, "normalisation": _split(normalisation),
        "aggregation": _split(aggregation), "imputation": _split(imputation),
        "treatment": _split(treatment), "leave_one_out": leave_one_out,
    }
    if weight_levels is not None:
        overrides["weights"] = {"levels": _split(weight_levels) or [],
                                "noise": 0.25 if weights is None else weights}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    from techhubs.robustness import robustness_report, write_report

    composite = workflows.fit(edition=edition, data=data, method=method,
                                denominate=denominate)
    with progress_bars("Monte Carlo runs", "Sobol runs") as (mc, sb):
        report = robustness_report(composite, overrides=overrides or None, runs=runs,
                                   seed=seed, sobol=sobol, progress=mc, sobol_progress=sb)
    c = console()
    iv = report.intervals
    title = (f"Rank intervals: {iv.runs:,} runs, seed {seed}, "
             f"{len(iv.factors)} uncertain input(s)")
    c.print(interval_table(iv, top, title))
    if report.sensitivity is not None:
        c.print(sobol_table(report.sensitivity))
    for note in report.notes:
        c.print(f"[dim]{escape(note)}[/]")
    if out is not None:
        files = write_report(report, out, None if plot == "none" else plot)
        click.echo(f"wrote {', '.join(sorted(p.name for p in files.values()))} to {out}",
                   err=True)


__all__ = ["robustness"]
