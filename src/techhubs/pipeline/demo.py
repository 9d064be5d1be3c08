"""The demo: the whole pipeline on a SYNTHETIC world calibrated to a reference edition.

:func:`demo_project` simulates the world (once per edition, scale and seed;
reused afterwards) and writes a project file that builds it with clustering
parameters suited to metropolitan-scale activity and compares the recovered
ranking with the published one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from techhubs.datasets.simulate import (
    SUMMARY_FILE,
    SimulationParams,
    params_dict,
    simulate,
    simulation_code_version,
)

# Core densities calibrated to the synthetic world's metropolitan activity; the other
# clustering parameters keep their defaults (techhubs.clusters.params).
DEMO_CLUSTERING: dict[str, Any] = {
    "min_weight": {"patents": 100.0, "publications": 600.0, "vc": 20.0},
}


def _fmt_scale(scale: float) -> str:
    return f"{scale:g}".replace(".", "p")


def world_dir(workdir: Path, edition: str, scale: float, seed: int) -> Path:
    return workdir / f"world-{edition}-scale{_fmt_scale(scale)}-seed{seed}"


def ensure_world(workdir: str | Path, params: SimulationParams,
                 progress: Any = None) -> Path:
    """Simulate the world unless an identical one (same parameters) is already there."""

    folder = world_dir(Path(workdir), params.edition, params.scale, params.seed)
    summary = folder / SUMMARY_FILE
    if summary.exists():
        try:
            done = json.loads(summary.read_text())
        except ValueError:
            done = {}
        files_ok = all((folder / f).exists() for f in done.get("files", {}).values())
        if (done.get("params") == params_dict(params) and files_ok
                and done.get("code") == simulation_code_version()):
            return folder
    simulate(folder, params, progress=progress)
    return folder


def demo_project(workdir: str | Path, *, scale: float = 1.0, seed: int = 0,
                 edition: str = "gii-2023", vc: bool = False,
                 progress: Any = None) -> Path:
    """Simulate (if needed) and write ``<workdir>/demo-<edition>.toml``; returns its path."""
    import tomli_w

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    params = SimulationParams(edition=edition, scale=scale, seed=seed, vc=vc)
    folder = ensure_world(workdir, params, progress)
    summary = json.loads((folder / SUMMARY_FILE).read_text())
    inputs = [{"source": source, "format": "points",
               "paths": [str((folder / name).relative_to(workdir))]}
              for source, name in summary["files"].items()]
    y0, y1 = params.years
    tag = f"{edition}-scale{_fmt_scale(scale)}-seed{seed}"
    project = {
        "project": {"name": f"demo-{tag} (SYNTHETIC)", "results": f"results-{tag}",
                    "cache": ".techhubs-cache", "synthetic": True},
        "inputs": inputs,
        "periods": {"start": y0, "end": y1},
        "clustering": {**DEMO_CLUSTERING, "min_weight": {
            s: w for s, w in DEMO_CLUSTERING["min_weight"].items() if s in summary["files"]}},
        "methodology": {"preset": "gii-clusters"},
        "compare": {"edition": edition},
    }
    path = workdir / f"demo-{tag}.toml"
    text = ("# SYNTHETIC demo project written by techhubs build --demo\n"
            + tomli_w.dumps(project))
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
