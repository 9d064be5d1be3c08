"""The command line starts without importing its commands. Reference: each command's own
click definition (its name and short help) and ``python -X importtime``."""

from __future__ import annotations

import importlib
import subprocess
import sys

from techhubs.cli import COMMANDS, cli


def test_every_listed_command_is_the_command_it_names() -> None:
    for name, (module, attribute, text) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert command.name == name
        assert command.get_short_help_str(limit=300) == text, name
        assert cli.get_command(None, name) is command  # type: ignore[arg-type]


def test_help_imports_no_command_and_no_engine() -> None:
    code = ("import sys; from techhubs.cli import main; main(['--help']); "
            "print(sorted(m for m in sys.modules if m.startswith(('techhubs.', 'polars', "
            "'numpy', 'pydantic'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = out.strip().splitlines()[-1]
    assert "techhubs.cli._" not in loaded and "polars" not in loaded and "numpy" not in loaded
