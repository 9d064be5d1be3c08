"""Exact weighted DBSCAN on the sphere: a grid kernel on unit vectors, compiled with numba.

Design
------
A great-circle radius ``eps`` is the chord ``r = 2 sin(eps / 2R)`` between unit
vectors, so the kernel works in plain 3-D Euclidean space and is exact across
the antimeridian and at the poles (there are no seams on the unit sphere).

1. Every point gets a cell of a 3-D grid with side ``r / sqrt(3)``; the cell's
   diagonal is ``r``, so any two points in one cell are neighbours. Cells are
   numbered by a packed int64 key; one ``argsort`` makes each cell a contiguous
   run (no hash tables, memory O(n)).
2. A cell's candidate neighbours lie within two cells along each axis. For each
   cell, 25 binary searches (one per (dx, dy) column; the 5 cells along z are
   contiguous in key order) list its non-empty neighbour cells.
3. Core points: a cell whose total weight reaches ``min_weight`` is all core
   (every point sees the whole cell). Otherwise each point sums the weight of
   the points within ``r`` in the neighbour cells, stopping as soon as the sum
   reaches ``min_weight``; a cell whose whole neighbourhood weighs less is
   skipped outright. Parallel over cells.
4. Core points of one cell are one cluster (they are pairwise neighbours); two
   cells with core points join when some pair of their core points is within
   ``r`` (union-find over cells, pairs checked only between cells not yet
   joined).
5. A border point joins the cluster of its nearest core point (ties: the
   lowest input index); points with no core point within ``r`` are noise.
6. Clusters are numbered 0, 1, ... by decreasing total weight (core and
   border), ties by the lowest input index, so labels do not depend on the
   sort or on thread timing.

All comparisons are ``distance <= eps``, the convention of scikit-learn's
``radius_neighbors``; the core test is ``summed weight >= min_weight`` up to a
relative 1e-9 (:data:`WEIGHT_RTOL`), so that floating-point sums of fractional
counts do not depend on the order in which they are added.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from techhubs.geo.sphere import EARTH_RADIUS_KM

_MAX_CELLS_PER_AXIS = (1 << 21) - 1  # three axes packed in one int64 key
WEIGHT_RTOL = 1e-9
"""Relative slack on ``min_weight``: sums of fractional counts (3 x 1/3) reach it
whatever order they are added in. Far below any weight that matters (counts are
multiples of 1/n with small n), so it changes no genuine decision."""
_BLOCK = 256
_SERIAL_BELOW = 50_000
"""Below this many points the kernels run on one thread: waking a thread team
costs more than the work (milliseconds per parallel region on a busy machine)."""  # cells per parallel work item (dense cells make the load uneven)


@nb.njit(cache=True, parallel=True, fastmath=False)
def _xyz_and_keys(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], side: float, ncell: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    n = lat.shape[0]
    xyz = np.empty((n, 3), dtype=np.float64)
    keys = np.empty(n, dtype=np.int64)
    deg = math.pi / 180.0
    for i in nb.prange(n):
        phi = lat[i] * deg
        lam = lon[i] * deg
        c = math.cos(phi)
        x = c * math.cos(lam)
        y = c * math.sin(lam)
        z = math.sin(phi)
        xyz[i, 0] = x
        xyz[i, 1] = y
        xyz[i, 2] = z
        ix = min(max(math.floor((x + 1.0) / side), 0), ncell - 1)
        iy = min(max(math.floor((y + 1.0) / side), 0), ncell - 1)
        iz = min(max(math.floor((z + 1.0) / side), 0), ncell - 1)
        keys[i] = (ix * ncell + iy) * ncell + iz
    return xyz, keys


@nb.njit(cache=True, parallel=True)
def _gather(
    xyz: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    keys: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    n = order.shape[0]
    sx = np.empty((n, 3), dtype=np.float64)
    sw = np.empty(n, dtype=np.float64)
    sk = np.empty(n, dtype=np.int64)
    for i in nb.prange(n):
        j = order[i]
        sx[i, 0] = xyz[j, 0]
        sx[i, 1] = xyz[j, 1]
        sx[i, 2] = xyz[j, 2]
        sw[i] = weight[j]
        sk[i] = keys[j]
    return sx, sw, sk


@nb.njit(cache=True)
def _cells(
    sk: npt.NDArray[np.int64], sw: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Runs of equal keys: start offsets (ncells + 1), keys and total weights."""
    n = sk.shape[0]
    m = 0
    for i in range(n):
        if i == 0 or sk[i] != sk[i - 1]:
            m += 1
    start = np.empty(m + 1, dtype=np.int64)
    ckey = np.empty(m, dtype=np.int64)
    cw = np.zeros(m, dtype=np.float64)
    c = -1
    for i in range(n):
        if i == 0 or sk[i] != sk[i - 1]:
            c += 1
            start[c] = i
            ckey[c] = sk[i]
        cw[c] += sw[i]
    start[m] = n
    return start, ckey, cw


@nb.njit(cache=True)
def _lower_bound(a: npt.NDArray[np.int64], lo: int, hi: int, value: int) -> int:
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _columns(
    ckey: npt.NDArray[np.int64], ncell: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Cells grouped by their (x, y) column: column keys and the first cell of each
    column (ncols + 1 offsets)."""
    m = ckey.shape[0]
    k = 0
    for c in range(m):
        if c == 0 or ckey[c] // ncell != ckey[c - 1] // ncell:
            k += 1
    colkey = np.empty(k, dtype=np.int64)
    colstart = np.empty(k + 1, dtype=np.int64)
    j = -1
    for c in range(m):
        if c == 0 or ckey[c] // ncell != ckey[c - 1] // ncell:
            j += 1
            colkey[j] = ckey[c] // ncell
            colstart[j] = c
    colstart[k] = m
    return colkey, colstart


@nb.njit(cache=True)
def _column_neighbours_of(
    col: int, colkey: npt.NDArray[np.int64], ncell: int, out: npt.NDArray[np.int64]
) -> int:
    """Non-empty columns within two steps in x and y of column ``col`` (itself included).

    For a fixed x step the five y steps are contiguous in key order: one binary
    search and a short scan each."""
    k = colkey.shape[0]
    ix = colkey[col] // ncell
    iy = colkey[col] % ncell
    q = 0
    for dx in range(-2, 3):
        jx = ix + dx
        if jx < 0 or jx >= ncell:
            continue
        base = jx * ncell
        p = _lower_bound(colkey, 0, k, base + max(iy - 2, 0))
        while p < k and colkey[p] <= base + min(iy + 2, ncell - 1):
            out[q] = p
            q += 1
            p += 1
    return q


@nb.njit(cache=True)
def _cells_near(
    c: int,
    ckey: npt.NDArray[np.int64],
    colstart: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    ncols: int,
    ncell: int,
    out: npt.NDArray[np.int32],
    write: bool,
) -> int:
    """Non-empty cells within two z steps of cell ``c`` in the given columns."""
    iz = ckey[c] % ncell
    k = 0
    for q in range(ncols):
        d = cols[q]
        base = ckey[colstart[d]] - ckey[colstart[d]] % ncell
        p = _lower_bound(ckey, colstart[d], colstart[d + 1], base + max(iz - 2, 0))
        while p < colstart[d + 1] and ckey[p] <= base + iz + 2:
            if write:
                out[k] = p
            k += 1
            p += 1
    return k


@nb.njit(cache=True, parallel=True)
def _neighbour_cells(
    ckey: npt.NDArray[np.int64], ncell: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """CSR lists of the non-empty cells within two steps of each cell on every axis
    (itself included): every cell that can hold a point within ``r``."""
    colkey, colstart = _columns(ckey, ncell)
    m = ckey.shape[0]
    ncol = colkey.shape[0]
    counts = np.zeros(m, dtype=np.int64)
    dummy = np.empty(0, dtype=np.int32)
    nblocks = (ncol + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblocks):
        cols = np.empty(25, dtype=np.int64)
        for col in range(b * _BLOCK, min((b + 1) * _BLOCK, ncol)):
            nc = _column_neighbours_of(col, colkey, ncell, cols)
            for c in range(colstart[col], colstart[col + 1]):
                counts[c] = _cells_near(c, ckey, colstart, cols, nc, ncell, dummy, False)
    ptr = np.empty(m + 1, dtype=np.int64)
    ptr[0] = 0
    for c in range(m):
        ptr[c + 1] = ptr[c] + counts[c]
    idx = np.empty(ptr[m], dtype=np.int32)
    for b in nb.prange(nblocks):
        cols = np.empty(25, dtype=np.int64)
        for col in range(b * _BLOCK, min((b + 1) * _BLOCK, ncol)):
            nc = _column_neighbours_of(col, colkey, ncell, cols)
            for c in range(colstart[col], colstart[col + 1]):
                _cells_near(c, ckey, colstart, cols, nc, ncell, idx[ptr[c] : ptr[c + 1]], True)
    return ptr, idx


@nb.njit(cache=True)
def _box_gap2_far2(
    x: float, y: float, z: float, key: int, ncell: int, side: float
) -> tuple[float, float]:
    """Squared distances from a point to the nearest and to the farthest point
    of the box of the cell with ``key``."""
    iz = key % ncell
    iy = (key // ncell) % ncell
    ix = key // (ncell * ncell)
    g = 0.0
    f = 0.0
    for axis in range(3):
        if axis == 0:
            v = x
            lo = ix * side - 1.0
        elif axis == 1:
            v = y
            lo = iy * side - 1.0
        else:
            v = z
            lo = iz * side - 1.0
        hi = lo + side
        if v < lo:
            g += (lo - v) * (lo - v)
        elif v > hi:
            g += (v - hi) * (v - hi)
        f += max((v - lo) * (v - lo), (hi - v) * (hi - v))
    return g, f


@nb.njit(cache=True, parallel=True)
def _core_mask(
    sx: npt.NDArray[np.float64],
    sw: npt.NDArray[np.float64],
    start: npt.NDArray[np.int64],
    ckey: npt.NDArray[np.int64],
    cw: npt.NDArray[np.float64],
    nptr: npt.NDArray[np.int64],
    nidx: npt.NDArray[np.int32],
    ncell: int,
    side: float,
    r2: float,
    min_weight: float,
) -> npt.NDArray[np.bool_]:
    """Core flag of every point. Neighbour cells that lie wholly within ``r`` of
    a point count with their total weight; only cells cut by the sphere of
    radius ``r`` are scanned point by point."""
    n = sx.shape[0]
    m = cw.shape[0]
    core = np.zeros(n, dtype=np.bool_)
    nblocks = (m + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblocks):
        partial = np.empty(125, dtype=np.int64)
        for c in range(b * _BLOCK, min((b + 1) * _BLOCK, m)):
            if cw[c] >= min_weight:
                for i in range(start[c], start[c + 1]):
                    core[i] = True
                continue
            reach = 0.0
            for q in range(nptr[c], nptr[c + 1]):
                reach += cw[nidx[q]]
            if reach < min_weight:
                continue
            for i in range(start[c], start[c + 1]):
                x = sx[i, 0]
                y = sx[i, 1]
                z = sx[i, 2]
                s = 0.0
                k = 0
                for q in range(nptr[c], nptr[c + 1]):
                    d = nidx[q]
                    g2, f2 = _box_gap2_far2(x, y, z, ckey[d], ncell, side)
                    if g2 > r2:
                        continue
                    if f2 <= r2:
                        s += cw[d]
                    else:
                        partial[k] = d
                        k += 1
                done = s >= min_weight
                q = 0
                while q < k and not done:
                    d = partial[q]
                    for j in range(start[d], start[d + 1]):
                        dx = sx[j, 0] - x
                        dy = sx[j, 1] - y
                        dz = sx[j, 2] - z
                        if dx * dx + dy * dy + dz * dz <= r2:
                            s += sw[j]
                            if s >= min_weight:
                                done = True
                                break
                    q += 1
                core[i] = done
    return core


@nb.njit(cache=True)
def _find(parent: npt.NDArray[np.int64], a: int) -> int:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@nb.njit(cache=True)
def _cells_touch(
    sx: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    start: npt.NDArray[np.int64],
    a: int,
    b: int,
    r2: float,
    ckey: npt.NDArray[np.int64],
    ncell: int,
    side: float,
) -> bool:
    """Whether a core point of cell ``a`` lies within ``r`` of a core point of ``b``
    (``b`` holds core points). A point whose distance to ``b``'s box exceeds ``r``
    is skipped; one whose farthest distance to the box is within ``r`` settles it."""
    for i in range(start[a], start[a + 1]):
        if not core[i]:
            continue
        x = sx[i, 0]
        y = sx[i, 1]
        z = sx[i, 2]
        g2, f2 = _box_gap2_far2(x, y, z, ckey[b], ncell, side)
        if g2 > r2:
            continue
        if f2 <= r2:
            return True
        for j in range(start[b], start[b + 1]):
            if not core[j]:
                continue
            dx = sx[j, 0] - x
            dy = sx[j, 1] - y
            dz = sx[j, 2] - z
            if dx * dx + dy * dy + dz * dz <= r2:
                return True
    return False


@nb.njit(cache=True)
def _core_components(
    sx: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    start: npt.NDArray[np.int64],
    nptr: npt.NDArray[np.int64],
    nidx: npt.NDArray[np.int32],
    r2: float,
    ckey: npt.NDArray[np.int64],
    ncell: int,
    side: float,
) -> npt.NDArray[np.int64]:
    """Root cell of each cell's core points (-1 for cells without core points)."""
    m = start.shape[0] - 1
    has_core = np.zeros(m, dtype=np.bool_)
    for c in range(m):
        for i in range(start[c], start[c + 1]):
            if core[i]:
                has_core[c] = True
                break
    parent = np.arange(m)
    for c in range(m):
        if not has_core[c]:
            continue
        for q in range(nptr[c], nptr[c + 1]):
            d = nidx[q]
            if d <= c or not has_core[d]:
                continue
            ra = _find(parent, c)
            rb = _find(parent, d)
            if ra == rb:
                continue
            if _cells_touch(sx, core, start, c, d, r2, ckey, ncell, side):
                if ra < rb:
                    parent[rb] = ra
                else:
                    parent[ra] = rb
    root = np.full(m, -1, dtype=np.int64)
    for c in range(m):
        if has_core[c]:
            root[c] = _find(parent, c)
    return root


@nb.njit(cache=True, parallel=True)
def _point_roots(
    sx: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    order: npt.NDArray[np.int64],
    start: npt.NDArray[np.int64],
    nptr: npt.NDArray[np.int64],
    nidx: npt.NDArray[np.int32],
    croot: npt.NDArray[np.int64],
    r2: float,
) -> npt.NDArray[np.int64]:
    """Root cell of every point's cluster: its own for core points, its nearest
    core point's for border points, -1 for noise."""
    m = start.shape[0] - 1
    out = np.full(sx.shape[0], -1, dtype=np.int64)
    nblocks = (m + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblocks):
        for c in range(b * _BLOCK, min((b + 1) * _BLOCK, m)):
            for i in range(start[c], start[c + 1]):
                if core[i]:
                    out[i] = croot[c]
                    continue
                x = sx[i, 0]
                y = sx[i, 1]
                z = sx[i, 2]
                best = r2
                best_idx = -1
                best_root = -1
                for q in range(nptr[c], nptr[c + 1]):
                    d = nidx[q]
                    if croot[d] < 0:
                        continue
                    for j in range(start[d], start[d + 1]):
                        if not core[j]:
                            continue
                        dx = sx[j, 0] - x
                        dy = sx[j, 1] - y
                        dz = sx[j, 2] - z
                        d2 = dx * dx + dy * dy + dz * dz
                        if d2 < best or (d2 == best and (best_idx < 0 or order[j] < best_idx)):
                            best = d2
                            best_idx = order[j]
                            best_root = croot[d]
                out[i] = best_root
    return out


@nb.njit(cache=True)
def _number_clusters(
    roots: npt.NDArray[np.int64],
    sw: npt.NDArray[np.float64],
    order: npt.NDArray[np.int64],
    ncells: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Dense cluster index per root cell, with each cluster's weight and lowest input index."""
    dense = np.full(ncells, -1, dtype=np.int64)
    k = 0
    for i in range(roots.shape[0]):
        r = roots[i]
        if r >= 0 and dense[r] < 0:
            dense[r] = k
            k += 1
    tw = np.zeros(k, dtype=np.float64)
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    for i in range(roots.shape[0]):
        r = roots[i]
        if r >= 0:
            g = dense[r]
            tw[g] += sw[i]
            if order[i] < first[g]:
                first[g] = order[i]
    return dense, tw, first


@nb.njit(cache=True, parallel=True)
def _scatter_labels(
    roots: npt.NDArray[np.int64],
    core: npt.NDArray[np.bool_],
    order: npt.NDArray[np.int64],
    dense: npt.NDArray[np.int64],
    rank: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    n = roots.shape[0]
    labels = np.empty(n, dtype=np.int64)
    mask = np.empty(n, dtype=np.bool_)
    for i in nb.prange(n):
        j = order[i]
        r = roots[i]
        labels[j] = rank[dense[r]] if r >= 0 else -1
        mask[j] = core[i]
    return labels, mask


def weighted_dbscan(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    eps_km: float,
    min_weight: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Labels (-1 noise, 0 = heaviest cluster) and core mask; inputs already validated."""
    n = lat.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
    angle = min(eps_km / EARTH_RADIUS_KM, math.pi)
    chord = 2.0 * math.sin(angle / 2.0)
    side = chord / math.sqrt(3.0)
    ncell = math.floor(2.0 / side) + 1
    if ncell > _MAX_CELLS_PER_AXIS:
        raise ValueError(f"eps_km={eps_km} is below the smallest supported radius (0.011 km)")
    if n < _SERIAL_BELOW:
        previous = nb.get_num_threads()
        nb.set_num_threads(1)
        try:
            return _run(lat, lon, weight, side, ncell, chord, min_weight)
        finally:
            nb.set_num_threads(previous)
    return _run(lat, lon, weight, side, ncell, chord, min_weight)


def _run(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    side: float,
    ncell: int,
    chord: float,
    min_weight: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    xyz, keys = _xyz_and_keys(lat, lon, side, ncell)
    order = np.argsort(keys).astype(np.int64, copy=False)
    sx, sw, sk = _gather(xyz, weight, keys, order)
    del xyz, keys
    start, ckey, cw = _cells(sk, sw)
    del sk
    nptr, nidx = _neighbour_cells(ckey, ncell)
    r2 = chord * chord
    threshold = float(min_weight) * (1.0 - WEIGHT_RTOL)
    core = _core_mask(sx, sw, start, ckey, cw, nptr, nidx, ncell, side, r2, threshold)
    croot = _core_components(sx, core, start, nptr, nidx, r2, ckey, ncell, side)
    roots = _point_roots(sx, core, order, start, nptr, nidx, croot, r2)
    dense, tw, first = _number_clusters(roots, sw, order, start.shape[0] - 1)
    by_size = np.lexsort((first, -tw))  # heaviest first, then lowest input index
    rank = np.empty(by_size.shape[0], dtype=np.int64)
    rank[by_size] = np.arange(by_size.shape[0], dtype=np.int64)
    return _scatter_labels(roots, core, order, dense, rank)
