"""Merge clusters found separately per source into multi-source clusters.

Rule
----
Clusters are nodes ``(source, label)``. For two clusters A and B of different
sources, the *overlap of B on A* is the share of B's weight at locations whose
nearest core location of A's source lies within ``eps_km`` and belongs to A.
A and B merge when ``max(overlap(B on A), overlap(A on B)) >= threshold``
(default :data:`DEFAULT_MERGE_THRESHOLD` = 0.5: half of one cluster's activity
sits in the other's dense core area). Merging is transitive (union-find), so a
publications cluster that spans two patent clusters joins them, which is how a
polycentric hub such as Shenzhen–Hong Kong–Guangzhou comes out as one cluster
spanning two economies. Clusters of one source never merge directly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from techhubs.clusters.params import DEFAULT_MERGE_THRESHOLD
from techhubs.geo.sphere import km_to_chord, latlon_to_xyz

SourceLabels = tuple[
    npt.NDArray[np.float64],  # latitude
    npt.NDArray[np.float64],  # longitude
    npt.NDArray[np.float64],  # weight
    npt.NDArray[np.int64],  # label (-1 noise)
    npt.NDArray[np.bool_],  # core
]


def _find(parent: dict[tuple[str, int], tuple[str, int]], a: tuple[str, int]) -> tuple[str, int]:
    root = a
    while parent[root] != root:
        root = parent[root]
    while parent[a] != root:
        parent[a], a = root, parent[a]
    return root


def overlap_shares(
    target: SourceLabels, other: SourceLabels, eps_km: float
) -> dict[tuple[int, int], float]:
    """Share of each ``target`` cluster's weight near each ``other`` cluster's core.

    Returns ``{(target_label, other_label): share}`` for the pairs that overlap.
    """
    from scipy.spatial import cKDTree  # heavy: imported where it is used

    tlat, tlon, tw, tlab, _ = target
    olat, olon, _, olab, ocore = other
    sel = tlab >= 0
    if not sel.any() or not ocore.any():
        return {}
    cores = np.flatnonzero(ocore)
    tree = cKDTree(latlon_to_xyz(olat[cores], olon[cores]))
    r = float(km_to_chord(eps_km))
    dist, idx = tree.query(latlon_to_xyz(tlat[sel], tlon[sel]), k=1, distance_upper_bound=r)
    hit = np.isfinite(dist)
    if not hit.any():
        return {}
    t_lab = tlab[sel][hit]
    o_lab = olab[cores[idx[hit]]]
    w = tw[sel][hit]
    n_other = int(olab.max()) + 1
    pair = t_lab * n_other + o_lab
    uniq, inv = np.unique(pair, return_inverse=True)
    near = np.bincount(inv, weights=w)
    totals = np.bincount(tlab[sel], weights=tw[sel])
    out: dict[tuple[int, int], float] = {}
    for p, wn in zip(uniq.tolist(), near.tolist(), strict=True):
        a, b = divmod(p, n_other)
        total = totals[a]
        out[(a, b)] = wn / total if total > 0 else 1.0
    return out


def merge_source_clusters(
    per_source: dict[str, SourceLabels],
    *,
    eps_km: float,
    threshold: float = DEFAULT_MERGE_THRESHOLD,
) -> dict[tuple[str, int], int]:
    """Merged group (0, 1, ...) of every cluster ``(source, label)``.

    Groups are numbered in order of their first node (sources sorted, labels
    ascending); :func:`~techhubs.clusters.find_clusters` renumbers them by weight.
    """
    nodes = [
        (s, int(lab))
        for s in sorted(per_source)
        for lab in np.unique(per_source[s][3][per_source[s][3] >= 0]).tolist()
    ]
    parent = {n: n for n in nodes}
    names = sorted(per_source)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shares = overlap_shares(per_source[a], per_source[b], eps_km)
            back = overlap_shares(per_source[b], per_source[a], eps_km)
            pairs = set(shares) | {(y, x) for (x, y) in back}
            for la, lb in sorted(pairs):
                s = max(shares.get((la, lb), 0.0), back.get((lb, la), 0.0))
                if s >= threshold:
                    ra, rb = _find(parent, (a, la)), _find(parent, (b, lb))
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
    group: dict[tuple[str, int], int] = {}
    root_id: dict[tuple[str, int], int] = {}
    for n in nodes:
        r = _find(parent, n)
        if r not in root_id:
            root_id[r] = len(root_id)
        group[n] = root_id[r]
    return group
