"""OpenAlex ingest: `techhubs ingest openalex SNAPSHOT` vs a bare DuckDB extraction, same run.

Writes a SYNTHETIC snapshot in OpenAlex's published layout (``data/works/manifest`` and
four gzipped JSON Lines parts under ``updated_date=*/part_NNN.gz``; synthetic works of
realistic size: title, abstract, ids, 1-12 authorships with names, raw affiliations and
1-2 institutions each, concepts, topics, referenced works) and an institutions file, then
times, in fresh processes:

* techhubs: the OpenAlex reader over the snapshot folder (manifest checked, every work
  accounted for, points written to Parquet);
* the peer: one bare DuckDB query extracting the same fractional points (``read_ndjson``,
  unnest, join the institutions, ``COPY`` to Parquet), with no accounting.

Prints the median wall time of each, their ratio (peer / techhubs: >= 0.8 is the target),
the total weight of both (equal to 1e-9 relative) and each process's peak memory.

Usage: python benchmarks/bench_openalex.py [--works 120000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PARTS = 4
INSTITUTIONS = 20_000


def write_snapshot(root: Path, works: int) -> tuple[Path, Path]:
    """A synthetic snapshot (labelled synthetic in every record) and its institutions file."""
    con = duckdb.connect()
    con.sql("SET enable_progress_bar = false")
    inst = root / "institutions.jsonl"
    con.sql(f"""
        COPY (SELECT 'https://openalex.org/I' || i AS id,
                     'Synthetic institution ' || i AS display_name,
                     {{'latitude': (hash(i) % 12000) / 100.0 - 60,
                       'longitude': (hash(i + 7) % 36000) / 100.0 - 180,
                       'city': 'Synthetic city ' || (i % 5000)}} AS geo
              FROM range({INSTITUTIONS}) t(i)) TO '{inst}' (FORMAT json)""")
    base = root / "data" / "works"
    entries = []
    per_part = -(-works // PARTS)
    for k in range(PARTS):
        lo, hi = k * per_part, min(works, (k + 1) * per_part)
        date = f"updated_date=2024-0{k + 1}-15"
        part = base / date / f"part_{k:03d}.gz"
        part.parent.mkdir(parents=True, exist_ok=True)
        con.sql(f"""
            COPY (
              SELECT 'https://openalex.org/W' || i AS id,
                     'https://doi.org/10.9999/synthetic.' || i AS doi,
                     'SYNTHETIC work ' || i || ': on the measurement of synthetic clusters'
                       AS title,
                     2015 + (i % 10) AS publication_year,
                     (['article', 'article', 'article', 'review', 'book-chapter'])[1 + i % 5]
                       AS type,
                     'en' AS language,
                     {{'id': 'https://openalex.org/T' || (i % 4000),
                       'display_name': 'Synthetic topic ' || (i % 4000),
                       'field': {{'display_name': (['Physics and Astronomy', 'Medicine',
                                   'Economics', 'Biochemistry'])[1 + i % 4]}},
                       'domain': {{'display_name': (['Physical Sciences', 'Health Sciences',
                                   'Social Sciences', 'Life Sciences'])[1 + i % 4]}}}}
                       AS primary_topic,
                     list_transform(range(1 + (hash(i) % 12)::BIGINT), lambda a: {{
                       'author_position': 'middle',
                       'author': {{'id': 'https://openalex.org/A' || (i * 13 + a),
                                  'display_name': 'Synthetic Author ' || (i * 13 + a)}},
                       'institutions': list_transform(range(1 + ((i + a) % 2)::BIGINT),
                         lambda j: {{'id': 'https://openalex.org/I'
                                        || ((i * 7 + a * 3 + j) % {INSTITUTIONS}),
                                    'display_name': 'Synthetic institution',
                                    'country_code': 'XX', 'type': 'education'}}),
                       'raw_affiliation_strings': ['Department of Synthetic Studies, '
                                                   'Synthetic University']}}) AS authorships,
                     list_transform(range(8), lambda c: {{
                       'id': 'https://openalex.org/C' || ((i + c) % 60000),
                       'display_name': 'Synthetic concept', 'level': c % 4,
                       'score': 0.5}}) AS concepts,
                     list_transform(range(20), lambda r: 'https://openalex.org/W' || ((i * 31 + r) % 5000000))
                       AS referenced_works,
                     'SYNTHETIC abstract of a synthetic work, for benchmarks only; '
                       || repeat('synthetic words of realistic length ', 12) AS abstract,
                     i % 40 AS cited_by_count
              FROM range({lo}, {hi}) t(i)
            ) TO '{part}' (FORMAT json, COMPRESSION gzip)""")
        entries.append({"url": f"s3://openalex/data/works/{date}/part_{k:03d}.gz",
                        "meta": {"content_length": part.stat().st_size,
                                 "record_count": hi - lo}})
    (base / "manifest").write_text(json.dumps({"entries": entries,
                                               "meta": {"record_count": works}}))
    con.close()
    return base, inst


TECHHUBS = """
import sys
from techhubs.sources.openalex import OpenAlexReader
report = OpenAlexReader(sys.argv[2]).write([sys.argv[1]], sys.argv[3])
import pyarrow.parquet as pq  # the weights only: reading the points back is not the ingest
print(pq.read_table(sys.argv[3], columns=["weight"])["weight"].to_numpy().sum(),
      report.records_read, report.records_used)
"""

BARE = """
import sys, glob, duckdb
con = duckdb.connect()
con.sql("SET memory_limit = '1GB'")
con.sql("SET enable_progress_bar = false")
files = sorted(glob.glob(sys.argv[1] + '/updated_date=*/part_*.gz'))
con.sql(f'''CREATE TABLE inst AS SELECT regexp_extract(id, '[^/]*$') AS key,
            geo.latitude AS lat, geo.longitude AS lon FROM read_ndjson('{sys.argv[2]}')''')
con.sql(f'''COPY (
  SELECT i.lat AS latitude, i.lon AS longitude, 1.0 / (len(w.authorships) * len(a.institutions)) AS weight
  FROM read_ndjson({files!r}, columns = {{'id': 'VARCHAR',
       'authorships': 'STRUCT(institutions STRUCT(id VARCHAR)[])[]'}}) w,
       unnest(w.authorships) AS t(a), unnest(a.institutions) AS u(x)
  JOIN inst i ON i.key = regexp_extract(x.id, '[^/]*$')
) TO '{sys.argv[3]}' (FORMAT parquet)''')
print(con.sql(f"SELECT sum(weight) FROM '{sys.argv[3]}'").fetchall()[0][0])
"""


def timed(code: str, args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB of the child from ``wait4``, its output)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, env={
            **os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {code.strip().splitlines()[0]}")
        out.seek(0)
        return elapsed, usage.ru_maxrss / 1024, out.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; median of {args.repeat} runs each; "
          "peak = largest child resident set so far (both children measured alike)")
    peaks: dict[int, float] = {}
    for n in args.works:
        with tempfile.TemporaryDirectory(prefix="techhubs-bench-openalex-") as tmp:
            root = Path(tmp)
            start = time.perf_counter()
            works, inst = write_snapshot(root, n)
            size = sum(p.stat().st_size for p in works.rglob("*.gz")) / 1e6
            print(f"\nSYNTHETIC snapshot: {n:,} works in {PARTS} parts, {size:,.0f} MB "
                  f"gzipped, written in {time.perf_counter() - start:.1f} s")
            ours, bare = [], []
            for _ in range(args.repeat):
                bare.append(timed(BARE, [str(works), str(inst), str(root / "bare.parquet")]))
                ours.append(timed(TECHHUBS, [str(works), str(inst), str(root / "p.parquet")]))
            t_bare = statistics.median(t for t, _, _ in bare)
            t_ours = statistics.median(t for t, _, _ in ours)
            w_bare = float(bare[0][2])
            w_ours, read, used = ours[0][2].split()
            rel = abs(float(w_ours) - w_bare) / w_bare
            peak = max(p for _, p, _ in ours)
            peaks[n] = peak
            print(f"  bare DuckDB extraction: {t_bare:.2f} s, total weight {w_bare:,.6f}, "
                  f"peak {max(p for _, p, _ in bare):.0f} MB")
            print(f"  techhubs ingest:        {t_ours:.2f} s, total weight {float(w_ours):,.6f}"
                  f" ({int(read):,} works read, {int(used):,} used), peak {peak:.0f} MB")
            print(f"  ratio bare / techhubs = {t_bare / t_ours:.2f} (target >= 0.8); "
                  f"weights differ by {rel:.1e} (target <= 1e-9); peak <= 1 GB: "
                  f"{'yes' if peak <= 1024 else 'NO'}")
    if len(peaks) > 1:
        small, large = peaks[min(peaks)], peaks[max(peaks)]
        print(f"\npeak memory, largest / smallest: {large / small:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
