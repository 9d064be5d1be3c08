"""The public Python API: the same operations as the command line.

Every function here is re-exported by :mod:`techhubs` and documented in
``docs/api.md`` (generated from these docstrings, whose examples run as
doctests in the test suite).

>>> import techhubs
>>> ranking = techhubs.rank()                  # GII 2023 edition, gii-clusters method
>>> ranking.table.head(3)["name"].to_list()
['Tokyo–Yokohama', 'Shenzhen–Hong Kong–Guangzhou', 'Seoul']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.datasets.editions import (
    edition_info,
    list_editions,
    load_edition,
    newest_published,
    published_figures,
)
from techhubs.errors import TechhubsError
from techhubs.index.coinr import is_imeta, methodology_from_imeta, panel_from_idata
from techhubs.index.composite import Composite
from techhubs.index.explain import Explanation
from techhubs.index.explain import explain as _explain
from techhubs.index.ranking import Ranking
from techhubs.methodology import Methodology, load_methodology
from techhubs.panel import Panel
from techhubs.presets import list_presets
from techhubs.robustness import (
    IntervalResult,
    RobustnessReport,
    SensitivityResult,
    resolve_spec,
    robustness_report,
)
from techhubs.robustness import rank_intervals as _rank_intervals
from techhubs.robustness import sensitivity as _sensitivity
from techhubs.sources import IngestReport, IngestResult
from techhubs.sources.registry import make_reader

DEFAULT_EDITION = "gii-2023"

Source = str | Path | Panel | None
Method = str | Path | Methodology | None


def load_panel(edition: str | None = None, data: Source = None,
               method: Methodology | None = None) -> Panel:
    """The panel to rank: a bundled edition (default ``gii-2023``) or a data file.

    Parameters
    ----------
    edition : str, optional
        A bundled reference edition (``techhubs.list_editions()``).
    data : str, Path or Panel, optional
        A panel file (CSV/TSV/Parquet: ``unit_id, name, economies``, indicator
        columns) or a COINr ``iData`` table; not together with ``edition``.
    method : Methodology, optional
        Indicator metadata (names, units, directions) for the columns of ``data``.

    Examples
    --------
    >>> import techhubs
    >>> techhubs.load_panel().n_units
    34
    """
    if edition and data is not None:
        raise TechhubsError("give either an edition or a data file, not both",
                            key="--edition/--data")
    if isinstance(data, Panel):
        return data
    if data is not None and _is_coinr_idata(Path(data)):
        return panel_from_idata(pl.read_csv(data, null_values=["NA"], infer_schema_length=0),
                                file=data)
    if data is not None:
        indicators = None
        if method is not None:
            indicators = [{"code": n.code, "name": n.name, "unit": n.unit,
                           "direction": n.direction, "source": n.source,
                           "world_total": n.world_total} for n in method.indicators]
        return Panel.read(data, indicators=indicators)
    return load_edition(edition or DEFAULT_EDITION)


def _is_coinr_idata(path: Path) -> bool:
    """A COINr iData table: a CSV whose header has uCode but no unit_id."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = [c.strip().strip('"') for c in handle.readline().split(",")]
    return "uCode" in header and "unit_id" not in header


def default_method(edition: str | None, data: Any) -> str:
    """The method an edition was published with (``gii-clusters`` for data files)."""
    if data is None:
        return edition_info(edition or DEFAULT_EDITION).method
    return "gii-clusters"


def _load_method(method: str | Path) -> Methodology:
    if is_imeta(method):
        return methodology_from_imeta(method)
    return load_methodology(method)


def fit(edition: str | None = None, data: Source = None, method: Method = None,
        denominate: bool | None = None) -> Composite:
    """Fit a composite index: every build step run, every intermediate table kept.

    Parameters
    ----------
    edition : str, optional
        A bundled reference edition (default ``gii-2023``).
    data : str, Path or Panel, optional
        Your own panel file instead of an edition (or a COINr ``iData`` table).
    method : str, Path or Methodology, optional
        A preset name (``techhubs.methods()``), a methodology TOML file or a COINr
        ``iMeta`` table; default: the edition's own method.
    denominate : bool, optional
        Override the ``[denominate]`` step: True divides indicators by the
        denominators they name, False keeps raw values.

    Returns
    -------
    Composite
        The fitted composite (``data_``, ``node_scores_``, ``ranking_``, ``log_``);
        ``rebuild(...)`` gives variants.

    Examples
    --------
    >>> import techhubs
    >>> coin = techhubs.fit()
    >>> coin.ranking_.table["name"][0]
    'Tokyo–Yokohama'
    >>> int(coin.rebuild(weights={"scientific_publications": 0}).rank_.max())
    34
    """
    if data is None:
        _check_recomputable(edition or DEFAULT_EDITION)
    if method is None:
        method = default_method(edition, data)
    methodology = method if isinstance(method, Methodology) else _load_method(method)
    if denominate is not None:
        methodology = methodology.with_step("denominate",
                                            method="ratio" if denominate else "none")
    panel = load_panel(edition, data, methodology)
    return Composite(methodology).fit(panel)


def build(*args: Any, **kwargs: Any) -> Composite:
    """Deprecated name of :func:`fit` (``techhubs build`` is the pipeline command)."""
    warnings.warn("techhubs.build() is deprecated: use techhubs.fit() (the same fitted "
                  "Composite); `techhubs build` on the command line runs the pipeline",
                  DeprecationWarning, stacklevel=2)
    return fit(*args, **kwargs)


def rank(edition: str | None = None, data: Source = None, method: Method = None,
         top: int | None = None, economy: str | None = None,
         denominate: bool | None = None) -> Ranking:
    """Rank an edition or your data with a methodology.

    Parameters
    ----------
    edition, data, method, denominate
        As in :func:`fit`.
    top : int, optional
        Keep the top N units (units tied at rank N stay in).
    economy : str, optional
        Keep the units of this ISO 3166 alpha-2 economy.

    Returns
    -------
    Ranking
        ``table`` (rank, unit_id, name, economies, score, indicators, published
        reference figures), ``provenance`` and exports (``write``, ``to_csv``).

    Examples
    --------
    >>> import techhubs
    >>> techhubs.rank(top=3).names()
    ['Tokyo–Yokohama', 'Shenzhen–Hong Kong–Guangzhou', 'Seoul']
    >>> techhubs.rank(economy="DE").names()
    ['Munich', 'Cologne', 'Stuttgart']
    """
    if data is None and method is None and denominate is None and edition \
            and not edition_info(edition).recomputable:
        return published_ranking(edition).filter_economy(economy).top(top)
    return fit(edition, data, method, denominate).ranking_.filter_economy(economy).top(top)


def newest_published_line() -> str:
    """One line naming the newest published GII cluster ranking, its top 3 and how to
    show it (printed under the default ranking, which is the newest recomputable one)."""
    info = newest_published()
    top = published_ranking(info.name).table.head(3)
    names = ", ".join(f"{r} {n}" for r, n in zip(top["rank"], top["name"], strict=True))
    return (f"Newest published ranking: {info.title.split(':')[0]} ({info.publisher}) — "
            f"{names}; show it with `techhubs rank -e {info.name}`")


def _check_recomputable(edition: str) -> None:
    info = edition_info(edition)
    if info.recomputable:
        return
    figures = published_figures(edition)
    recomputable = [e.name for e in list_editions() if e.recomputable]
    raise TechhubsError(
        f"{edition} publishes ranks, not the figures a method needs: missing "
        f"{'; '.join(figures['missing'])}; published: {'; '.join(figures['published'])}",
        key="--edition",
        hint=f"rank it as published with `techhubs rank -e {edition}`; recompute, explain "
        f"or test {', '.join(recomputable)}, or your own records (`techhubs build`)")


def published_ranking(edition: str) -> Ranking:
    """A published-ranks edition as a :class:`Ranking`: ranked by the published rank, with
    the figures it publishes (empty where not), and notes saying which are missing.

    Examples
    --------
    >>> import techhubs
    >>> techhubs.rank(edition="gii-2025").names()[:3]
    ['Shenzhen–Hong Kong–Guangzhou', 'Tokyo–Yokohama', 'San Jose–San Francisco']
    """
    panel = load_edition(edition)
    figures = published_figures(edition)
    codes = panel.indicator_codes
    ref = panel.reference if panel.reference is not None else pl.DataFrame()
    table = (panel.units.select("unit_id", "name", "economies")
             .join(panel.values, on="unit_id", how="left")
             .join(ref, on="unit_id", how="left")
             .with_columns(pl.col("published_rank").alias("rank"),
                           pl.lit(None, pl.Float64).alias("score"))
             .select("rank", "unit_id", "name", "economies", "score", *codes,
                     "published_rank", "published_note")
             .sort("rank", "unit_id"))
    provenance = {**panel.provenance, "methodology": "published ranks",
                  "figures": figures, "techhubs": panel.provenance.get("techhubs")}
    notes = (f"published: {'; '.join(figures['published'])}",
             f"not published (marked –): {'; '.join(figures['missing'])}; no score: the "
             "ranks are WIPO's, not recomputed")
    labels = {c: str(panel.indicator_meta(c).get("name") or c) for c in codes}
    return Ranking(table=table, provenance=provenance, indicators=tuple(codes),
                   labels=labels, notes=notes)


def explain(unit: str, edition: str | None = None, data: Source = None,
            method: Method = None, denominate: bool | None = None) -> Explanation:
    """Why a unit ranks where it does: decomposition, strengths, the gap to the unit above.

    Parameters
    ----------
    unit : str
        A unit id or name (matching ignores case, accents and punctuation).
    edition, data, method, denominate
        As in :func:`fit`.

    Examples
    --------
    >>> import techhubs
    >>> why = techhubs.explain("Seoul")
    >>> why.rank, why.above["name"]
    (3, 'Shenzhen–Hong Kong–Guangzhou')
    """
    return _explain(fit(edition, data, method, denominate), unit)


def editions() -> list[dict[str, Any]]:
    """Deprecated: ``[e.to_dict() for e in techhubs.list_editions()]``."""
    warnings.warn("techhubs.editions() is deprecated: use techhubs.list_editions()",
                  DeprecationWarning, stacklevel=2)
    return [e.to_dict() for e in list_editions()]


def methods() -> list[dict[str, str]]:
    """The methodology presets: name, title, description.

    Examples
    --------
    >>> import techhubs
    >>> [m["name"] for m in techhubs.methods()][:2]
    ['gii-clusters', 'gii-intensity']
    """
    return list_presets()


def rank_intervals(edition: str | None = None, data: Source = None, method: Method = None,
                   spec: Any = None, runs: int = 1000, seed: int | None = 0,
                   progress: Any = None, weights: float | None = None,
                   denominate: bool | None = None) -> IntervalResult:
    """Monte Carlo rank intervals: how sure is each rank?

    Parameters
    ----------
    edition, data, method, denominate
        As in :func:`fit`.
    spec : UncertaintySpec or dict, optional
        What is uncertain (weights, normalisation, aggregation, imputation,
        treatment, leave-one-out); default: the methodology's ``[uncertainty]``
        table, else every indicator weight +-25 %.
    runs : int
        Monte Carlo runs.
    seed : int, optional
        The same seed gives the same samples and ranks.
    progress : callable, optional
        ``progress(done, total)`` after each batch of runs.
    weights : float, optional
        Override the weight range (relative half-width, 0.25 = +-25 %).

    Returns
    -------
    IntervalResult
        ``table`` per unit: nominal and median rank, 5-95 % rank interval (R's
        quantile type 7), P(top 10), mean, sd, min and max rank; ``ranks`` of
        every run.

    Examples
    --------
    >>> import techhubs
    >>> result = techhubs.rank_intervals(runs=200, seed=0)
    >>> row = result.table.row(0, named=True)
    >>> row["name"], row["rank_p05"], row["rank_p95"]
    ('Tokyo–Yokohama', 1.0, 1.0)
    """
    composite = fit(edition, data, method, denominate)
    s = resolve_spec(composite.methodology_, spec,
                     {"weights": weights} if weights is not None else None)
    return _rank_intervals(composite, s, runs=runs, seed=seed, progress=progress)


def sensitivity(edition: str | None = None, data: Source = None, method: Method = None,
                spec: Any = None, runs: int | None = None, seed: int | None = 0,
                progress: Any = None, denominate: bool | None = None) -> SensitivityResult:
    """Sobol sensitivity: which uncertain choice drives the ranks.

    Parameters
    ----------
    edition, data, method, denominate
        As in :func:`fit`.
    spec
        As in :func:`rank_intervals`.
    runs : int, optional
        The run budget: the largest Saltelli design ``N (d + 2)`` (N a power of
        two) that fits; default N = 256.
    seed, progress
        As in :func:`rank_intervals`.

    Returns
    -------
    SensitivityResult
        ``summary``: first- and total-order indices (S1, ST) with confidence
        half-widths of each factor on the mean absolute rank shift; ``indices``
        per unit.

    Examples
    --------
    >>> import techhubs
    >>> sens = techhubs.sensitivity(runs=256, seed=0)
    >>> sorted(sens.summary["factor"].to_list())
    ['weight:pct_applications', 'weight:scientific_publications']
    """
    composite = fit(edition, data, method, denominate)
    s = resolve_spec(composite.methodology_, spec)
    return _sensitivity(composite, s, runs=runs, seed=seed, progress=progress)


def robustness(edition: str | None = None, data: Source = None, method: Method = None,
               overrides: dict[str, Any] | None = None, runs: int = 1000,
               seed: int | None = 0, sobol: bool = False, progress: Any = None,
               denominate: bool | None = None) -> RobustnessReport:
    """Rank intervals and, with ``sobol=True``, Sobol indices in one run budget.

    ``overrides`` are ``[uncertainty]`` keys replacing the methodology's own
    (what ``techhubs robustness`` options do).

    Examples
    --------
    >>> import techhubs
    >>> report = techhubs.robustness(runs=200, seed=0)
    >>> report.intervals.runs, report.sensitivity is None
    (200, True)
    """
    composite = fit(edition, data, method, denominate)
    return robustness_report(composite, overrides=overrides, runs=runs, seed=seed,
                             sobol=sobol, progress=progress)


def ingest(fmt: str, files: str | Path | Sequence[str | Path], *,
           out: str | Path | None = None, strict: bool = False, source: str | None = None,
           **options: Any) -> IngestResult | IngestReport:
    """Read records of a public format into points, accounting for every record.

    Parameters
    ----------
    fmt : str
        A reader of the registry: ``crunchbase``, ``patentsview``, ``openalex``,
        ``ror`` or ``table`` (``techhubs.sources.registry.describe()``).
    files : path or list of paths
        The input files.
    out : path, optional
        Stream the points into this Parquet file (constant memory) and return
        the :class:`~techhubs.sources.IngestReport`; without it the points are
        returned in memory.
    strict : bool
        Stop at the first dropped record instead of counting it.
    source : str, optional
        The points' ``source`` label, for readers that take one (``table``).
    **options
        The reader's options (``table``: ``lat``, ``lon`` or ``city``,
        ``country``, ``weight``, ...; ``openalex``: ``institutions``).

    Returns
    -------
    IngestResult or IngestReport
        Points and the report (read = used + dropped by reason, with examples).

    Examples
    --------
    >>> import pathlib, tempfile, techhubs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = path.write_text("name,lat,lon\\nA,48.85,2.35\\nB,91.0,0\\n")
    >>> result = techhubs.ingest("table", path, source="institutions", lat="lat", lon="lon")
    >>> result.report.records_read, result.report.records_used, result.points.height
    (2, 1, 1)
    """
    reader = make_reader(fmt, options, source=source)
    if out is not None:
        return reader.write(files if isinstance(files, Sequence) and not isinstance(files, str)
                            else [files], out, strict=strict)
    return reader.read(files, strict=strict)
