"""The Dask aggregation engine: the same contract as DuckDB's, for data on a cluster.

Partitions are rounded and grouped where they lie (``groupby(...).agg`` with a
tree reduction), so only the aggregated locations travel to the client.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from techhubs.aggregate._common import Input, as_paths, check_precision, file_format, finish
from techhubs.errors import DataError
from techhubs.points import DEFAULT_PRECISION

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("latitude", "longitude", "weight", "source")
KEYS = ["source", "year", "latitude", "longitude"]


def _round_partition(part: pd.DataFrame, scale: float) -> pd.DataFrame:
    import pandas as pd  # Dask's own dependency: imported only where Dask runs

    lat = part["latitude"].to_numpy(dtype=np.float64)
    lon = part["longitude"].to_numpy(dtype=np.float64)
    year = part["year"] if "year" in part.columns else pd.Series(pd.NA, index=part.index)
    return pd.DataFrame(
        {
            "source": part["source"].astype("string"),
            "year": year.astype("Int32"),
            "latitude": np.floor(lat * scale + 0.5) / scale,
            "longitude": np.floor(lon * scale + 0.5) / scale,
            "weight": part["weight"].to_numpy(dtype=np.float64),
            "n_records": np.ones(len(part), dtype=np.int64),
        },
        index=part.index,
    )


def _read(data: Input) -> Any:
    import dask.dataframe as dd

    if isinstance(data, pl.DataFrame):
        pdf = data.to_pandas()
        return dd.from_pandas(pdf, npartitions=max(1, min(32, len(pdf) // 1_000_000 + 1)))
    paths = [str(p) for p in as_paths(data)]
    fmt = {file_format(Path(p)) for p in paths}
    if fmt == {"parquet"}:
        return dd.read_parquet(paths)
    if fmt == {"csv"}:
        return dd.read_csv(paths, dtype={"source": "string", "year": "Int32"}, blocksize="64MB")
    if fmt == {"json"}:
        return dd.read_json(paths, lines=True)
    raise DataError("input files mix formats", hint="aggregate one format at a time")


def aggregate_dask(
    data: Input, *, precision: int = DEFAULT_PRECISION, scheduler: str | object | None = None
) -> pl.DataFrame:
    import pandas as pd

    scale = check_precision(precision)
    frame = _read(data)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing required column(s): {', '.join(missing)}",
            key=missing[0],
            hint=f"columns found: {', '.join(map(str, frame.columns[:12]))}",
        )
    meta = pd.DataFrame(
        {
            "source": pd.Series([], dtype="string"),
            "year": pd.Series([], dtype="Int32"),
            "latitude": pd.Series([], dtype="float64"),
            "longitude": pd.Series([], dtype="float64"),
            "weight": pd.Series([], dtype="float64"),
            "n_records": pd.Series([], dtype="int64"),
        }
    )
    rounded = frame.map_partitions(_round_partition, scale, meta=meta)
    grouped = rounded.groupby(KEYS, dropna=False, observed=True).agg(
        {"weight": "sum", "n_records": "sum"}, split_out=1
    )
    if scheduler is None:
        result = grouped.compute()
    else:
        from distributed import Client

        if isinstance(scheduler, Client):
            result = scheduler.compute(grouped).result()
        else:
            with Client(str(scheduler)) as client:
                result = client.compute(grouped).result()
    out = pl.from_pandas(result.reset_index())
    return finish(out)
