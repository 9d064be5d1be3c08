"""API benchmark: what-if re-rank latency and rankings throughput on loopback.

Three processes: this one (orchestrator), a uvicorn server on 127.0.0.1 and a
load generator (raw HTTP/1.1 keep-alive over asyncio), each a subprocess, so
the load never shares an interpreter with the server.

1. Re-rank: ``POST /api/rerank`` with fresh random weights each time on a
   SYNTHETIC panel of 1,000 units x 50 indicators (random numbers, five
   pillars; served through ``create_app(synthetic=...)``, a factory option no
   endpoint can reach). Target: p99 < 50 ms. Peer, same run: the same
   what-if as a full ``Composite.rebuild`` in-process (what a server without
   the cached normalised matrix would do).
2. Rankings: ``GET /api/rankings`` (gii-2023, rotating filters) from C
   connections for a bounded time. Target: >= 500 requests/s with no error.
   Peer, same run and server: ``GET /api/status``, the framework's floor.

    python benchmarks/bench_api.py            # ~40 s
    python benchmarks/bench_api.py --quick    # ~15 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

N_UNITS, N_INDICATORS = 1000, 50
EDITION = f"synthetic-{N_UNITS}x{N_INDICATORS}"
SRC = Path(__file__).resolve().parents[1] / "src"


# ------------------------------------------------------------------ client
async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str,
                   path: str, body: bytes = b"") -> tuple[int, bytes]:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _rerank_latency(port: int, requests: int, seconds: float) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(0)
    codes = [f"x{j:03d}" for j in range(N_INDICATORS)]
    # Warm-up: the first call fits the composite (cached afterwards).
    await _request(reader, writer, "POST", "/api/rerank",
                   json.dumps({"edition": EDITION}).encode())
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while len(latencies) < requests and time.perf_counter() < deadline:
        weights = {c: round(rng.uniform(0, 2), 3) for c in rng.sample(codes, 20)}
        body = json.dumps({"edition": EDITION, "weights": weights}).encode()
        t0 = time.perf_counter()
        status, payload = await _request(reader, writer, "POST", "/api/rerank", body)
        latencies.append(time.perf_counter() - t0)
        if status != 200 or len(json.loads(payload)["rows"]) != N_UNITS:
            errors += 1
    writer.close()
    return {"latencies": latencies, "errors": errors}


async def _throughput(port: int, paths: list[str], connections: int,
                      seconds: float) -> dict[str, object]:
    counts = {"ok": 0, "errors": 0}

    async def worker(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < deadline:
            try:
                status, _ = await _request(reader, writer, "GET", paths[i % len(paths)])
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counts["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            counts["ok" if status == 200 else "errors"] += 1
            i += 1
        writer.close()

    # Warm-up (fits and caches), then the timed window.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for path in paths:
        await _request(reader, writer, "GET", path)
    writer.close()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(worker(k) for k in range(connections)))
    elapsed = time.perf_counter() - start
    return {**counts, "seconds": elapsed, "rps": counts["ok"] / elapsed}


def client_main(args: argparse.Namespace) -> None:
    if args.client == "rerank":
        out = asyncio.run(_rerank_latency(args.port, args.requests, args.seconds))
    else:
        paths = json.loads(args.paths)
        out = asyncio.run(_throughput(args.port, paths, args.connections, args.seconds))
    print(json.dumps(out))


# ---------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    code = ("import uvicorn\n"
            "from techhubs.api import create_app\n"
            f"app = create_app(synthetic=({N_UNITS}, {N_INDICATORS}))\n"
            f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning', "
            "access_log=False)\n")
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def _run_client(port: int, *extra: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--client", *extra, "--port", str(port)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


def _peer_rebuild(repeats: int) -> list[float]:
    """The same what-if by a full fit from the raw panel, in-process (the naive server:
    every step from the raw data again, no reuse of the cached normalised matrix)."""
    sys.path.insert(0, str(SRC))
    from techhubs.api._synthetic import synthetic_methodology, synthetic_panel
    from techhubs.index import Composite
    from techhubs.methodology import methodology_from_dict

    base = Composite(methodology_from_dict(synthetic_methodology(N_INDICATORS))).fit(
        synthetic_panel(N_UNITS, N_INDICATORS))
    rng = random.Random(1)
    codes = [f"x{j:03d}" for j in range(N_INDICATORS)]
    times = []
    for _ in range(repeats):
        weights = {c: round(rng.uniform(0, 2), 3) for c in rng.sample(codes, 20)}
        t0 = time.perf_counter()
        _ = Composite(base.methodology_.with_weights(weights)).fit(base.panel_).ranking_
        times.append(time.perf_counter() - t0)
    return times


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter windows")
    parser.add_argument("--client", choices=("rerank", "rankings"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=500, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=16, help=argparse.SUPPRESS)
    parser.add_argument("--paths", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return 0

    window = 4.0 if args.quick else 10.0
    n_rerank = 150 if args.quick else 500
    port = _free_port()
    print(f"techhubs API benchmark on 127.0.0.1:{port} (cores: {os.cpu_count()}; "
          "other processes on this machine add noise)")
    server = _start_server(port)
    try:
        print(f"\n1. POST /api/rerank, SYNTHETIC panel {N_UNITS} units x {N_INDICATORS} "
              "indicators (random data), fresh random weights per request, 1 connection")
        rr = _run_client(port, "rerank", "--requests", str(n_rerank),
                         "--seconds", str(3 * window))
        lat = [x * 1000 for x in rr["latencies"]]  # type: ignore[union-attr]
        peer = [x * 1000 for x in _peer_rebuild(30 if args.quick else 60)]
        p99 = _pct(lat, 99)
        print(f"   {len(lat)} requests, {rr['errors']} errors: p50 {_pct(lat, 50):.1f} ms, "
              f"p90 {_pct(lat, 90):.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms")
        print(f"   peer, full Composite.fit from the raw panel in-process (no HTTP): median "
              f"{statistics.median(peer):.1f} ms -> the API's median HTTP round trip is "
              f"{statistics.median(peer) / statistics.median(lat):.1f}x faster")
        ok1 = p99 < 50 and rr["errors"] == 0
        print(f"   target p99 < 50 ms: {'MET' if ok1 else 'NOT MET'}")

        print(f"\n2. GET /api/rankings (gii-2023, rotating filters), 16 connections, "
              f"{window:.0f} s")
        paths = ["/api/rankings?edition=gii-2023", "/api/rankings?edition=gii-2023&top=10",
                 "/api/rankings?edition=gii-2023&economy=US",
                 "/api/rankings?edition=gii-2023&weights=scientific_publications:0"]
        rk = _run_client(port, "rankings", "--paths", json.dumps(paths),
                         "--seconds", str(window), "--connections", "16")
        st = _run_client(port, "rankings", "--paths", json.dumps(["/api/status"]),
                         "--seconds", str(window / 2), "--connections", "16")
        print(f"   {rk['ok']} answers, {rk['errors']} errors in {rk['seconds']:.1f} s: "
              f"{rk['rps']:.0f} requests/s")
        print(f"   peer, GET /api/status on the same server: {st['rps']:.0f} requests/s -> "
              f"rankings run at {rk['rps'] / st['rps']:.2f}x the framework floor")
        ok2 = rk["rps"] >= 500 and rk["errors"] == 0  # type: ignore[operator]
        print(f"   target >= 500 requests/s, no error: {'MET' if ok2 else 'NOT MET'}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
