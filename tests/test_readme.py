"""The README is true to the program: every command block is run and what it prints is
compared with what the README shows (``docs/readme_commands.py``; ``...`` lines stand for
omitted lines, durations are not compared). Reference: the README itself."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
_spec = importlib.util.spec_from_file_location("readme_commands", DOCS / "readme_commands.py")
assert _spec is not None and _spec.loader is not None
readme = importlib.util.module_from_spec(_spec)
sys.modules["readme_commands"] = readme
_spec.loader.exec_module(readme)

BLOCKS = readme.blocks()


def test_the_readme_has_the_blocks_a_newcomer_follows() -> None:
    commands = [s.command for b in BLOCKS for s in b.steps if b.kind == "session"]
    assert "techhubs rank --top 12" in commands
    assert any(c.startswith("techhubs build --demo") for c in commands)
    assert sum(b.kind == "python" for b in BLOCKS) >= 1


def test_ellipsis_matching() -> None:
    assert readme.matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert readme.matches(["a", "..."], ["a", "b"])
    assert not readme.matches(["a", "...", "d"], ["a", "b", "d", "e"])
    assert not readme.matches(["a", "b"], ["a", "b", "c"])
    assert readme.matches(["...", "c", "..."], ["a", "c", "d"])


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{b.line}" for b in BLOCKS])
def test_readme_block(block) -> None:
    if block.needs_shared and not readme.SHARED.exists():
        pytest.skip(f"needs {readme.SHARED}")
    problems = readme.run(block)
    assert not problems, "\n\n".join(problems)
