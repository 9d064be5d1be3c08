"""The batched tree evaluation against the engine's own per-run aggregate_tree; ranks
against scipy's ``rankdata``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from techhubs.errors import ComputationError
from techhubs.index import aggregate_tree, batch_scores, rank_descending, rank_rows
from techhubs.methodology import AggregationSpec, Methodology
from techhubs.robustness._synthetic import synthetic_case


def _spec(m: Methodology, method: str | None) -> AggregationSpec | None:
    return None if method is None else m.aggregate.replace(method=method)


def _per_run(x: np.ndarray, m: Methodology, W: np.ndarray, columns: dict[str, int],
             method: str | None) -> np.ndarray:
    codes = m.indicator_codes
    out = []
    for w in W:
        weights = {code: np.asarray(w[j]) for code, j in columns.items()}
        out.append(aggregate_tree(x, codes, m, weights=weights,
                                  aggregation=_spec(m, method))[m.root.code])
    return np.asarray(out)


@pytest.fixture(scope="module")
def case() -> tuple[np.ndarray, Methodology, np.ndarray, dict[str, int]]:
    _, m = synthetic_case(n_units=25, n_indicators=10, n_pillars=4, n_subindices=2, seed=3)
    rng = np.random.default_rng(4)
    x = rng.uniform(1.0, 50.0, size=(25, 10))
    nodes = [n for n in m.nodes if n.parent is not None]
    columns = {n.code: i for i, n in enumerate(nodes)}
    W = rng.uniform(0.2, 2.0, size=(30, len(nodes)))
    return x, m, W, columns


@pytest.mark.parametrize("method", ["arithmetic", "sum", "geometric", "harmonic",
                                    "generalised:p=0.5", "generalised:p=3",
                                    "generalised:p=-1", "copeland"])
@pytest.mark.parametrize("missing", [False, True])
def test_batch_equals_per_run_aggregate_tree(case, method: str, missing: bool) -> None:  # type: ignore[no-untyped-def]
    x, m, W, columns = case
    x = x.copy()
    if missing:
        x[np.random.default_rng(1).random(x.shape) < 0.15] = np.nan
    name, _, p = method.partition(":p=")
    if p:
        m = m.with_step("aggregate", p=float(p))
    got = batch_scores(x, m.indicator_codes, m, W, columns, _spec(m, name))
    want = _per_run(x, m, W, columns, name)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(rank_rows(got), rank_descending(want))


def test_zero_weight_children_and_min_coverage(case) -> None:  # type: ignore[no-untyped-def]
    x, m, W, columns = case
    x = x.copy()
    x[:6, :5] = np.nan
    m = m.with_step("aggregate", min_coverage=0.6)
    W = W.copy()
    pillar0 = [columns[c.code] for c in m.children("pillar0")]
    W[:10, pillar0] = 0.0  # a node with children of total weight 0 drops out
    got = batch_scores(x, m.indicator_codes, m, W, columns)
    want = _per_run(x, m, W, columns, None)
    np.testing.assert_allclose(got, want, rtol=1e-10, equal_nan=True)
    assert np.isnan(got).any()


def test_geometric_on_non_positive_values_is_a_clear_error(case) -> None:  # type: ignore[no-untyped-def]
    x, m, W, columns = case
    x = x - 10.0
    with pytest.raises(ComputationError, match="positive"):
        batch_scores(x, m.indicator_codes, m, W, columns, _spec(m, "geometric"))


def test_rank_rows_ties_and_nan_match_scipy() -> None:
    rng = np.random.default_rng(9)
    for _ in range(20):
        s = rng.integers(0, 4, size=(7, 12)).astype(float)
        s[rng.random(s.shape) < 0.2] = np.nan
        want = rankdata(-np.where(np.isnan(s), -np.inf, s), method="min", axis=-1)
        np.testing.assert_array_equal(rank_rows(s), want)
        np.testing.assert_array_equal(rank_descending(s), want)


def test_copeland_in_slices_equals_one_slice(case, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from techhubs.index import _batch

    x, m, W, columns = case
    whole = batch_scores(x, m.indicator_codes, m, W, columns, _spec(m, "copeland"))
    monkeypatch.setattr(_batch, "_COPELAND_CELLS", 25 * 25 * 7)  # 7 runs per slice
    sliced = batch_scores(x, m.indicator_codes, m, W, columns, _spec(m, "copeland"))
    np.testing.assert_array_equal(whole, sliced)


@pytest.mark.parametrize("method", ["arithmetic", "sum", "geometric", "harmonic",
                                    "generalised:p=3"])
def test_complete_children_give_the_same_bits_as_the_masked_mean(case, method: str) -> None:  # type: ignore[no-untyped-def]
    """With every child there and one weight vector, a mean skips the masks for missing
    values; reference: the masked path of the same tree (weights given per run, here
    one run), which must agree to the last bit (a what-if must not change a tie)."""
    x, m, W, columns = case
    name, _, p = method.partition(":p=")
    m = m.with_step("aggregate", method=name, **({"p": float(p)} if p else {}))
    m = m.with_weights({code: float(W[0, j]) for code, j in columns.items()})
    fast = aggregate_tree(x, m.indicator_codes, m)
    masked = aggregate_tree(x[None], m.indicator_codes, m, weights={
        n.code: np.asarray([n.weight]) for n in m.nodes if n.parent is not None})
    for code, score in fast.items():
        np.testing.assert_array_equal(score, masked[code][0], err_msg=code)
