"""Progress on a terminal, silence in a pipe. Reference: each command run in a pseudo-
terminal (Python's ``pty``), where rich draws its bar, and with stderr piped, where no
bar may appear in the text a script or a log receives."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BAR = "━"  # rich's bar glyph


def _in_pty(argv: list[str], cwd: Path) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                            close_fds=True)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


TECHHUBS = [sys.executable, "-m", "techhubs"]
COMMANDS = {
    "rank-intervals": (["rank", "--intervals", "--runs", "3000"], "Monte Carlo runs"),
    "robustness": (["robustness", "--runs", "3000"], "Monte Carlo runs"),
    "report": (["report", "--runs", "50", "--out", "r.html"], "report"),
    "ingest": (["ingest", "crunchbase", "crunchbase_rounds.csv", "-o", "p.parquet"],
               "records read"),
    "enrich": (["enrich", "--layer", "deals=crunchbase:crunchbase_rounds.csv", "--out",
                "h.csv"], "layers read"),
    "geocode": (["geocode", "crunchbase_rounds.csv", "--city", "company_city", "--country",
                 "company_country_code", "-o", "g.csv"], "geocoding"),
    "aggregate": (["aggregate", "clean.csv", "-o", "a.parquet"], "aggregating"),
    "clusters": (["clusters", "clean.csv", "-o", "c.parquet", "--min-weight", "3",
                  "--no-names"], "points"),
    "build": (["build", "project.toml"], "ingest"),
    # (-o is --out for every command that writes a file)
    "simulate": (["simulate", "world", "--scale", "0.01"], "simulate (SYNTHETIC)"),
    "sobol": (["robustness", "--sobol", "--runs", "256"], "Sobol"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("points.csv", "project.toml"):
        shutil.copy(FIXTURES / "build" / name, tmp_path / name)
    shutil.copy(FIXTURES / "sources" / "crunchbase_rounds.csv", tmp_path)
    (tmp_path / "clean.csv").write_text("latitude,longitude,weight,source\n" + "".join(
        f"{48.85 + i / 1000},{2.35 + i / 1000},1,patents\n" for i in range(40)))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_long_commands_show_progress_on_a_terminal(name: str, folder: Path) -> None:
    argv, label = COMMANDS[name]
    code, out = _in_pty([*TECHHUBS, *argv], folder)
    assert code == 0, out[-2000:]
    assert label in out and BAR in out, out[:2000]


@pytest.mark.parametrize("name", ["report", "ingest", "rank-intervals"])
def test_no_progress_in_a_pipe(name: str, folder: Path) -> None:
    argv, label = COMMANDS[name]
    done = subprocess.run([*TECHHUBS, *argv], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stderr + done.stdout  # no bar, no cursor control
    assert label not in done.stderr.replace("records read =", "")
