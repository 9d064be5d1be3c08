"""The ``techhubs`` command line: thin shells that parse, call the API and print.

Each command group lives in its own module and is registered in
:data:`_COMMAND_MODULES`. A :class:`~techhubs.errors.TechhubsError` becomes one
clear message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from techhubs._version import __version__
from techhubs.errors import TechhubsError

# module name -> attribute names of click commands it defines
_COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "techhubs.cli._rank": ("rank", "editions", "methods", "explain"),
    "techhubs.cli._compare": ("compare", "consensus", "movers", "claims", "resolve"),
    "techhubs.cli._ingest": ("ingest", "geocode", "aggregate_cmd", "fetch_cmd"),
    "techhubs.cli._robustness": ("robustness",),
    "techhubs.cli._clusters": ("clusters_command",),
    "techhubs.cli._serve": ("serve", "report"),
    "techhubs.cli._build": ("build", "simulate", "cache"),
}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="techhubs")
def cli() -> None:
    """techhubs: find, rank and explain the world's technology hubs.

    Start with `techhubs rank`, which ranks the bundled GII 2023 science &
    technology clusters with the GII method. `techhubs COMMAND --help` tells
    more about each command.
    """


for _module_name, _names in _COMMAND_MODULES.items():
    _module = importlib.import_module(_module_name)
    for _name in _names:
        cli.add_command(getattr(_module, _name))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        cli.main(args=argv, prog_name="techhubs", standalone_mode=False)
    except TechhubsError as exc:
        click.secho(f"error: {exc.describe()}", fg="red", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
