// A world map in plain SVG: Natural Earth projection of the world-atlas outline
// (decoded with topojson-client), hubs as circles sized by score and coloured
// by the width of their rank interval.

const WIDTH = 960;
const HEIGHT = 480;
const SVG = "http://www.w3.org/2000/svg";

// Natural Earth I (Šavrič et al. 2011), lambda/phi in radians.
export function naturalEarth(lon, lat) {
  const lambda = (lon * Math.PI) / 180;
  const phi = (lat * Math.PI) / 180;
  const phi2 = phi * phi;
  const phi4 = phi2 * phi2;
  const x = lambda * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)));
  const y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)));
  // x in [-2.7354, 2.7354], y in [-1.4224, 1.4224]; crop Antarctica (below ~-60°).
  const scale = WIDTH / (2 * 2.7354);
  return [WIDTH / 2 + x * scale, 0.9 * HEIGHT / 2 + 15 - y * scale];
}

function ringPath(ring) {
  let d = "";
  let previous = null;
  for (const [lon, lat] of ring) {
    const [x, y] = naturalEarth(lon, lat);
    // Start a new sub-path where a ring crosses the antimeridian.
    const jump = previous !== null && Math.abs(lon - previous) > 180;
    d += `${d === "" || jump ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`;
    previous = lon;
  }
  return d + "Z";
}

export function geometryPath(geometry) {
  if (!geometry) return "";
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.map((polygon) => polygon.map(ringPath).join("")).join("");
}

let outline = null;

export async function loadOutline() {
  if (outline) return outline;
  const world = await fetch("/static/vendor/countries-110m.json").then((r) => r.json());
  const countries = window.topojson.feature(world, world.objects.countries);
  outline = countries.features
    .filter((f) => f.properties.name !== "Antarctica")
    .map((f) => geometryPath(f.geometry));
  return outline;
}

// Interval width -> colour on the viridis scale: narrow (certain) dark purple to
// wide (uncertain) yellow; perceptually uniform, never grey (grey means no interval).
const STOPS = [[0, [68, 1, 84]], [2, [59, 82, 139]], [4, [33, 145, 140]], [7, [94, 201, 98]], [10, [253, 231, 37]]];

export function widthColour(width) {
  if (width === null || width === undefined || Number.isNaN(width)) return "#8c959f";
  for (let i = 1; i < STOPS.length; i++) {
    const [w1, c1] = STOPS[i];
    const [w0, c0] = STOPS[i - 1];
    if (width <= w1) {
      const t = (width - w0) / (w1 - w0);
      const c = c0.map((v, k) => Math.round(v + t * (c1[k] - v)));
      return `rgb(${c[0]},${c[1]},${c[2]})`;
    }
  }
  const last = STOPS[STOPS.length - 1][1];
  return `rgb(${last[0]},${last[1]},${last[2]})`;
}

export function drawMap(svg, land, rows, { selected, onSelect, hasIntervals }) {
  svg.replaceChildren();
  const g = document.createElementNS(SVG, "g");
  for (const d of land) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("class", "land");
    g.appendChild(path);
  }
  svg.appendChild(g);
  const scores = rows.map((r) => r.score).filter((s) => s !== null && s > 0);
  const maxScore = scores.length ? Math.max(...scores) : 1;
  const placed = rows.filter((r) => r.latitude !== null && r.longitude !== null);
  // Big circles first so that small ones stay clickable on top.
  placed.sort((a, b) => (b.score || 0) - (a.score || 0));
  for (const row of placed) {
    const [x, y] = naturalEarth(row.longitude, row.latitude);
    const radius = 3 + 17 * Math.sqrt(Math.max(row.score || 0, 0) / maxScore);
    const circle = document.createElementNS(SVG, "circle");
    circle.setAttribute("cx", x.toFixed(1));
    circle.setAttribute("cy", y.toFixed(1));
    circle.setAttribute("r", radius.toFixed(1));
    circle.setAttribute("class", "hub" + (row.unit_id === selected ? " selected" : ""));
    circle.dataset.unit = row.unit_id;
    const width = hasIntervals && row.rank_p05 !== null ? row.rank_p95 - row.rank_p05 : null;
    circle.setAttribute("fill", widthColour(width));
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${row.name}: rank ${row.rank}` +
      (width !== null ? ` (90% interval ${row.rank_p05}–${row.rank_p95})` : "");
    circle.appendChild(title);
    circle.addEventListener("click", () => onSelect(row.unit_id));
    svg.appendChild(circle);
  }
}

export function drawLegend(element, hasIntervals) {
  element.replaceChildren();
  const items = hasIntervals
    ? [[0, "interval width 0"], [2, "2 ranks"], [4, "4"], [7, "7"], [10, "10+ ranks"]]
    : [[null, "rank intervals unavailable"]];
  for (const [width, label] of items) {
    const span = document.createElement("span");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = widthColour(width);
    span.append(swatch, label);
    element.appendChild(span);
  }
  const size = document.createElement("span");
  size.textContent = "circle area ∝ score";
  element.appendChild(size);
}
