"""Hub factors from open layers. References: an independent haversine computation of every
assignment (numpy, the Earth radius of techhubs.geo.sphere), ROR's own coordinates
(``../shared/data/ror/organizations.csv``), and small hand-made layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.conftest import shared_file

from techhubs.cli import main
from techhubs.errors import DataError
from techhubs.geo.sphere import EARTH_RADIUS_KM
from techhubs.indicators.enrich import enrich, member_places, parse_layer


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def check_assignment(assignment: pl.DataFrame, places: pl.DataFrame, radius: float,
                     points: pl.DataFrame) -> None:
    """Each assigned point: within radius of its hub's nearest place, and no other hub has a
    nearer place; each point not assigned: no place within radius."""
    plat, plon = places["latitude"].to_numpy(), places["longitude"].to_numpy()
    owner = places["unit_id"].to_list()
    assigned = dict(zip(assignment["id"], assignment["unit_id"], strict=True))
    for pid, lat, lon in points.select("id", "latitude", "longitude").iter_rows():
        d = haversine(lat, lon, plat, plon)
        k = int(np.argmin(d))
        if d[k] <= radius:
            nearest = {owner[j] for j in np.flatnonzero(d == d[k])}
            assert assigned.get(pid) in nearest, (pid, assigned.get(pid), nearest)
        else:
            assert pid not in assigned, pid


def test_hand_made_layer(tmp_path: Path) -> None:
    places = member_places("gii-2023")
    paris = places.filter(pl.col("place") == "Paris").row(0, named=True)
    # three points near Paris (1, 10 and 40 km north), one in the Atlantic
    rows = [("a", paris["latitude"] + 0.009, paris["longitude"], 1.0),
            ("b", paris["latitude"] + 0.09, paris["longitude"], 2.0),
            ("c", paris["latitude"] + 0.36, paris["longitude"], 4.0),
            ("d", 40.0, -40.0, 8.0)]
    points = pl.DataFrame(rows, schema=["id", "latitude", "longitude", "weight"], orient="row")
    points.with_columns(pl.lit("vc").alias("source")).write_parquet(tmp_path / "p.parquet")
    result = enrich("gii-2023", [f"deals=points:{tmp_path / 'p.parquet'}"], radius_km=25)
    hubs = result.hubs
    assert hubs.filter(pl.col("unit_id") == paris["unit_id"])["deals"].item() == 3.0
    assert hubs["deals"].sum() == 3.0 and result.outside == {"deals": 2}
    assert sorted(result.assignment["id"]) == ["a", "b"]
    check_assignment(result.assignment, places, 25, points)
    assert hubs.height == 34 and hubs["population"].min() > 0


def test_layer_syntax_errors() -> None:
    assert parse_layer("institutions=ror:data/o.csv") == ("institutions", "ror", "data/o.csv")
    for bad in ("institutions", "institutions=ror", "=ror:x", "9x=ror:x"):
        with pytest.raises(DataError, match="layer"):
            parse_layer(bad)


@pytest.mark.shared
def test_ror_institutions_on_gii_2023_hubs(tmp_path: Path, capsys) -> None:
    ror = shared_file("data/ror/organizations.csv")
    out = tmp_path / "hubs.csv"
    code = main(["enrich", "--edition", "gii-2023", "--layer", f"institutions=ror:{ror}",
                 "--out", str(out), "--assignment", str(tmp_path / "a.parquet")])
    assert code == 0, capsys.readouterr().err
    hubs = pl.read_csv(out)
    assert hubs.height == 34
    assert (hubs["institutions"] > 0).sum() >= 30
    assert {"institutions_education", "institutions_facility"} <= set(hubs.columns)
    assignment = pl.read_parquet(tmp_path / "a.parquet")
    assert assignment["id"].n_unique() == assignment.height  # nobody counted twice
    from techhubs.sources.ror import RorReader

    points = RorReader().read(ror).points
    check_assignment(assignment, member_places("gii-2023"), 25.0, points)
    assert hubs["institutions"].sum() == assignment["weight"].sum()
    assert (tmp_path / "hubs.csv.provenance.json").exists()


def test_a_radius_that_is_not_positive_is_refused(tmp_path: Path, capsys) -> None:
    pl.DataFrame({"latitude": [48.9], "longitude": [2.35], "weight": [1.0],
                  "source": ["vc"]}).write_parquet(tmp_path / "p.parquet")
    code = main(["enrich", "--layer", f"d=points:{tmp_path / 'p.parquet'}", "--radius-km", "0",
                 "--out", str(tmp_path / "h.csv")])
    assert code == 2 and "radius" in capsys.readouterr().err
    assert not (tmp_path / "h.csv").exists()
