"""`techhubs serve`: starts the app on 127.0.0.1, refuses a folder that is not results."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from techhubs.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


def test_serve_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    assert main(["serve", "--no-browser", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a techhubs results folder" in err and "manifest.json" in err


@pytest.mark.slow
def test_serve_answers_on_loopback(results_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = ("import sys; from techhubs.cli import main; "
            f"sys.exit(main(['serve', '--no-browser', '--port', '{port}', "
            f"'--results', {str(results_dir)!r}]))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/editions",
                                            timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None, proc.stdout.read() if proc.stdout else ""
        assert '"test-build"' in body and '"gii-2023"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert "techhubs" in r.read().decode()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
