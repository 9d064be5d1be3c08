"""Inline SVG for the report: world map (world-atlas outline), rank-interval chart, bars.

The world outline is the vendored npm ``world-atlas`` ``countries-110m.json``
(TopoJSON), decoded here and drawn in the Natural Earth projection, so that
the report needs no script and no network to show its map.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960.0, 480.0
VIEW_HEIGHT = 420.0  # the frame below ~60°S (Antarctica is not drawn) is cut off


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth I projection (Šavrič et al. 2011) scaled to the 960 x 480 frame."""
    lam = math.radians(lon)
    phi = math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2
               + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2
                                                      - 0.005916 * phi4)))
    scale = WIDTH / (2 * 2.7354)
    return WIDTH / 2 + x * scale, 0.9 * HEIGHT / 2 + 15 - y * scale


def _vendor() -> Path:
    return Path(str(resources.files("techhubs.web"))) / "static" / "vendor"


def decode_topology(topology: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """TopoJSON object -> GeoJSON-like features (what topojson-client's ``feature`` does)."""
    transform = topology.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        points = []
        x = y = 0.0
        for position in arc:
            if transform:
                x += position[0]
                y += position[1]
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)

    def ring(indexes: Sequence[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for k, index in enumerate(indexes):
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            out.extend(points if k == 0 else points[1:])
        return out

    features = []
    for geometry in topology["objects"][name]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            polygons = [[ring(r) for r in geometry["arcs"]]]
        elif kind == "MultiPolygon":
            polygons = [[ring(r) for r in polygon] for polygon in geometry["arcs"]]
        else:
            polygons = []
        features.append({"id": geometry.get("id"), "properties": geometry.get("properties", {}),
                         "polygons": polygons})
    return features


def _ring_path(points: Sequence[tuple[float, float]]) -> str:
    parts: list[str] = []
    previous = None
    for lon, lat in points:
        x, y = natural_earth(lon, lat)
        jump = previous is not None and abs(lon - previous) > 180
        parts.append(("M" if not parts or jump else "L") + f"{x:.1f},{y:.1f}")
        previous = lon
    return "".join(parts) + "Z"


@functools.cache
def world_paths() -> tuple[str, ...]:
    """SVG path data of every country but Antarctica."""
    topology = json.loads((_vendor() / "countries-110m.json").read_text(encoding="utf-8"))
    paths = []
    for feature in decode_topology(topology, "countries"):
        if feature["properties"].get("name") == "Antarctica":
            continue
        paths.append("".join(_ring_path(r) for polygon in feature["polygons"] for r in polygon))
    return tuple(paths)


# Viridis stops (the dashboard's scale): narrow intervals dark, wide ones yellow.
_STOPS = ((0.0, (68, 1, 84)), (2.0, (59, 82, 139)), (4.0, (33, 145, 140)),
          (7.0, (94, 201, 98)), (10.0, (253, 231, 37)))
LEGEND = ((0.0, "interval width 0"), (2.0, "2 ranks"), (4.0, "4"), (7.0, "7"),
          (10.0, "10+ ranks"))


def width_colour(width: float | None) -> str:
    """Rank-interval width -> colour (same scale as the dashboard)."""
    if width is None or math.isnan(width):
        return "#8c959f"
    for (w0, c0), (w1, c1) in itertools.pairwise(_STOPS):
        if width <= w1:
            t = (width - w0) / (w1 - w0)
            r, g, b = (round(a + t * (b_ - a)) for a, b_ in zip(c0, c1, strict=True))
            return f"rgb({r},{g},{b})"
    r, g, b = _STOPS[-1][1]
    return f"rgb({r},{g},{b})"


def map_svg(hubs: Sequence[dict[str, Any]]) -> Markup:
    """World map with hubs (dicts: unit_id, name, rank, score, latitude, longitude, width)."""
    out = [f'<svg class="map" viewBox="0 0 {WIDTH:.0f} {VIEW_HEIGHT:.0f}" role="img" '
           'aria-label="World map of the ranked hubs">',
           '<rect width="100%" height="100%" fill="#eaf2fb"/>', '<g class="land">']
    out += [f'<path d="{d}"/>' for d in world_paths()]
    out.append("</g>")
    scores = [h["score"] for h in hubs if h.get("score") and h["score"] > 0]
    top = max(scores) if scores else 1.0
    placed = [h for h in hubs if h.get("latitude") is not None and h.get("longitude") is not None]
    placed.sort(key=lambda h: -(h.get("score") or 0))
    for h in placed:
        x, y = natural_earth(h["longitude"], h["latitude"])
        r = 3 + 17 * math.sqrt(max(h.get("score") or 0.0, 0.0) / top)
        label = f"{h['name']}: rank {h['rank']}"
        if h.get("width") is not None:
            label += f" (90% interval {h['rank_p05']:g}–{h['rank_p95']:g})"
        out.append(
            f'<a href="#hub-{escape(h["unit_id"])}"><circle cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{r:.1f}" fill="{width_colour(h.get("width"))}" class="hub">'
            f"<title>{escape(label)}</title></circle></a>")
    out.append("</svg>")
    return Markup("".join(out))


def interval_chart(rows: Sequence[dict[str, Any]], n_units: int) -> Markup:
    """One line per hub: nominal rank (dot) and the 5-95% rank interval (bar)."""
    row_h, left, right = 16, 230, 20
    width = 760
    height = row_h * len(rows) + 30
    span = width - left - right

    def x(rank: float) -> float:
        return left + span * (rank - 1) / max(n_units - 1, 1)

    out = [f'<svg class="intervals" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Rank intervals">']
    for tick in sorted({1, *range(5, n_units + 1, 5), n_units}):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="0" y2="{height - 20}" '
                   'stroke="#e5e8eb"/>'
                   f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="10" '
                   f'text-anchor="middle">{tick}</text>')
    for i, r in enumerate(rows):
        y = 8 + i * row_h
        out.append(f'<text x="{left - 8}" y="{y + 4}" font-size="11" text-anchor="end">'
                   f'{escape(str(r["rank"] or "–"))}. {escape(r["name"])}</text>')
        if r.get("rank_p05") is not None:
            x0, x1 = x(r["rank_p05"]), x(r["rank_p95"])
            out.append(f'<rect x="{x0:.1f}" y="{y - 3}" width="{max(x1 - x0, 2):.1f}" '
                       f'height="6" fill="{width_colour(r["width"])}" rx="2"/>')
        if r["rank"] is not None:  # a hub without a score has no dot
            out.append(f'<circle cx="{x(r["rank"]):.1f}" cy="{y}" r="3.5" fill="#1d2733"/>')
    out.append("</svg>")
    return Markup("".join(out))


def bars_svg(items: Sequence[tuple[str, float, str]]) -> Markup:
    """Horizontal bars: (label, value, annotation)."""
    height = 22 * len(items) + 6
    top = max((abs(v) for _, v, _ in items), default=1.0) or 1.0
    out = [f'<svg class="bars" viewBox="0 0 640 {height}" role="img" '
           'aria-label="Score decomposition">']
    for i, (label, value, note) in enumerate(items):
        y = 3 + i * 22
        w = max(1.0, 220 * abs(value) / top)
        short = label if len(label) <= 44 else label[:42] + "…"
        out.append(f'<text x="0" y="{y + 13}" font-size="11">{escape(short)}</text>'
                   f'<rect x="280" y="{y + 2}" width="{w:.1f}" height="14" fill="#1f6feb"/>'
                   f'<text x="{285 + w:.1f}" y="{y + 13}" font-size="11">{escape(note)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
