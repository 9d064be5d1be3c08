"""Bounded work: the memory a Monte Carlo or Sobol run count needs, checked up front.

A result keeps every run (the rank of each unit, the sampled weights and
choices), so memory grows with ``runs``. Before any array is allocated the
need is estimated per run from the shapes involved; a count that would need
more than the limit is refused with the figure, instead of failing later
with a ``MemoryError`` (or swapping the machine to a halt). The limit is
1.5 GiB (so that a whole run, with the interpreter and the data, stays under
2 GB) unless the environment variable ``TECHHUBS_MAX_MEMORY`` sets another
(``8GB``, ``512MiB``, or bytes). The REST API additionally caps runs per
request (``Limits.max_runs``).
"""

from __future__ import annotations

import os
import re

from techhubs.errors import TechhubsError

MEMORY_ENV = "TECHHUBS_MAX_MEMORY"
DEFAULT_MEMORY_LIMIT = 3 * 1024**3 // 2
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
# Per-run overhead beyond the arrays counted below: group indices, sort orders, the
# samples table's validity buffers; measured on the bundled editions (tests/robustness).
_PER_RUN_OVERHEAD = 64


def parse_size(text: str) -> int:
    """``"2GiB"`` -> 2147483648; raises ValueError for anything else."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"not a size: {text!r}")
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "").lower()])


def memory_limit() -> int:
    """Bytes the runs may use: ``TECHHUBS_MAX_MEMORY`` or 1.5 GiB."""
    text = os.environ.get(MEMORY_ENV)
    if not text:
        return DEFAULT_MEMORY_LIMIT
    try:
        return parse_size(text)
    except ValueError:
        raise TechhubsError(f"{MEMORY_ENV}={text!r} is not a size", key=MEMORY_ENV,
                            hint="e.g. 8GB, 512MiB or a number of bytes") from None


def bytes_per_run(d: int, n_nodes: int, n_units: int, sobol_resamples: int | None = None
                  ) -> int:
    """Memory one kept run needs: the sample (U), weights (W), the samples table
    (one column per factor and weight), int32 ranks. A Sobol run adds its float64
    outputs (each unit's rank and the mean shift) with their finiteness mask, and its
    share of the bootstrap's (N, resamples) index (N (d + 2) runs share N rows)."""
    size = 8 * d + 8 * n_nodes + 8 * (d + n_nodes) + 4 * n_units + _PER_RUN_OVERHEAD
    if sobol_resamples is not None:
        size += 9 * (n_units + 1) + -(-8 * sobol_resamples // (d + 2))
    return size


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_runs(runs: int, per_run: int, what: str = "runs", flag: str = "--runs",
               committed: int = 0) -> None:
    """Refuse ``runs`` up front when they (with ``committed`` bytes already planned for
    other runs of the same analysis) would need more memory than the limit."""
    need, limit = committed + runs * per_run, memory_limit()
    if need <= limit:
        return
    fits = max((limit - committed) // per_run, 0)
    raise TechhubsError(
        f"{runs:,} {what} would need about {human_bytes(need)} of memory "
        f"({per_run} bytes per run); the limit is {human_bytes(limit)}",
        key=flag,
        hint=f"use {flag} {fits:,} or fewer, or raise the limit with {MEMORY_ENV} "
        f"(e.g. {MEMORY_ENV}=16GB) on a machine that has the memory")
