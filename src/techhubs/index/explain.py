"""Why a unit ranks where it does: decomposition, strengths, gaps."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from techhubs.errors import DataError
from techhubs.index._means import rank_descending
from techhubs.index.composite import Composite

_LINEAR = ("arithmetic", "sum")


@dataclass(frozen=True)
class Explanation:
    unit_id: str
    name: str
    rank: int
    score: float
    n_units: int
    method: str
    # indicator/pillar rows: code, name, level, parent, weight, raw, normalised,
    # contribution (share of the score for linear aggregations), rank_on_item
    components: pl.DataFrame
    strengths: list[str]
    weaknesses: list[str]
    # the unit above: name, score gap, per-indicator raw gap and the extra raw amount
    # of that indicator alone that would close the score gap
    above: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id, "name": self.name, "rank": self.rank,
            "score": self.score, "n_units": self.n_units, "method": self.method,
            "components": self.components.to_dicts(), "strengths": self.strengths,
            "weaknesses": self.weaknesses, "above": self.above, "notes": self.notes,
        }


def _ranks_desc(values: np.ndarray) -> np.ndarray:
    return rank_descending(values)


def explain(composite: Composite, unit: str) -> Explanation:
    """Explain one unit of a fitted composite (by id or name)."""
    c = composite
    m = c.methodology_
    panel = c.panel_
    i = panel.unit_index(unit)
    if np.isnan(c.score_[i]):
        missing = [code for k, code in enumerate(m.indicator_codes)
                   if np.isnan(c.data_["raw"][i, k])]
        raise DataError(f"{panel.units['name'][i]} has no score, so no rank to explain",
                        key=panel.unit_ids[i],
                        hint="its data lacks " + (", ".join(missing) if missing else
                                                  "values the aggregation needs"))
    rank = int(c.rank_[i])
    score = float(c.score_[i])
    rows = []
    item_ranks: dict[str, int] = {}
    codes = m.indicator_codes
    for node in m.nodes:
        if node.parent is None:
            continue
        parent = m.node(node.parent)
        siblings = m.children(parent.code)
        wsum = sum(s.weight for s in siblings)
        values = c.node_scores_[node.code]
        item_rank = int(_ranks_desc(values)[i])
        item_ranks[node.code] = item_rank
        raw = float(c.data_["raw"][i, codes.index(node.code)]) if node.is_indicator else None
        spec = m.aggregation_for(parent)
        contribution = None
        if spec.method in _LINEAR and not np.isnan(values[i]):
            w = node.weight if spec.method == "sum" else node.weight / wsum
            contribution = w * float(values[i])
        rows.append({
            "code": node.code, "name": node.name,
            "kind": "indicator" if node.is_indicator else "pillar",
            "parent": node.parent, "weight": node.weight, "raw": raw,
            "normalised": float(values[i]), "contribution": contribution,
            "rank_on_item": item_rank,
        })
    components = pl.DataFrame(rows, schema={
        "code": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8, "parent": pl.Utf8,
        "weight": pl.Float64, "raw": pl.Float64, "normalised": pl.Float64,
        "contribution": pl.Float64, "rank_on_item": pl.Int64,
    })
    # Strengths/weaknesses: indicators where the unit ranks clearly better/worse than overall.
    diffs = sorted(((item_ranks[code] - rank, code) for code in codes), key=lambda t: t[0])
    strengths = [f"{m.node(code).name}: rank {item_ranks[code]} (overall {rank})"
                 for d, code in diffs if d < 0][:3]
    weaknesses = [f"{m.node(code).name}: rank {item_ranks[code]} (overall {rank})"
                  for d, code in reversed(diffs) if d > 0][:3]
    notes = []
    if not strengths and not weaknesses:
        notes.append("ranks the same on every indicator as overall")
    above = _gap_to_above(c, i, rank)
    return Explanation(
        unit_id=panel.unit_ids[i], name=panel.units["name"][i], rank=rank, score=score,
        n_units=panel.n_units, method=m.name, components=components, strengths=strengths,
        weaknesses=weaknesses, above=above, notes=notes,
    )


def _gap_to_above(c: Composite, i: int, rank: int) -> dict[str, Any] | None:
    if rank <= 1:
        return None
    better = np.where(c.rank_ < rank)[0]
    j = int(better[np.argmax(c.rank_[better])])  # the nearest unit above
    m = c.methodology_
    panel = c.panel_
    codes = m.indicator_codes
    raw = c.data_["raw"]
    per_indicator = []
    for k, code in enumerate(codes):
        needed = _extra_to_overtake(c, i, j, k)
        per_indicator.append({
            "code": code, "name": m.node(code).name,
            "unit": float(raw[i, k]), "above": float(raw[j, k]),
            "gap": float(raw[j, k] - raw[i, k]),
            "extra_to_overtake": needed,
        })
    return {
        "unit_id": panel.unit_ids[j], "name": panel.units["name"][j],
        "rank": int(c.rank_[j]), "score": float(c.score_[j]),
        "score_gap": float(c.score_[j] - c.score_[i]), "indicators": per_indicator,
    }


MAX_FINITE_STEP = 1e300


def _extra_to_overtake(c: Composite, i: int, j: int, k: int) -> float | None:
    """Smallest extra raw amount of indicator k alone that lifts unit i above unit j.

    Found by bisection on the full rebuild (normalisation may depend on every
    unit), so it holds for any methodology; None when no amount suffices.
    """
    panel = c.panel_
    m = c.methodology_
    code = m.indicator_codes[k]
    if panel.n_units > 5000 or code not in panel.values.columns:
        return None
    base = panel.values[code].to_numpy().astype(float)
    if np.isnan(base[i]):
        return None
    direction = m.node(code).direction

    def beats(extra: float) -> bool:
        values = base.copy()
        values[i] = values[i] + direction * extra
        p = replace(panel, values=panel.values.with_columns(pl.Series(code, values)))
        try:
            fitted = Composite(m).fit(p)
        except Exception:
            return False
        return bool(fitted.score_[i] > fitted.score_[j])

    scale = max(abs(np.nanmax(base)), 1.0)
    hi = scale
    for _ in range(12):
        if abs(base[i]) + hi > MAX_FINITE_STEP:  # beyond this the values themselves overflow
            return None
        if beats(hi):
            break
        hi *= 4
    else:
        return None
    lo = 0.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if beats(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-6 * max(hi, 1.0):
            break
    return float(hi)
