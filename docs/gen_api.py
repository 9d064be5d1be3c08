"""Write docs/api.md, the reference of the public Python API, from its docstrings.

    python docs/gen_api.py           # rewrite docs/api.md
    python docs/gen_api.py --check   # exit 1 when docs/api.md is out of date

``tests/test_docs.py`` runs the check, so the page always matches the code.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import techhubs

PAGE = Path(__file__).resolve().parent / "api.md"
GROUPS = {
    "Rank and explain": ["rank", "fit", "explain", "load_panel", "methods", "list_editions",
                         "load_edition", "load_methodology"],
    "How sure is a rank": ["rank_intervals", "sensitivity", "robustness", "UncertaintySpec",
                           "IntervalResult", "SensitivityResult"],
    "From records to clusters": ["ingest", "find_clusters", "WeightedDBSCAN", "ClusterResult",
                                 "IngestResult", "IngestReport"],
    "Hub factors from open layers": ["enrich", "Enriched"],
    "Objects": ["Composite", "Ranking", "Explanation", "Methodology", "Panel"],
    "Errors": ["TechhubsError", "DataError", "MethodologyError", "UnknownNameError",
               "ComputationError", "DownloadError"],
    "Deprecated": ["build", "editions"],
}


def _signature(obj: object) -> str:
    rebuild = getattr(obj, "model_rebuild", None)
    if isinstance(obj, type) and rebuild is not None:
        rebuild()  # specification models build on first use: their signature needs it
    for evaluate in (True, False):
        try:
            text = str(inspect.signature(obj, eval_str=evaluate))  # type: ignore[arg-type]
        except (TypeError, ValueError, NameError):
            continue
        # techhubs.panel.Panel -> Panel, pathlib.Path -> Path, typing.Any -> Any
        return re.sub(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_]\w*)", "", text)
    return "(...)"


def render() -> str:
    names = set(techhubs.__all__) - {"__version__"}
    listed = {n for group in GROUPS.values() for n in group}
    missing = sorted(names - listed)
    if missing:
        raise SystemExit(f"add {missing} to a group in docs/gen_api.py")
    out = ["# Python API reference", "",
           "Generated from the docstrings by `python docs/gen_api.py`; every `>>>` example",
           "runs as a doctest in the test suite. Everything here is importable from",
           "`techhubs` (`import techhubs; techhubs.rank()`).", ""]
    for group, members in GROUPS.items():
        out += [f"## {group}", ""]
        for name in members:
            obj = getattr(techhubs, name)
            kind = "class" if inspect.isclass(obj) else "function"
            doc = inspect.getdoc(obj) or ""
            out += [f"### `techhubs.{name}`", "", "```python",
                    f"{kind} {name}{_signature(obj)}", "```", ""]
            out += ["```text", doc, "```", ""] if doc else []
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run python docs/gen_api.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
