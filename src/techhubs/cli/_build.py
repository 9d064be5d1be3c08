"""``techhubs build`` and ``techhubs simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from techhubs.errors import TechhubsError

_STAGES = ("ingest", "aggregate", "clusters", "indicators", "index", "robustness", "outputs")


def _console() -> Any:
    """Progress and stage lines go to stderr."""
    from techhubs.cli._console import console

    return console(stderr=True)


@click.command("build")
@click.argument("project", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--demo", is_flag=True,
              help="Build the SYNTHETIC world calibrated to a reference edition (simulated on "
                   "first use) and compare the recovered ranking with the published one.")
@click.option("--edition", default="gii-2023", show_default=True,
              help="Reference edition the demo world is calibrated to.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Demo: records per published document (1 = about 1.26M patents and 7.46M "
                   "publications).")
@click.option("--seed", type=int, default=0, show_default=True, help="Demo: random seed.")
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("techhubs-demo"), show_default=True,
              help="Demo: folder for the synthetic world, project file, cache and results.")
@click.option("--from", "from_stage", type=click.Choice(_STAGES),
              help="Rerun this stage and every later one even if cached.")
@click.option("--top", type=int, default=15, show_default=True,
              help="Rows of the ranking to print (the demo prints every published cluster).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results' manifest as JSON: the run that wrote the results "
                   "(stages, created) and, under this_run, what this run did (cached stages "
                   "after a rebuild that changed nothing).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--example", is_flag=True, help="Print an example project file and exit.")
def build(project: Path | None, demo: bool, edition: str, scale: float, seed: int,
          workdir: Path, from_stage: str | None, top: int, as_json: bool, quiet: bool,
          example: bool) -> None:
    """Build a ranking from raw records: ingest, aggregate, cluster, index, outputs.

    PROJECT is a TOML project file naming the inputs, period, clustering and
    methodology (`techhubs build --example` prints one). Every stage is cached under
    the project's cache folder and reused while its inputs, parameters and
    code are unchanged; results go to the project's results folder
    (ranking.csv/json/parquet, clusters.geojson, assignment.parquet,
    ingest_report.json, manifest.json).

    With --demo, techhubs simulates a SYNTHETIC world calibrated to the
    published GII 2023 clusters and shows the recovered ranking next to the
    published one.
    """
    from rich.markup import escape

    from techhubs.pipeline import build as run_build
    from techhubs.pipeline import load_config

    if example:
        import textwrap

        from techhubs.pipeline import project as config_module

        doc = config_module.__doc__ or ""
        text = doc.split("::", 1)[1] if "::" in doc else doc
        click.echo(textwrap.dedent(text).strip())
        return
    console = _console()
    if demo == (project is not None):
        raise TechhubsError("give a PROJECT file or --demo (one of them)", key="PROJECT",
                            hint="techhubs build project.toml, or techhubs build --demo")
    if demo:
        from techhubs.pipeline.demo import demo_project

        if not quiet:
            console.print(f"[bold]SYNTHETIC demo[/]: world calibrated to {edition}, "
                          f"scale {scale:g}, seed {seed}, in {workdir}/", soft_wrap=True)
        with _progress(console, quiet) as bar:
            task = bar.add_task("simulate (SYNTHETIC)", total=None)

            def sim_progress(source: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total,
                           description=f"simulate (SYNTHETIC): {source}")

            project = demo_project(workdir, scale=scale, seed=seed, edition=edition,
                                   progress=sim_progress)
            bar.update(task, visible=False)
    assert project is not None
    config = load_config(project)
    with _progress(console, quiet) as bar:
        tasks: dict[str, Any] = {}

        def on_event(event: str, stage: str, info: dict[str, Any]) -> None:
            if quiet:
                return
            if event == "start":
                tasks[stage] = bar.add_task(f"{stage}: {info.get('description', '')}",
                                            total=None)
            elif event == "progress":
                if stage in tasks:
                    bar.update(tasks[stage], completed=info["done"], total=info["total"],
                               description=f"{stage}: {info['step']}")
            elif event == "ran":
                if stage in tasks:
                    bar.update(tasks[stage], visible=False)
                console.print(f"  [green]ran[/]     {stage:<11} {info['seconds']:7.1f} s")
            elif event == "cached":
                console.print(f"  [cyan]cached[/]  {stage:<11}")
            elif event == "skipped":
                console.print(f"  [yellow]skipped[/] {stage:<11} "
                              f"{escape(str(info.get('reason', '')))}", soft_wrap=True)
            elif event == "corrupt":
                console.print(f"  [red]corrupt[/] {escape(str(info['message']))}",
                              soft_wrap=True)

        result = run_build(config, from_stage=from_stage, on_event=on_event)
    if as_json:  # the manifest of the results, and what this run did
        from techhubs import jsonio

        click.echo(jsonio.dumps(result.manifest))
        return
    _print_results(result, top, console)


def _progress(console: Any, quiet: bool) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=quiet)


def _print_results(result: Any, top: int, console: Any) -> None:
    from rich.table import Table

    from techhubs.cli._console import console

    out = console()
    synthetic = result.config.synthetic
    label = " (SYNTHETIC data)" if synthetic else ""
    comparison = result.comparison()
    if comparison is not None:
        table = Table(title=f"Recovered vs published: {result.config.compare_edition}{label}")
        for col in ("pub. rank", "published name", "econ.", "rec. rank", "recovered name",
                    "econ.", "match"):
            table.add_column(col)
        for row in comparison.iter_rows(named=True):
            style = "green" if row["match"] == "yes" else "red"
            table.add_row(str(row["published_rank"]), row["published_name"],
                          row["published_economies"],
                          str(row["recovered_rank"] or "-"), row["recovered_name"] or "-",
                          row["recovered_economies"] or "-", f"[{style}]{row['match']}[/]")
        out.print(table)
        s = result.manifest.get("comparison", {})
        rho = s.get("spearman_rho")
        out.print(f"recovered {s.get('recovered')} of {s.get('published')} published clusters "
                  f"(named and located as published); {s.get('matched')} matched by place; "
                  f"Spearman rho of ranks {rho:.4f}" if rho is not None else "",
                  soft_wrap=True)
    else:
        ranking = result.ranking()
        table = Table(title=f"Ranking: {result.config.name}{label}")
        for col in ("rank", "name", "economies", "score"):
            table.add_column(col)
        for row in ranking.head(top).iter_rows(named=True):
            table.add_row(str(row["rank"]), row["name"] or "", "/".join(row["economies"] or []),
                          f"{row['score']:.3f}")
        out.print(table)
    ran = ", ".join(result.ran) or "none"
    out.print(f"results in {result.results}/ ({result.seconds:.1f} s; stages run: {ran})",
              soft_wrap=True)


@click.command("simulate")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--edition", default="gii-2023", show_default=True,
              help="Reference edition whose cluster totals the world reproduces.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Documents per published document (weights keep the published totals).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--vc", is_flag=True, help="Also simulate venture-capital deals (vc source).")
@click.option("--jitter-km", type=float, default=2.0, show_default=True,
              help="Spatial spread of records around their city.")
def simulate(out_dir: Path, edition: str, scale: float, seed: int, vc: bool,
             jitter_km: float) -> None:
    """Write a SYNTHETIC world calibrated to a published edition.

    Patent and publication records (and with --vc venture deals) are placed
    around real GeoNames cities so that each published cluster's total and
    the world totals are reproduced; one Parquet points file per source,
    labelled synthetic in its metadata, and SYNTHETIC.json with the
    parameters. Deterministic for a given seed.
    """
    from techhubs.datasets.simulate import SimulationParams
    from techhubs.datasets.simulate import simulate as run

    console = _console()
    params = SimulationParams(edition=edition, scale=scale, seed=seed, vc=vc,
                              jitter_km=jitter_km)
    with _progress(console, False) as bar:
        task = bar.add_task("simulate (SYNTHETIC)", total=None)

        def progress(source: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"simulate (SYNTHETIC): {source}")

        world = run(out_dir, params, progress=progress)
    out = click.echo
    out(f"SYNTHETIC world calibrated to {edition} (scale {scale:g}, seed {seed}) in {out_dir}/")
    for source, info in world.summary["sources"].items():
        out(f"  {source:<13} {info['documents']:>10,} documents  {info['rows']:>11,} rows  "
            f"world total {info['world_total']:,.0f}")
    out(f"  label: {world.label}")


def _cache_root(project: Path | None, directory: Path | None) -> Path:
    from techhubs.pipeline import load_config

    if (project is None) == (directory is None):
        raise TechhubsError("give a PROJECT file or --dir CACHE (one of them)", key="PROJECT",
                            hint="techhubs cache list project.toml, or --dir .techhubs-cache")
    return load_config(project).cache if project is not None else Path(str(directory))


_cache_target = [
    click.argument("project", required=False,
                   type=click.Path(dir_okay=False, exists=True, path_type=Path)),
    click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                 help="The cache folder itself (instead of a project file)."),
]


def _with_target(f: Any) -> Any:
    for decorator in reversed(_cache_target):
        f = decorator(f)
    return f


@click.group("cache")
def cache() -> None:
    """Inspect and prune the stage cache of a project (`techhubs build`).

    \b
    Examples:
      techhubs cache list project.toml
      techhubs cache size --dir .techhubs-cache
      techhubs cache prune project.toml --keep-last 2
      techhubs cache prune project.toml --older-than 30
      techhubs cache verify project.toml
    """


@cache.command("list")
@_with_target
def cache_list(project: Path | None, directory: Path | None) -> None:
    """Every cached stage output: stage, key, age, size."""
    import time

    from rich.table import Table

    from techhubs.cli._console import console
    from techhubs.pipeline.cache import StageCache

    store = StageCache(_cache_root(project, directory))
    table = Table(title=f"stage cache {store.root}")
    for col in ("stage", "key", "created", "size"):
        table.add_column(col, justify="right" if col == "size" else "left")
    for e in store.entries():
        table.add_row(e.stage, e.key, time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created)),
                      _bytes(e.size))
    console().print(table)


@cache.command("size")
@_with_target
def cache_size(project: Path | None, directory: Path | None) -> None:
    """Total size of the cache, per stage."""
    from techhubs.pipeline.cache import StageCache

    store = StageCache(_cache_root(project, directory))
    per: dict[str, int] = {}
    for e in store.entries():
        per[e.stage] = per.get(e.stage, 0) + e.size
    for stage, size in per.items():
        click.echo(f"{stage:<12} {_bytes(size):>10}")
    click.echo(f"{'total':<12} {_bytes(sum(per.values())):>10}")


@cache.command("prune")
@_with_target
@click.option("--older-than", type=float, metavar="DAYS",
              help="Remove stage outputs created more than DAYS ago.")
@click.option("--keep-last", type=int, metavar="N",
              help="Keep the N newest outputs of each stage, remove the rest.")
def cache_prune(project: Path | None, directory: Path | None, older_than: float | None,
                keep_last: int | None) -> None:
    """Remove old stage outputs (a later build recomputes what it needs)."""
    from techhubs.pipeline.cache import StageCache

    removed = StageCache(_cache_root(project, directory)).prune(older_than_days=older_than,
                                                                keep_last=keep_last)
    click.echo(f"removed {len(removed)} stage output(s), {_bytes(sum(e.size for e in removed))}")


@cache.command("verify")
@_with_target
def cache_verify(project: Path | None, directory: Path | None) -> None:
    """Check every cached file against the SHA-256 recorded when it was written."""
    from techhubs.pipeline.cache import StageCache

    store = StageCache(_cache_root(project, directory))
    problems = store.verify()
    for p in problems:
        click.echo(f"{p.stage}: {p.file} {p.reason}", err=True)
    n = len(store.entries())
    if problems:
        raise TechhubsError(f"{len(problems)} cached file(s) failed their check",
                            file=store.root, hint="the next build rebuilds them; or prune")
    click.echo(f"{n} stage output(s) verified")


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
