"""JSON / CSV / Parquet answers for every list view, with a download file name."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import polars as pl
from starlette.responses import Response

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        return clean(value.item())
    return value


def json_response(payload: Any, status_code: int = 200, filename: str | None = None,
                  headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(clean(payload), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    headers = dict(headers or {})
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}.json"'
    return Response(body.encode("utf-8"), status_code=status_code,
                    media_type=MEDIA_TYPES["json"], headers=headers)


def table_json(table: pl.DataFrame) -> str:
    """Rows as a JSON array of objects, written by Polars (non-finite floats -> null)."""
    floats = [name for name, dtype in table.schema.items() if dtype in (pl.Float32, pl.Float64)]
    if floats:
        table = table.with_columns(
            pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
            for c in floats)
    return table.write_json() if table.width else "[]"


def json_table_response(meta: dict[str, Any], table: pl.DataFrame,
                        key: str = "rows") -> Response:
    """``{**meta, key: rows}`` without a Python object per cell (large tables stay fast)."""
    head = json.dumps(clean(meta), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    body = head[:-1] + ("," if meta else "") + json.dumps(key) + ":" + table_json(table) + "}"
    return Response(body.encode("utf-8"), media_type=MEDIA_TYPES["json"])


def flat_table(table: pl.DataFrame) -> pl.DataFrame:
    """List columns joined with ``/`` (economies) or ``; `` (members), objects as JSON text."""
    exprs = []
    for name, dtype in table.schema.items():
        if isinstance(dtype, pl.List):
            sep = "/" if name == "economies" else "; "
            exprs.append(pl.col(name).cast(pl.List(pl.Utf8)).list.join(sep))
        elif isinstance(dtype, pl.Struct | pl.Object):
            exprs.append(pl.col(name).map_elements(json.dumps, return_dtype=pl.Utf8))
    return table.with_columns(exprs) if exprs else table


def table_response(table: pl.DataFrame, fmt: str, filename: str,
                   metadata: dict[str, Any] | None = None) -> Response:
    """A CSV or Parquet download of ``table`` (Parquet keeps list columns and metadata)."""
    if fmt == "csv":
        body = flat_table(table).write_csv().encode("utf-8")
    else:
        import pyarrow.parquet as pq

        arrow = table.to_arrow()
        if metadata:
            meta = dict(arrow.schema.metadata or {})
            meta[b"techhubs.provenance"] = json.dumps(clean(metadata), default=str).encode()
            arrow = arrow.replace_schema_metadata(meta)
        sink = io.BytesIO()
        pq.write_table(arrow, sink)
        body = sink.getvalue()
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


def rows_table(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(clean(rows), infer_schema_length=None) if rows else pl.DataFrame()
