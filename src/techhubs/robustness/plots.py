"""Figures (matplotlib, Agg backend): rank intervals per unit, Sobol index bars."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from techhubs.errors import TechhubsError

if TYPE_CHECKING:
    from techhubs.robustness.sensitivity import SensitivityResult
    from techhubs.robustness.uncertainty import IntervalResult

PLOT_FORMATS = ("png", "svg")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _target(path: str | Path, fmt: str | None) -> tuple[Path, str]:
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in PLOT_FORMATS:
        raise TechhubsError(f"unknown plot format {fmt!r}", file=path,
                            hint=f"use one of: {', '.join(PLOT_FORMATS)}")
    if path.suffix.lstrip(".").lower() != fmt:
        path = path.with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, fmt


def plot_intervals(result: IntervalResult, path: str | Path, fmt: str | None = None,
                   top: int = 40, title: str | None = None) -> Path:
    """Horizontal 5-95% rank intervals, median and nominal rank, best ``top`` units."""
    path, fmt = _target(path, fmt)
    plt = _pyplot()
    table = result.table.sort(["nominal_rank", "unit_id"]).head(top)
    names = [_label(n) for n in table["name"].to_list()]
    y = list(range(len(names)))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.28 * len(names)))
    lo, hi = table["rank_p05"].to_numpy(), table["rank_p95"].to_numpy()
    ax.hlines(y, lo, hi, color="#4477aa", linewidth=4, alpha=0.55, label="5-95% interval")
    ax.plot(table["rank_min"].to_numpy(), y, "|", color="#4477aa", alpha=0.6,
            label="min / max")
    ax.plot(table["rank_max"].to_numpy(), y, "|", color="#4477aa", alpha=0.6)
    ax.plot(table["median_rank"].to_numpy(), y, "o", color="#222222", markersize=4,
            label="median")
    ax.plot(table["nominal_rank"].to_numpy(), y, "x", color="#cc3311", markersize=6,
            label="nominal")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("rank (1 = best)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / (1.2 + 0.28 * len(names))),
              ncol=4, fontsize=8, frameon=False)
    ax.set_title(title or f"Rank intervals over {result.runs:,} runs "
                 f"({', '.join(_short(result.factors))})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=150)
    plt.close(fig)
    return path


def _label(text: str, width: int = 40) -> str:
    """A tick label that fits beside the chart (long names are cut with an ellipsis)."""
    return text if len(text) <= width else text[:width - 1] + "…"


def _short(factors: tuple[str, ...]) -> list[str]:
    kinds: list[str] = []
    for f in factors:
        kind = "weights" if f.startswith("weight:") else f
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def plot_sobol(result: SensitivityResult, path: str | Path, fmt: str | None = None,
               max_factors: int = 30, title: str | None = None) -> Path:
    """First- and total-order indices (with CI) of each factor on the mean absolute rank shift."""
    path, fmt = _target(path, fmt)
    plt = _pyplot()
    summary = result.summary.with_columns(pl.col("ST").fill_null(0.0).alias("_order"))
    summary = summary.sort("_order", descending=True).head(max_factors)
    names = [_label(n) for n in summary["factor"].to_list()]
    x = range(len(names))
    width = 0.4
    fig, ax = plt.subplots(figsize=(max(5.0, 0.5 * len(names) + 2), 4.2))

    def values(col: str) -> list[float]:
        return [v if v is not None else 0.0 for v in summary[col].to_list()]

    ax.bar([i - width / 2 for i in x], values("S1"), width, yerr=values("S1_conf"),
           label="first order S1", color="#4477aa", capsize=2)
    ax.bar([i + width / 2 for i in x], values("ST"), width, yerr=values("ST_conf"),
           label="total order ST", color="#ee6677", capsize=2)
    ax.set_xticks(list(x), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("Sobol index")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend(fontsize=8)
    ax.set_title(title or f"Sobol indices of the mean absolute rank shift\n"
                 f"N = {result.base_n}, {result.runs:,} runs, "
                 f"{result.conf_level:.0%} bootstrap CI", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=150)
    plt.close(fig)
    return path
