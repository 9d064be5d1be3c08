"""Every command against hostile input: a clean error or a correct, accounted result.

Reference: the rule of the project, stated in issue 13's acceptance: no traceback, no
silent wrong answer (exit 0 with NaN, infinities or lost records), no run past its time.
The cases are generated in ``_cases.py`` from small valid files by mutation.
"""

from __future__ import annotations

import json
import math
import signal
from pathlib import Path

import polars as pl
import pytest
from tests.hostile._cases import Case, all_cases

from techhubs.cli import main

CASES = all_cases()
SECONDS = 90  # per case; the slowest valid run here takes a few seconds


def test_the_suite_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 150
    commands = {c.argv[0] for c in CASES}
    assert {"rank", "explain", "robustness", "report", "ingest", "clusters", "build",
            "compare", "consensus", "movers", "resolve", "simulate", "methods"} <= commands


def _no_non_finite(folder: Path, written: set[Path]) -> None:
    for path in sorted(folder.rglob("*")):
        if path in written or not path.is_file():
            continue
        if path.suffix == ".json":
            json.loads(path.read_text(), parse_constant=lambda c, p=path: pytest.fail(
                f"{p.name} holds {c}"))
        elif path.suffix == ".csv":
            cells = {c.strip().lower() for line in path.read_text().splitlines()
                     for c in line.split(",")}
            assert not cells & {"nan", "inf", "-inf", "infinity"}, path.name
        elif path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            for name, dtype in frame.schema.items():
                if dtype.is_float():
                    values = frame[name].drop_nulls().to_list()
                    assert all(math.isfinite(v) for v in values), f"{path.name}:{name}"
        elif path.suffix == ".html":
            assert "NaN" not in path.read_text(), path.name


def _timeout(_signum: int, _frame: object) -> None:
    raise TimeoutError(f"a hostile case ran past {SECONDS} s")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    written = set()
    for name, data in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.add(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SECONDS)
    try:
        code = main(list(case.argv))  # any exception but the documented ones fails here
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if case.outcome == "error":
        assert code == 2, f"expected a clean error, got exit {code}\n{out}\n{err}"
        for name in case.names:
            assert name in err, f"the message should name {name!r}: {err}"
    else:
        assert code == 0, f"expected success, got exit {code}\n{err}"
        _no_non_finite(tmp_path, written)
        if case.check is not None:
            case.check(tmp_path, out)
