"""The ``techhubs`` command line: thin shells that parse, call the API and print.

Each command group lives in its own module and is registered in
:data:`COMMANDS`, which names it without importing it. A :class:`~techhubs.errors.TechhubsError` becomes one
clear message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from techhubs._version import __version__
from techhubs.errors import TechhubsError

# command -> (module, attribute, one-line help). A command's module is imported only when
# that command runs (or shows its help), so `techhubs --help` and every command start
# quickly; tests/cli/test_cli_lazy.py checks the lines below against each command's own.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "rank": ("techhubs.cli._rank", "rank",
             "Rank hubs: a bundled edition or your data, with a methodology."),
    "editions": ("techhubs.cli._rank", "editions",
                 "List the bundled reference editions (published figures)."),
    "methods": ("techhubs.cli._rank", "methods",
                "List methodology presets, or print one (`techhubs methods gii-clusters -f "
                "toml`)."),
    "explain": ("techhubs.cli._rank", "explain",
                "Why UNIT ranks where it does: score decomposition, strengths, gap to the unit "
                "above."),
    "compare": ("techhubs.cli._compare", "compare",
                "Agreement between published rankings: Kendall tau-b, RBO, common hubs."),
    "consensus": ("techhubs.cli._compare", "consensus",
                  "Consensus ranking over published (partial, ranked and unranked) lists."),
    "movers": ("techhubs.cli._compare", "movers",
               "Rank changes between editions of one ranking (e.g. gii-2024 -> gii-2025)."),
    "claims": ("techhubs.cli._compare", "claims",
               "Check article claims against bundled editions and published rankings."),
    "resolve": ("techhubs.cli._compare", "resolve",
                "Resolve place names to hubs: places, confidence, explanation, edition match."),
    "enrich": ("techhubs.cli._enrich", "enrich",
               "Attach open layers to the hubs of an edition or a build: one indicator per "
               "layer."),
    "ingest": ("techhubs.cli._ingest", "ingest",
               "Read SOURCE records from FILES into a points Parquet file and print the "
               "accounting."),
    "geocode": ("techhubs.cli._ingest", "geocode",
                "Add GeoNames columns (geonameid, place_name, latitude, longitude, confidence "
                "...) to FILE."),
    "aggregate": ("techhubs.cli._ingest", "aggregate_cmd",
                  "Aggregate points FILES to rounded weighted locations per source and year."),
    "fetch": ("techhubs.cli._ingest", "fetch_cmd",
              "Download a public dataset, hash-checked, cached and resumable."),
    "robustness": ("techhubs.cli._robustness", "robustness",
                   "How sure is each rank? Rank intervals under methodological uncertainty."),
    "clusters": ("techhubs.cli._clusters", "clusters_command",
                 "Find technology clusters in a POINTS file (Parquet or CSV)."),
    "serve": ("techhubs.cli._serve", "serve",
              "Serve the REST API (/api, schema at /openapi.json) and the dashboard (/)."),
    "report": ("techhubs.cli._serve", "report",
               "Write one self-contained HTML report: ranking, rank intervals, map, "
               "methodology, data provenance and a page per hub."),
    "build": ("techhubs.cli._build", "build",
              "Build a ranking from raw records: ingest, aggregate, cluster, index, outputs."),
    "simulate": ("techhubs.cli._build", "simulate",
                 "Write a SYNTHETIC world calibrated to a published edition."),
    "cache": ("techhubs.cli._build", "cache",
              "Inspect and prune the stage cache of a project (`techhubs build`)."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when used, listed from :data:`COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _short(text, limit)) for name, (_, _, text) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 3, 10)].rsplit(" ", 1)[0] + "..."


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="techhubs")
def cli() -> None:
    """techhubs: find, rank and explain the world's technology hubs.

    Start with `techhubs rank`, which ranks the bundled GII 2023 science &
    technology clusters with the GII method. `techhubs COMMAND --help` tells
    more about each command.
    """


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
