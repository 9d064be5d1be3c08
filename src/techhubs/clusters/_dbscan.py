"""Exact weighted DBSCAN on the sphere: a grid kernel on unit vectors, compiled with numba.

Design
------
A great-circle radius ``eps`` is the chord ``r = 2 sin(eps / 2R)`` between unit
vectors, so the kernel works in plain 3-D Euclidean space and is exact across
the antimeridian and at the poles (there are no seams on the unit sphere).

1. Every point gets a cell of a 3-D grid with side ``r / sqrt(3)``; the cell's
   diagonal is ``r``, so any two points in one cell are neighbours. Cells are
   numbered by a packed int64 key; one sort makes each cell a contiguous run (no
   hash tables, memory O(n)). When the key and the input index fit in 63 bits
   together, the sort is of ``key << bits | index`` values (NumPy's vectorised
   sort, several times faster than an argsort); ties go by input index.
2. A cell's candidate neighbours lie within two cells along each axis. The
   non-empty cells are grouped by (x, y) column; for each column, its non-empty
   neighbour columns are found by binary search, and for each cell of it the
   neighbour cells along z by cursors that slide up with the cell's z.
3. Core points. Each cell also has the bounding box of its points (tighter than
   the grid cell: points lie on the sphere's surface). Per cell, neighbour cells
   whose box lies wholly within ``r`` of the cell's box count for all its points
   with their total weight, those wholly beyond ``r`` are dropped; if that sure
   weight reaches ``min_weight`` the cell is all core, if even every remaining
   neighbour could not make it reach, none is. Otherwise each point tests the
   remaining boxes, nearest first: a box wholly within ``r`` of the point counts
   whole, a box cut by its sphere is scanned point by point, and the point stops
   as soon as its sum reaches ``min_weight``. Parallel over cells.
4. Core points of one cell are one cluster (they are pairwise neighbours); two
   cells with core points join when some pair of their core points is within
   ``r`` (union-find over cells, pairs checked only between cells not yet
   joined and whose boxes come within ``r``).
5. A border point joins the cluster of its nearest core point (ties: the
   lowest input index; a cell whose box is farther than the nearest core point
   found so far is not scanned); points with no core point within ``r`` are
   noise.
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
_BLOCK = 256  # cells per parallel work item (dense cells make the load uneven)
_SERIAL_BELOW = 50_000
"""Below this many points the kernels run on one thread: waking a thread team
costs more than the work (milliseconds per parallel region on a busy machine)."""


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
def _packed(keys: npt.NDArray[np.int64], shift: int) -> npt.NDArray[np.int64]:
    """``key << shift | index``: sorting these sorts by cell, ties by input index."""
    n = keys.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in nb.prange(n):
        out[i] = (keys[i] << shift) | i
    return out


@nb.njit(cache=True, parallel=True)
def _unpacked(
    packed: npt.NDArray[np.int64], shift: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    n = packed.shape[0]
    order = np.empty(n, dtype=np.int64)
    sk = np.empty(n, dtype=np.int64)
    mask = (np.int64(1) << shift) - 1
    for i in nb.prange(n):
        order[i] = packed[i] & mask
        sk[i] = packed[i] >> shift
    return order, sk


def _sort_by_cell(
    keys: npt.NDArray[np.int64], ncell: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The input order sorted by cell key (ties by input index) and the sorted keys.

    When key and index fit in 63 bits together (radius >= ~2.5 km at 10M points), one
    sort of packed int64 values (NumPy's vectorised sort) replaces an argsort, which is
    several times slower; otherwise a stable argsort gives the same order."""
    n = keys.shape[0]
    shift = max(1, (n - 1).bit_length())
    if (ncell**3 - 1).bit_length() + shift <= 63:
        packed = _packed(keys, shift)
        packed.sort()
        return _unpacked(packed, shift)
    order = np.argsort(keys, kind="stable").astype(np.int64, copy=False)
    return order, keys[order]


@nb.njit(cache=True, parallel=True)
def _gather(
    xyz: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    order: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n = order.shape[0]
    sx = np.empty((n, 3), dtype=np.float64)
    sw = np.empty(n, dtype=np.float64)
    for i in nb.prange(n):
        j = order[i]
        sx[i, 0] = xyz[j, 0]
        sx[i, 1] = xyz[j, 1]
        sx[i, 2] = xyz[j, 2]
        sw[i] = weight[j]
    return sx, sw


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
def _column_cells_near(
    col: int,
    ckey: npt.NDArray[np.int64],
    colkey: npt.NDArray[np.int64],
    colstart: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    ncols: int,
    ncell: int,
    cursor: npt.NDArray[np.int64],
    ptr: npt.NDArray[np.int64],
    out: npt.NDArray[np.int32],
    write: bool,
    counts: npt.NDArray[np.int64],
) -> None:
    """For every cell of column ``col``, the non-empty cells within two z steps in the
    neighbour columns ``cols``: counted (``counts``) or written at ``ptr``. The cells of
    a column are sorted by z, so one cursor per neighbour column slides up with them
    (no search, no division)."""
    base = colkey[col] * ncell
    for q in range(ncols):
        cursor[q] = colstart[cols[q]]
    for c in range(colstart[col], colstart[col + 1]):
        iz = ckey[c] - base
        k = 0
        for q in range(ncols):
            d = cols[q]
            other = colkey[d] * ncell
            end = colstart[d + 1]
            p = cursor[q]
            while p < end and ckey[p] - other < iz - 2:
                p += 1
            cursor[q] = p
            while p < end and ckey[p] - other <= iz + 2:
                if write:
                    out[ptr[c] + k] = p
                k += 1
                p += 1
        if not write:
            counts[c] = k


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
    ptr = np.empty(m + 1, dtype=np.int64)
    idx = np.empty(0, dtype=np.int32)
    nblocks = (ncol + _BLOCK - 1) // _BLOCK
    for write in (False, True):
        if write:
            ptr[0] = 0
            for c in range(m):
                ptr[c + 1] = ptr[c] + counts[c]
            idx = np.empty(ptr[m], dtype=np.int32)
        for b in nb.prange(nblocks):
            cols = np.empty(25, dtype=np.int64)
            cursor = np.empty(25, dtype=np.int64)
            for col in range(b * _BLOCK, min((b + 1) * _BLOCK, ncol)):
                nc = _column_neighbours_of(col, colkey, ncell, cols)
                _column_cells_near(col, ckey, colkey, colstart, cols, nc, ncell, cursor, ptr,
                                   idx, write, counts)
    return ptr, idx


@nb.njit(cache=True, parallel=True)
def _bounds(
    sx: npt.NDArray[np.float64], start: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The bounding box of the points of every cell: tighter than the grid cell (points
    lie on the sphere's surface), so more cells are settled whole by a box test."""
    m = start.shape[0] - 1
    lo = np.empty((m, 3), dtype=np.float64)
    hi = np.empty((m, 3), dtype=np.float64)
    for c in nb.prange(m):
        for a in range(3):
            lo[c, a] = sx[start[c], a]
            hi[c, a] = sx[start[c], a]
        for i in range(start[c] + 1, start[c + 1]):
            for a in range(3):
                v = sx[i, a]
                if v < lo[c, a]:
                    lo[c, a] = v
                elif v > hi[c, a]:
                    hi[c, a] = v
    return lo, hi


@nb.njit(cache=True, inline="always")
def _box_gap2_far2(
    x: float, y: float, z: float, lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64],
    d: int,
) -> tuple[float, float]:
    """Squared distances from a point to the nearest and to the farthest point of the
    box of cell ``d``. Rounding is monotone, so a point of the box is never computed
    nearer than the first or farther than the second."""
    g = 0.0
    f = 0.0
    for a in range(3):
        v = x if a == 0 else (y if a == 1 else z)
        below = lo[d, a] - v
        above = v - hi[d, a]
        if below > 0.0:
            g += below * below
        elif above > 0.0:
            g += above * above
        far = max(v - lo[d, a], hi[d, a] - v)
        f += far * far
    return g, f


@nb.njit(cache=True, inline="always")
def _boxes_gap2_far2(
    lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64], c: int, d: int
) -> tuple[float, float]:
    """Squared least and greatest distances between a point of box ``c`` and a point
    of box ``d``."""
    g = 0.0
    f = 0.0
    for a in range(3):
        gap = max(lo[d, a] - hi[c, a], lo[c, a] - hi[d, a], 0.0)
        g += gap * gap
        far = max(hi[d, a] - lo[c, a], hi[c, a] - lo[d, a])
        f += far * far
    return g, f


@nb.njit(cache=True, parallel=True)
def _core_mask(
    sx: npt.NDArray[np.float64],
    sw: npt.NDArray[np.float64],
    start: npt.NDArray[np.int64],
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
    cw: npt.NDArray[np.float64],
    nptr: npt.NDArray[np.int64],
    nidx: npt.NDArray[np.int32],
    r2: float,
    min_weight: float,
) -> npt.NDArray[np.bool_]:
    """Core flag of every point. Per cell, the neighbour cells whose boxes lie wholly
    within ``r`` of the cell's box count with their total weight for all its points,
    those wholly beyond ``r`` are dropped; per point, the remaining cells that lie wholly
    within ``r`` of the point count whole, and only cells cut by its sphere of radius
    ``r`` are scanned point by point."""
    n = sx.shape[0]
    m = cw.shape[0]
    core = np.zeros(n, dtype=np.bool_)
    nblocks = (m + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblocks):
        maybe = np.empty(125, dtype=np.int64)
        mfar = np.empty(125, dtype=np.float64)
        partial = np.empty(125, dtype=np.int64)
        for c in range(b * _BLOCK, min((b + 1) * _BLOCK, m)):
            base = 0.0
            reach = 0.0
            nm = 0
            for q in range(nptr[c], nptr[c + 1]):
                d = nidx[q]
                g2, f2 = _boxes_gap2_far2(lo, hi, c, d)
                if g2 > r2:
                    continue
                if f2 <= r2:
                    base += cw[d]
                else:
                    # nearest boxes first: they are the likeliest to settle a point
                    t = nm
                    while t > 0 and mfar[t - 1] > f2:
                        maybe[t] = maybe[t - 1]
                        mfar[t] = mfar[t - 1]
                        t -= 1
                    maybe[t] = d
                    mfar[t] = f2
                    nm += 1
                    reach += cw[d]
            if base >= min_weight:
                for i in range(start[c], start[c + 1]):
                    core[i] = True
                continue
            if base + reach < min_weight:
                continue
            for i in range(start[c], start[c + 1]):
                x = sx[i, 0]
                y = sx[i, 1]
                z = sx[i, 2]
                s = base
                k = 0
                done = False
                for q in range(nm):
                    d = maybe[q]
                    g2, f2 = _box_gap2_far2(x, y, z, lo, hi, d)
                    if g2 > r2:
                        continue
                    if f2 <= r2:
                        s += cw[d]
                        if s >= min_weight:
                            done = True
                            break
                    else:
                        partial[k] = d
                        k += 1
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
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
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
        g2, f2 = _box_gap2_far2(x, y, z, lo, hi, b)
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
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
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
            if _boxes_gap2_far2(lo, hi, c, d)[0] > r2:
                continue
            if _cells_touch(sx, core, start, c, d, r2, lo, hi):
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
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
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
                    if croot[d] < 0 or _box_gap2_far2(x, y, z, lo, hi, d)[0] > best:
                        continue  # no core point there, or none as near as the best
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
    order, sk = _sort_by_cell(keys, ncell)
    del keys
    sx, sw = _gather(xyz, weight, order)
    del xyz
    start, ckey, cw = _cells(sk, sw)
    del sk
    nptr, nidx = _neighbour_cells(ckey, ncell)
    r2 = chord * chord
    threshold = float(min_weight) * (1.0 - WEIGHT_RTOL)
    lo, hi = _bounds(sx, start)
    core = _core_mask(sx, sw, start, lo, hi, cw, nptr, nidx, r2, threshold)
    croot = _core_components(sx, core, start, nptr, nidx, r2, lo, hi)
    roots = _point_roots(sx, core, order, start, nptr, nidx, croot, r2, lo, hi)
    dense, tw, first = _number_clusters(roots, sw, order, start.shape[0] - 1)
    by_size = np.lexsort((first, -tw))  # heaviest first, then lowest input index
    rank = np.empty(by_size.shape[0], dtype=np.int64)
    rank[by_size] = np.arange(by_size.shape[0], dtype=np.int64)
    return _scatter_labels(roots, core, order, dense, rank)
