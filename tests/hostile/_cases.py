"""Hostile inputs for every command, generated from a few valid files by mutation.

Each :class:`Case` is a command line run in a fresh folder holding ``files``, and
what must come of it: ``"error"`` (exit 2, one message naming the file and, where
there is one, the line and column or key: every string of ``names``) or ``"ok"``
(exit 0, every output file free of NaN and infinities, and ``check`` holds).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Check = Callable[[Path, str], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    outcome: str = "error"
    names: tuple[str, ...] = ()
    check: Check | None = None


# ------------------------------------------------------------------ the panel
PANEL_HEADER = "unit_id,name,economies,latitude,longitude,population,talent,research,funding"
PANEL_ROWS = [
    "a,Alpha,US,37.4,-122.1,1000000,10,5,3",
    "b,Beta,JP,35.6,139.7,2000000,8,9,1",
    "c,Gamma,DE,48.1,11.6,500000,4,4,4",
    "d,Delta,FR,48.9,2.35,800000,6,2,7",
    "e,Epsilon,KR,37.5,127.0,900000,1,8,2",
    "f,Zeta,CN/HK,22.5,114.1,3000000,9,1,9",
]
METHOD = """name = "three-factors"
[normalise]
method = "minmax"
[aggregate]
method = "arithmetic"
[[indicator]]
code = "talent"
parent = "index"
weight = 1
[[indicator]]
code = "research"
parent = "index"
weight = 1
[[indicator]]
code = "funding"
parent = "index"
weight = 2
[[node]]
code = "index"
"""


def panel(rows: list[str] | None = None, header: str = PANEL_HEADER) -> bytes:
    return ("\n".join([header, *(PANEL_ROWS if rows is None else rows)]) + "\n").encode()


def with_cell(row: int, column: str, value: str) -> bytes:
    """The panel with one cell replaced (``row`` 0 is file line 2)."""
    cols = PANEL_HEADER.split(",")
    rows = [r.split(",") for r in PANEL_ROWS]
    rows[row][cols.index(column)] = value
    return panel([",".join(r) for r in rows])


def _ranking_ok(first: str | None = None, unranked: str | None = None) -> Check:
    def check(folder: Path, _out: str) -> None:
        rows = json.loads((folder / "out.json").read_text())["rows"]
        ranked = [r for r in rows if r["rank"] is not None]
        assert all(isinstance(r["score"], float) for r in ranked)
        if first is not None:
            assert ranked[0]["unit_id"] == first, ranked[0]
        if unranked is not None:
            assert [r["unit_id"] for r in rows if r["rank"] is None] == [unranked]
    return check


# (id, file bytes, outcome, names that an error must contain, check of a ranking)
PANELS: list[tuple[str, bytes, str, tuple[str, ...], Check | None]] = [
    ("inf", with_cell(2, "funding", "inf"), "error", ("p.csv:4", "funding"), None),
    ("minus-inf", with_cell(2, "funding", "-inf"), "error", ("p.csv:4", "funding"), None),
    ("Infinity", with_cell(0, "talent", "Infinity"), "error", ("p.csv:2", "talent"), None),
    # NaN, NA, n/a and .. are the usual spellings of a missing value (R, pandas, OECD)
    ("nan", with_cell(3, "research", "nan"), "ok", (), _ranking_ok()),
    ("NA", with_cell(3, "research", "NA"), "ok", (), _ranking_ok()),
    ("1e400", with_cell(1, "talent", "1e400"), "error", ("p.csv:3", "talent"), None),
    ("1e308", with_cell(1, "funding", "1e308"), "ok", (), _ranking_ok(first="b")),
    ("minus-1e308", with_cell(1, "funding", "-1e308"), "ok", (), _ranking_ok()),
    ("1e300-everywhere", panel([r.replace(",10,", ",1e300,") for r in PANEL_ROWS]), "ok",
     (), _ranking_ok()),
    ("text-in-number", with_cell(4, "research", "lots"), "error", ("p.csv:6", "research"),
     None),
    ("ragged-short", panel([*PANEL_ROWS[:2], "c,Gamma,DE,48.1", *PANEL_ROWS[3:]]), "error",
     ("p.csv:4",), None),
    ("ragged-long", panel([*PANEL_ROWS[:4], PANEL_ROWS[4] + ",99", *PANEL_ROWS[5:]]), "error",
     ("p.csv:6",), None),
    ("duplicate-column", panel([r + ",1" for r in PANEL_ROWS], PANEL_HEADER + ",talent"),
     "error", ("p.csv", "talent"), None),
    ("latitude-91", with_cell(0, "latitude", "91"), "error", ("p.csv:2", "latitude"), None),
    ("latitude-minus-91", with_cell(0, "latitude", "-91"), "error", ("p.csv:2", "latitude"),
     None),
    ("longitude-200", with_cell(5, "longitude", "200"), "error", ("p.csv:7", "longitude"),
     None),
    ("latitude-text", with_cell(5, "latitude", "north"), "error", ("p.csv:7", "latitude"),
     None),
    ("economy-ZZZZZ", with_cell(2, "economies", "ZZZZZ"), "error", ("p.csv:4", "economies"),
     None),
    ("economy-unassigned", with_cell(2, "economies", "JJ"), "error", ("p.csv:4", "economies"),
     None),
    ("economy-lowercase", with_cell(1, "economies", "jp"), "ok", (), _ranking_ok()),
    ("population-negative", with_cell(3, "population", "-5"), "error",
     ("p.csv:5", "population"), None),
    ("population-inf", with_cell(3, "population", "inf"), "error", ("p.csv:5", "population"),
     None),
    ("empty-file", b"", "error", ("p.csv",), None),
    ("header-only", panel([]), "error", ("p.csv",), None),
    ("utf16", panel().decode().encode("utf-16"), "error", ("p.csv", "UTF-8"), None),
    ("binary", bytes(range(256)) * 8, "error", ("p.csv",), None),
    ("bad-utf8-byte", panel().replace(b"Gamma", b"Gam\xffma"), "error", ("p.csv:4",), None),
    ("bom", b"\xef\xbb\xbf" + panel(), "ok", (), _ranking_ok()),
    ("crlf", panel().replace(b"\n", b"\r\n"), "ok", (), _ranking_ok()),
    ("no-unit-id", panel([r.split(",", 1)[1] for r in PANEL_ROWS],
                         PANEL_HEADER.split(",", 1)[1]), "error", ("p.csv", "unit_id"), None),
    ("duplicate-unit-id", with_cell(3, "unit_id", "a"), "error", ("p.csv:5", "unit_id"), None),
    ("empty-unit-id", with_cell(3, "unit_id", ""), "error", ("p.csv:5", "unit_id"), None),
    ("semicolons", panel().replace(b",", b";"), "error", ("p.csv",), None),
    ("quoted-newline", panel([*PANEL_ROWS[:1], 'b,"Be\nta",JP,35.6,139.7,2000000,8,9,1',
                              *PANEL_ROWS[2:]]), "ok", (), _ranking_ok()),
    ("long-name", with_cell(2, "name", "G" * 100_000), "ok", (), _ranking_ok()),
    ("empty-row", panel([*PANEL_ROWS[:2], "c,Gamma,DE,48.1,11.6,500000,,,", *PANEL_ROWS[3:]]),
     "ok", (), _ranking_ok(unranked="c")),
    ("empty-indicator", panel([r.rsplit(",", 1)[0] + "," for r in PANEL_ROWS]), "ok", (),
     _ranking_ok()),
    ("constant-indicator", panel([r.rsplit(",", 1)[0] + ",5" for r in PANEL_ROWS]), "ok", (),
     _ranking_ok()),
    ("missing-indicator-column", panel([r.rsplit(",", 1)[0] for r in PANEL_ROWS],
                                       PANEL_HEADER.rsplit(",", 1)[0]), "error",
     ("funding",), None),
]


def _panel_commands(name: str) -> list[tuple[str, tuple[str, ...], bool]]:
    """(command id, argv, writes out.json) for a panel file ``name``."""
    return [
        ("rank", ("rank", "--data", name, "--method", "m.toml", "--out", "out.json"), True),
        ("explain", ("explain", "Alpha", "--data", name, "--method", "m.toml"), False),
        ("robustness", ("robustness", "--data", name, "--method", "m.toml", "--runs", "40",
                        "--out", "rob"), False),
        ("report", ("report", "--data", name, "--method", "m.toml", "--runs", "0",
                    "--out", "r.html"), False),
    ]


def panel_cases() -> Iterator[Case]:
    for pid, data, outcome, names, check in PANELS:
        for cid, argv, ranked in _panel_commands("p.csv"):
            if cid == "explain" and pid in ("empty-row",):
                continue  # Alpha has a score there; the unscored unit is checked below
            yield Case(f"panel-{pid}-{cid}", argv, {"p.csv": data, "m.toml": METHOD.encode()},
                       outcome, names, check if ranked else None)
    yield Case("panel-explain-unscored-unit", ("explain", "Gamma", "--data", "p.csv",
                                               "--method", "m.toml"),
               {"p.csv": panel([*PANEL_ROWS[:2], "c,Gamma,DE,48.1,11.6,500000,,,",
                                *PANEL_ROWS[3:]]),
                "m.toml": METHOD.encode()}, "error", ("Gamma", "no score"))
    for pid, suffix, data, outcome, names in (
            ("xlsx", ".xlsx", panel(), "error", ("p.xlsx",)),
            ("tsv", ".tsv", panel().replace(b",", b"\t"), "ok", ()),
            ("tsv-ragged", ".tsv", panel().replace(b",", b"\t").replace(b"\t9\t1\t9", b"\t9"),
             "error", ("p.tsv:7",))):
        yield Case(f"panel-{pid}", ("rank", "--data", f"p{suffix}", "--method", "m.toml",
                                    "--out", "out.json"),
                   {f"p{suffix}": data, "m.toml": METHOD.encode()}, outcome, names,
                   _ranking_ok() if outcome == "ok" else None)


# ----------------------------------------------------------- methodology files
def method_with(old: str, new: str) -> str:
    assert old in METHOD, old
    return METHOD.replace(old, new, 1)


DEEP_TREE = "\n".join(
    ['name = "deep"', "[[indicator]]", 'code = "talent"', 'parent = "n1"', "weight = 1",
     "[[indicator]]", 'code = "research"', 'parent = "n1"', "weight = 1"]
    + [line for i in range(1, 1000)
       for line in ("[[node]]", f'code = "n{i}"', f'parent = "n{i + 1}"', "weight = 1")]
    + ["[[node]]", 'code = "n1000"']) + "\n"

METHODS: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("utf16", METHOD.encode("utf-16"), ("m.toml", "UTF-8")),
    ("binary", bytes(range(256)) * 4, ("m.toml",)),
    ("deep-array", ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode(), ("m.toml", "nested")),
    ("deep-table", ("x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n").encode(),
     ("m.toml", "nested")),
    ("deep-tree", DEEP_TREE.encode(), ("m.toml", "deeper")),
    ("syntax", METHOD.replace('method = "minmax"', 'method = "minmax').encode(),
     ("m.toml:3",)),
    ("empty", b"", ("m.toml",)),
    ("weight-1e308", method_with("weight = 2", "weight = 1e308").encode(),
     ("m.toml", "weight")),
    ("weight-negative", method_with("weight = 2", "weight = -1").encode(),
     ("m.toml", "weight")),
    ("weight-inf", method_with("weight = 2", "weight = inf").encode(), ("m.toml", "weight")),
    ("weight-nan", method_with("weight = 2", "weight = nan").encode(), ("m.toml", "weight")),
    ("weight-text", method_with("weight = 2", 'weight = "2"').encode(),
     ("m.toml", "weight")),
    ("all-weights-zero", METHOD.replace("weight = 1", "weight = 0").replace(
        "weight = 2", "weight = 0").encode(), ("m.toml",)),
    ("p-1e308", method_with('method = "arithmetic"', 'method = "generalised"\np = 1e308')
     .encode(), ("m.toml", "p")),
    ("p-nan", method_with('method = "arithmetic"', 'method = "generalised"\np = nan').encode(),
     ("m.toml", "p")),
    ("unknown-normalise", method_with('"minmax"', '"fourier"').encode(),
     ("m.toml", "normalise")),
    ("unknown-step-key", method_with('method = "minmax"', 'method = "minmax"\nlow_ = 1')
     .encode(), ("m.toml", "low_")),
    ("unknown-section", (METHOD + "[colour]\nred = 1\n").encode(), ("m.toml", "colour")),
    ("minmax-low-above-high", method_with('method = "minmax"',
                                          'method = "minmax"\nlow = 5\nhigh = 1').encode(),
     ("m.toml",)),
    ("cycle", METHOD.replace('[[node]]\ncode = "index"',
                             '[[node]]\ncode = "index"\nparent = "p"\n[[node]]\ncode = "p"\n'
                             'parent = "index"').encode(), ("m.toml", "cycle")),
    ("two-roots", (METHOD + '[[node]]\ncode = "other"\n').encode(), ("m.toml", "root")),
    ("indicator-not-in-data", method_with('code = "funding"', 'code = "fundng"').encode(),
     ("m.toml", "fundng")),
    ("goalposts-missing", method_with('"minmax"', '"goalposts"').encode(),
     ("m.toml", "goalposts")),
    ("duplicate-code", method_with('code = "funding"', 'code = "talent"').encode(),
     ("m.toml", "talent")),
    ("weights-sum", ("weights_sum = 1.0\n" + METHOD).encode(), ("m.toml", "weights_sum")),
    ("direction-2", method_with("weight = 2", "weight = 2\ndirection = 2").encode(),
     ("m.toml", "direction")),
    ("uncertainty-weights-5", (METHOD + "[uncertainty]\nweights = 5\n").encode(),
     ("m.toml", "weights")),
    ("uncertainty-unknown", (METHOD + "[uncertainty]\ncolour = 1\n").encode(),
     ("m.toml", "colour")),
    ("parent-unknown", method_with('parent = "index"', 'parent = "nowhere"').encode(),
     ("m.toml", "nowhere")),
    ("is-directory", b"", ("m.toml",)),
]


def method_cases() -> Iterator[Case]:
    for mid, data, names in METHODS:
        for cid, argv in (
                ("rank", ("rank", "--data", "p.csv", "--method", "m.toml",
                          *(("--intervals", "--runs", "30") if mid.startswith("uncertainty")
                            else ()))),
                ("robustness", ("robustness", "--data", "p.csv", "--method", "m.toml",
                                "--runs", "30"))):
            files = {"p.csv": panel()}
            if mid == "is-directory":
                files["m.toml/keep"] = b""
            else:
                files["m.toml"] = data
            yield Case(f"method-{mid}-{cid}", argv, files, "error", names)


# ------------------------------------------------------------ numeric options
def option_cases() -> Iterator[Case]:
    files = {"p.csv": panel(), "m.toml": METHOD.encode()}
    data = ("--data", "p.csv", "--method", "m.toml")
    bad = [
        ("robustness-runs-1e8", ("robustness", "--runs", "100000000"), ("--runs", "memory")),
        ("robustness-runs-1e9", ("robustness", *data, "--runs", "1000000000"),
         ("--runs", "memory")),
        ("rank-intervals-runs-1e9", ("rank", "--intervals", "--runs", "1000000000"),
         ("--runs", "memory")),
        ("sobol-runs-1e8", ("robustness", "--sobol", "--runs", "100000000"),
         ("--runs", "memory")),
        ("robustness-runs-0", ("robustness", *data, "--runs", "0"), ("runs",)),
        ("robustness-runs-negative", ("robustness", *data, "--runs", "-5"), ("runs",)),
        ("robustness-runs-text", ("robustness", *data, "--runs", "many"), ("runs",)),
        ("sobol-too-few-runs", ("robustness", *data, "--sobol", "--runs", "10"), ("runs",)),
        ("robustness-weights-2", ("robustness", *data, "--weights", "2"), ("weights",)),
        ("robustness-weights-nan", ("robustness", *data, "--weights", "nan"), ("weights",)),
        ("robustness-weights-negative", ("robustness", *data, "--weights", "-0.1"),
         ("weights",)),
        ("rank-top-0", ("rank", *data, "--top", "0"), ("top",)),
        ("rank-top-negative", ("rank", *data, "--top", "-3"), ("top",)),
        ("rank-weight-uncertainty-nan", ("rank", *data, "--intervals", "--runs", "30",
                                         "--weight-uncertainty", "nan"), ("uncertainty",)),
        ("rank-economy-bad", ("rank", *data, "--economy", "ZZZZZ"), ("economy",)),
        ("rank-unknown-edition", ("rank", "--edition", "gii-1899"), ("gii-1899",)),
        ("rank-unknown-preset", ("rank", "--method", "nonsense"), ("nonsense",)),
        ("rank-out-unknown-format", ("rank", *data, "--out", "out.xlsx"), ("out.xlsx",)),
        ("explain-unknown-unit", ("explain", "Atlantis", *data), ("Atlantis",)),
        ("report-runs-negative", ("report", *data, "--runs", "-1"), ("runs",)),
        ("report-weight-uncertainty-2", ("report", *data, "--weight-uncertainty", "2"),
         ("uncertainty",)),
        ("compare-unknown-list", ("compare", "--rankings", "gii-2025,nope"), ("nope",)),
        ("consensus-unknown-method", ("consensus", "--method", "dictator"), ("dictator",)),
        ("movers-unknown", ("movers", "gii-1999", "gii-2025"), ("gii-1999",)),
        ("movers-one", ("movers", "gii-2025"), ("PAIR",)),
        ("resolve-empty", ("resolve", ""), ("name",)),
        ("simulate-scale-0", ("simulate", "sim", "--scale", "0"), ("scale",)),
        ("simulate-scale-1e300", ("simulate", "sim", "--scale", "1e300"), ("scale",)),
        ("simulate-jitter-negative", ("simulate", "sim", "--jitter-km", "-1"), ("jitter",)),
        ("methods-unknown", ("methods", "nonsense"), ("nonsense",)),
    ]
    for cid, argv, names in bad:
        yield Case(f"option-{cid}", argv, files, "error", names)


# ----------------------------------------------------------------- the readers
def _accounting(expect_used: int | None = None, reason: str | None = None) -> Check:
    """Every record read is used or dropped with a counted reason; the points are sane."""
    def check(folder: Path, _out: str) -> None:
        import polars as pl

        report = json.loads((folder / "rep.json").read_text())
        dropped = sum(d["count"] for d in report["dropped"].values())
        assert report["records_read"] == report["records_used"] + dropped, report
        assert report["records_dropped"] == dropped
        if expect_used is not None:
            assert report["records_used"] == expect_used, report
        if reason is not None:
            assert reason in report["dropped"], report
        points = pl.read_parquet(folder / "o.parquet")
        assert points["weight"].is_finite().all() and (points["weight"] > 0).all()
        assert points["latitude"].is_between(-90, 90).all()
        assert points["longitude"].is_between(-180, 180).all()
    return check


def _fixture(name: str) -> bytes:
    return (FIXTURES / "sources" / name).read_bytes()


def reader_cases() -> Iterator[Case]:
    works = _fixture("openalex_works.jsonl")
    insts = _fixture("openalex_institutions.jsonl")
    oa = ("ingest", "openalex", "w.jsonl", "--institutions", "i.jsonl", "--out", "o.parquet",
          "--report-json", "rep.json")
    oa_files = {"i.jsonl": insts}
    one_work = json.loads(works.splitlines()[0])
    for cid, data in (
            ("deep", ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}\n").encode()),
            ("authorships-text", json.dumps({**one_work, "authorships": "oops"}).encode()),
            ("authorship-number", json.dumps({**one_work, "authorships": [5]}).encode()),
            ("institutions-text", json.dumps({**one_work, "authorships": [
                {"institutions": "x"}]}).encode()),
            ("year-text", json.dumps({**one_work, "publication_year": "soon"}).encode()),
            ("year-huge", json.dumps({**one_work, "publication_year": 1e300}).encode()),
            ("id-number", json.dumps({**one_work, "id": 5}).encode()),
            ("topic-list", json.dumps({**one_work, "primary_topic": [1]}).encode()),
            ("not-json", b"{this is not json\n"),
            ("array-line", b"[1,2,3]\n"),
            ("bad-utf8", b'{"id": "W1", "title": "\xff"}\n')):
        yield Case(f"openalex-{cid}", oa, {**oa_files, "w.jsonl": works + data + b"\n"},
                   "ok", (), _accounting())
    yield Case("openalex-truncated-gzip", oa, {**oa_files, "w.jsonl": gzip.compress(
        works * 20)[:300]}, "error", ("w.jsonl", "truncated"))
    yield Case("openalex-bad-institutions", oa, {"i.jsonl": b'{"id": "I1", "geo": "x"}\n' +
                                                 insts, "w.jsonl": works}, "ok", (),
               _accounting())
    yield Case("openalex-empty", oa, {**oa_files, "w.jsonl": b""}, "error", ("w.jsonl",))
    yield Case("openalex-binary", oa, {**oa_files, "w.jsonl": bytes(range(256)) * 40}, "ok",
               (), _accounting(0))
    ror = ("ingest", "ror", "r.json", "--out", "o.parquet", "--report-json", "rep.json")
    for cid, data in (
            ("deep-array", b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]"),
            ("deep-element", b'[{"id": "https://ror.org/1", "x": ' + b"[" * 50_000
             + b"]" * 50_000 + b"}]"),
            ("locations-text", b'[{"id": "https://ror.org/1", "locations": "x"}]'),
            ("lat-text", b'[{"id": "https://ror.org/1", "locations": [{"geonames_details":'
                         b' {"lat": "north", "lng": 2}}]}]'),
            ("lat-inf", b'[{"id": "https://ror.org/1", "locations": [{"geonames_details":'
                        b' {"lat": 1e999, "lng": 2}}]}]'),
            ("lat-out-of-range", b'[{"id": "https://ror.org/1", "locations": '
                                 b'[{"geonames_details": {"lat": 95, "lng": 2}}]}]'),
            ("numbers", b"[1, 2, 3]")):
        yield Case(f"ror-{cid}", ror, {"r.json": data}, "ok", (), _accounting(0))
    yield Case("ror-truncated", ror, {"r.json": b'[{"id": "https://ror.org/1"'}, "error",
               ("r.json",))
    yield Case("ror-utf16", ror, {"r.json": _fixture("ror_v2.json").decode().encode(
        "utf-16")}, "error", ("r.json",))
    table = ("ingest", "table", "t.csv", "--label", "patents", "--lat", "lat", "--lon", "lon",
             "--weight", "w", "--out", "o.parquet", "--report-json", "rep.json")
    for cid, data, used in (
            ("weight-1e308", b"lat,lon,w\n48.8,2.3,1e308\n48.8,2.3,1e308\n48.8,2.3,1\n", 1),
            ("weight-inf", b"lat,lon,w\n48.8,2.3,inf\n48.8,2.3,1\n", 1),
            ("weight-negative", b"lat,lon,w\n48.8,2.3,-1\n48.8,2.3,1\n", 1),
            ("weight-text", b"lat,lon,w\n48.8,2.3,heavy\n48.8,2.3,1\n", 1),
            ("lat-91", b"lat,lon,w\n91,2.3,1\n48.8,2.3,1\n", 1),
            ("lon-nan", b"lat,lon,w\n48.8,nan,1\n48.8,2.3,1\n", 1),
            ("ragged", b"lat,lon,w\n48.8,2.3\n48.8,2.3,1\n", 1)):
        yield Case(f"table-{cid}", table, {"t.csv": data}, "ok", (), _accounting(used))
    yield Case("table-missing-column", table, {"t.csv": b"lat,lng,w\n1,2,3\n"}, "error",
               ("t.csv", "lon"))
    yield Case("table-utf16", table, {"t.csv": "lat,lon,w\n1,2,3\n".encode("utf-16")},
               "error", ("t.csv",))
    cb = ("ingest", "crunchbase", "c.csv", "--out", "o.parquet", "--report-json", "rep.json")
    rounds = _fixture("crunchbase_rounds.csv")
    yield Case("crunchbase-ragged", cb, {"c.csv": rounds + b"a,b\n"}, "ok", (), _accounting())
    yield Case("crunchbase-binary", cb, {"c.csv": bytes(range(1, 256)) * 20}, "error",
               ("c.csv",))
    pv = ("ingest", "patentsview", "inv.tsv", "loc.tsv", "--out", "o.parquet", "--report-json",
          "rep.json")
    yield Case("patentsview-truncated-gzip", pv, {
        "inv.tsv": _fixture("corrupt_truncated.csv.gz"),
        "loc.tsv": _fixture("g_location_disambiguated.tsv")}, "error", ("truncated",))
    yield Case("patentsview-commas", pv, {
        "inv.tsv": _fixture("g_inventor_disambiguated.tsv"),
        "loc.tsv": _fixture("corrupt_g_location_disambiguated_commas.tsv")}, "error",
        ("loc.tsv",))


# ------------------------------------------------------------ clusters & build
POINTS = "latitude,longitude,weight,source\n" + "".join(
    f"{48.85 + i * 0.001},{2.35 + i * 0.001},3,patents\n" for i in range(20))


def cluster_cases() -> Iterator[Case]:
    run = ("clusters", "pts.csv", "--out", "c.parquet", "--no-names", "--min-weight", "5")
    for cid, data, outcome, names in (
            ("weight-1e308", POINTS + "48.85,2.35,1e308,patents\n", "ok", ()),
            ("weight-inf", POINTS + "48.85,2.35,inf,patents\n", "ok", ()),
            ("lat-text", POINTS + "north,2.35,1,patents\n", "ok", ()),
            ("empty", "", "error", ("pts.csv",)),
            ("no-source", POINTS.replace(",source", "").replace(",patents", ""), "error",
             ("pts.csv", "source")),
            ("utf16", "UTF16", "error", ("pts.csv",))):
        raw = POINTS.encode("utf-16") if data == "UTF16" else data.encode()
        yield Case(f"clusters-{cid}", run, {"pts.csv": raw}, outcome, names)
    for cid, extra, names in (
            ("precision-400", ("--precision", "400"), ("precision",)),
            ("precision-negative", ("--precision", "-5"), ("precision",)),
            ("eps-0", ("--eps-km", "0"), ("eps_km",)),
            ("eps-nan", ("--eps-km", "nan"), ("eps_km",)),
            ("eps-huge", ("--eps-km", "1e308"), ("eps_km",)),
            ("min-weight-inf", ("--min-weight", "inf"), ("min_weight",)),
            ("merge-2", ("--merge-threshold", "2"), ("merge_threshold",))):
        yield Case(f"clusters-{cid}", (*run, *extra), {"pts.csv": POINTS.encode()}, "error",
                   names)


PROJECT = (FIXTURES / "build" / "project.toml").read_text()


def project_with(old: str, new: str) -> bytes:
    assert old in PROJECT, old
    return PROJECT.replace(old, new, 1).encode()


def build_cases() -> Iterator[Case]:
    points = (FIXTURES / "build" / "points.csv").read_bytes()
    for cid, project, names in (
            ("utf16", PROJECT.encode("utf-16"), ("project.toml", "UTF-8")),
            ("binary", bytes(range(256)), ("project.toml",)),
            ("syntax", PROJECT.replace('name = "three-hubs"', 'name = "three-hubs').encode(),
             ("project.toml",)),
            ("paths-directory", project_with('paths = ["points.csv"]', 'paths = ["."]'),
             ("project.toml", "paths")),
            ("paths-missing", project_with('paths = ["points.csv"]', 'paths = ["gone.csv"]'),
             ("project.toml", "gone.csv")),
            ("results-is-file", project_with('results = "results"', 'results = "points.csv"'),
             ("project.toml", "results")),
            ("min-weight-misspelt", project_with("min_weight = 3.0",
                                                 "min_weight = { patentz = 3 }"),
             ("project.toml", "patentz")),
            ("indicators-misspelt", (PROJECT + '\n[indicators]\npatentz = "x"\n').encode(),
             ("project.toml", "patentz")),
            ("unknown-section", (PROJECT + "\n[colour]\nred = 1\n").encode(),
             ("project.toml", "colour")),
            ("eps-negative", project_with("eps_km = 12.0", "eps_km = -1"),
             ("project.toml", "eps_km")),
            ("period-backwards", project_with("end = 2022", "end = 2010"),
             ("project.toml", "period")),
            ("robustness-runs-1e9", (PROJECT + "\n[robustness]\nruns = 1000000000\n").encode(),
             ("runs",)),
            ("unknown-format", project_with('format = "points"', 'format = "excel"'),
             ("project.toml", "excel")),
            ("unknown-preset", project_with('preset = "gii-clusters"', 'preset = "gii-9"'),
             ("project.toml", "gii-9"))):
        yield Case(f"build-{cid}", ("build", "project.toml"),
                   {"project.toml": project, "points.csv": points}, "error", names)
    heavy = points + b"48.86,2.35,1e308,patents,2020\r\n48.86,2.35,1e308,patents,2020\r\n"

    def counted(folder: Path, _out: str) -> None:
        report = json.loads((folder / "results" / "ingest_report.json").read_text())
        text = json.dumps(report)
        assert "weight_too_large" in text or "too large" in text, text[:2000]
        ranking = json.loads((folder / "results" / "ranking.json").read_text())
        assert all(r["score"] is None or r["score"] < 1e12 for r in ranking["rows"])

    yield Case("build-weight-1e308-counted", ("build", "project.toml"),
               {"project.toml": PROJECT.encode(), "points.csv": heavy}, "ok", (), counted)


def all_cases() -> list[Case]:
    cases = [*panel_cases(), *method_cases(), *option_cases(), *reader_cases(),
             *cluster_cases(), *build_cases()]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
