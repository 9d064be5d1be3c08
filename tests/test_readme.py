"""The README's Python example runs as written (reference: the README itself)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    assert namespace["ranking"].table["name"][0] == "Tokyo–Yokohama"  # type: ignore[attr-defined]
    table = namespace["intervals"].table  # type: ignore[attr-defined]
    assert table.height == 34


def test_readme_names_the_ci_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command in text  # .ci/run runs exactly the README's test command
