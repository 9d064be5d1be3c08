"""Ingest throughput: the DuckDB aggregation engine vs a bare DuckDB GROUP BY, same file, same run.

Writes N synthetic records (labelled synthetic: uniform random points, not
real data) to a Parquet file in a temporary folder, then times
``techhubs.aggregate.aggregate(engine="duckdb")`` and a bare
``SELECT round..., sum(weight), count(*) ... GROUP BY`` over the same file.
Prints both rates and their ratio (the engine should reach >= 0.5 of the
bare query). Usage: ``python benchmarks/bench_ingest.py [--records N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb


def write_synthetic(path: Path, n: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          -- activity concentrates in places: 20,000 synthetic centres, points within ~2 km
          SELECT (hash(i % 20000) % 12000 / 100.0 - 60 + random() * 0.02)::DOUBLE AS latitude,
                 (hash(i % 20000 + 7) % 36000 / 100.0 - 180 + random() * 0.02)::DOUBLE AS longitude,
                 1.0 / (1 + (i % 7))::DOUBLE AS weight,
                 (['patents', 'publications', 'vc', 'institutions'])[1 + (i % 4)::INTEGER] AS source,
                 (2000 + (i % 24))::INTEGER AS year
          FROM range({n}) t(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()


def bare(path: Path) -> int:
    con = duckdb.connect()
    rows = (
        con.sql(
            f"""
        SELECT floor(latitude * 100.0 + 0.5) / 100.0 AS la, floor(longitude * 100.0 + 0.5) / 100.0 AS lo,
               source, year, sum(weight), count(*)
        FROM read_parquet('{path}') GROUP BY ALL
        """
        )
        .to_arrow_table()
        .num_rows
    )
    con.close()
    return rows


def engine(path: Path) -> int:
    from techhubs.aggregate import aggregate

    return aggregate(path, engine="duckdb").height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic_points.parquet"
        t0 = time.perf_counter()
        write_synthetic(path, args.records)
        print(
            f"synthetic data: {args.records:,} records written in {time.perf_counter() - t0:.1f} s"
        )
        times: dict[str, list[float]] = {"bare GROUP BY": [], "techhubs duckdb engine": []}
        groups = {}
        for _ in range(args.repeat):
            for name, fn in (("bare GROUP BY", bare), ("techhubs duckdb engine", engine)):
                t = time.perf_counter()
                groups[name] = fn(path)
                times[name].append(time.perf_counter() - t)
        rates = {}
        for name, ts in times.items():
            med = statistics.median(ts)
            rates[name] = args.records / med
            print(
                f"{name:>24}: median {med:.2f} s, {rates[name] / 1e6:.1f} M records/s, {groups[name]:,} groups"
            )
        ratio = rates["techhubs duckdb engine"] / rates["bare GROUP BY"]
        print(
            f"ratio engine / bare = {ratio:.2f} (target >= 0.50): {'OK' if ratio >= 0.5 else 'BELOW TARGET'}"
        )


if __name__ == "__main__":
    main()
