"""The one way CLI commands make a rich console."""

from __future__ import annotations

import sys

from rich.console import Console


def console(stderr: bool = False) -> Console:
    """A console for tables; piped output (files, `| less`, tests) is wide so rows never wrap."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 200
    return Console(highlight=False, soft_wrap=False, width=width, stderr=stderr)
