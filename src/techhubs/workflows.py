"""The public Python API: the same operations as the command line.

>>> import techhubs
>>> ranking = techhubs.rank()                  # GII 2023 edition, gii-clusters method
>>> ranking.table.head(3)["name"].to_list()
['Tokyo–Yokohama', 'Shenzhen–Hong Kong–Guangzhou', 'Seoul']
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.datasets.editions import edition_info, list_editions, load_edition
from techhubs.errors import TechhubsError
from techhubs.index.coinr import is_imeta, methodology_from_imeta, panel_from_idata
from techhubs.index.composite import Composite
from techhubs.index.explain import Explanation
from techhubs.index.explain import explain as _explain
from techhubs.index.ranking import Ranking
from techhubs.methodology import Methodology, load_methodology
from techhubs.panel import Panel
from techhubs.presets import list_presets
from techhubs.robustness import rank_intervals as _rank_intervals
from techhubs.robustness import resolve_spec, robustness_report

DEFAULT_EDITION = "gii-2023"


def load_panel(edition: str | None = None, data: str | Path | Panel | None = None,
               method: Methodology | None = None) -> Panel:
    """The panel to rank: a bundled edition (default ``gii-2023``) or a data file."""
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
    if data is None:
        return edition_info(edition or DEFAULT_EDITION).method
    return "gii-clusters"


def fit(edition: str | None = None, data: str | Path | Panel | None = None,
        method: str | Path | Methodology | None = None,
        denominate: bool | None = None) -> Composite:
    """Fit a :class:`Composite` (the full build, with every intermediate step kept).

    ``denominate`` overrides the methodology's ``[denominate]`` step: True
    divides indicators by the denominators they name, False keeps raw values.
    """
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


def _load_method(method: str | Path) -> Methodology:
    if is_imeta(method):
        return methodology_from_imeta(method)
    return load_methodology(method)


def rank(edition: str | None = None, data: str | Path | Panel | None = None,
         method: str | Path | Methodology | None = None, top: int | None = None,
         economy: str | None = None, denominate: bool | None = None) -> Ranking:
    """Rank an edition or a data file with a methodology (preset name or TOML file)."""
    return fit(edition, data, method, denominate).ranking_.filter_economy(economy).top(top)


def explain(unit: str, edition: str | None = None, data: str | Path | Panel | None = None,
            method: str | Path | Methodology | None = None,
            denominate: bool | None = None) -> Explanation:
    """Score decomposition, strengths/weaknesses and gaps for one unit."""
    return _explain(fit(edition, data, method, denominate), unit)


def editions() -> list[dict[str, Any]]:
    return [e.to_dict() for e in list_editions()]


def methods() -> list[dict[str, str]]:
    return list_presets()


def rank_intervals(edition: str | None = None, data: str | Path | Panel | None = None,
                   method: str | Path | Methodology | None = None, spec: Any = None,
                   runs: int = 1000, seed: int | None = 0, progress: Any = None,
                   weights: float | None = None, denominate: bool | None = None) -> Any:
    """Monte Carlo rank intervals (:class:`techhubs.robustness.IntervalResult`).

    The uncertainty is ``spec``, else the methodology's ``[uncertainty]``
    table, else +-25% on every indicator weight; ``weights=x`` overrides the
    weight range.
    """

    composite = fit(edition, data, method, denominate)
    s = resolve_spec(composite.methodology_, spec,
                     {"weights": weights} if weights is not None else None)
    return _rank_intervals(composite, s, runs=runs, seed=seed, progress=progress)


def robustness(edition: str | None = None, data: str | Path | Panel | None = None,
               method: str | Path | Methodology | None = None,
               overrides: dict[str, Any] | None = None, runs: int = 1000,
               seed: int | None = 0, sobol: bool = False, progress: Any = None,
               denominate: bool | None = None) -> Any:
    """Rank intervals and, with ``sobol=True``, Sobol indices
    (:class:`techhubs.robustness.RobustnessReport`). ``overrides`` are
    ``[uncertainty]`` keys replacing the methodology's own."""

    composite = fit(edition, data, method, denominate)
    return robustness_report(composite, overrides=overrides, runs=runs, seed=seed,
                             sobol=sobol, progress=progress)
