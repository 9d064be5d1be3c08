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

// Zoom and pan state, kept across redraws (every re-rank redraws the hubs).
const view = { k: 1, x: 0, y: 0 };
const MAX_ZOOM = 16;
const LABEL_ZOOM = 2.5;  // hub names are written on the map from this zoom on
const VIEW_HEIGHT = 420;

function fmtScore(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en") : value.toFixed(2);
}

function tipText(row, width) {
  const parts = [`rank ${row.rank ?? "–"}`, `score ${fmtScore(row.score)}`];
  if (width !== null) parts.push(`90% interval ${Math.round(row.rank_p05)}–${Math.round(row.rank_p95)}`);
  return parts.join(" · ");
}

function showTip(svg, circle, row, width) {
  const tip = document.getElementById("map-tip");
  const frame = svg.parentElement;
  if (!tip || !frame) return;
  const box = circle.getBoundingClientRect();
  const outer = frame.getBoundingClientRect();
  const name = document.createElement("strong");
  name.textContent = row.name;
  const detail = document.createElement("div");
  detail.textContent = tipText(row, width);
  tip.replaceChildren(name, detail);
  tip.hidden = false;
  // keep the tip inside the frame horizontally
  const half = tip.offsetWidth / 2;
  const x = Math.min(Math.max(box.left + box.width / 2 - outer.left, half + 4), outer.width - half - 4);
  tip.style.left = `${x}px`;
  tip.style.top = `${Math.max(box.top - outer.top, tip.offsetHeight + 12)}px`;
}

function hideTip() {
  const tip = document.getElementById("map-tip");
  if (tip) tip.hidden = true;
}

// Apply the zoom: the viewport group is scaled, hubs keep their size on screen
// (so crowded regions such as East Asia separate as one zooms in).
function applyView(svg) {
  const viewport = svg.querySelector("g.viewport");
  if (!viewport) return;
  viewport.setAttribute("transform", `translate(${view.x.toFixed(2)} ${view.y.toFixed(2)}) scale(${view.k.toFixed(4)})`);
  // On a small screen (under 0.75 pixel per map unit) hubs are enlarged to stay visible.
  const matrix = svg.getScreenCTM();
  const enlarge = matrix && matrix.a > 0 ? Math.max(1, 0.75 / matrix.a) : 1;
  for (const circle of viewport.querySelectorAll("circle.hub")) {
    circle.setAttribute("r", ((enlarge * Number(circle.dataset.radius)) / view.k).toFixed(3));
  }
  // Names are 12 pixels high whatever the screen and the zoom.
  const pixel = matrix && matrix.a > 0 ? 1 / matrix.a : 1;
  for (const text of viewport.querySelectorAll("text.hub-label")) {
    const dx = (enlarge * Number(text.dataset.radius) + 3 * pixel) / view.k;
    text.setAttribute("x", (Number(text.dataset.x) + dx).toFixed(3));
    text.setAttribute("y", (Number(text.dataset.y) + (4 * pixel) / view.k).toFixed(3));
    text.setAttribute("font-size", ((12 * pixel) / view.k).toFixed(3));
  }
  svg.classList.toggle("labelled", view.k >= LABEL_ZOOM);
  svg.dataset.zoom = view.k.toFixed(2);
}

function clampView() {
  view.k = Math.min(Math.max(view.k, 1), MAX_ZOOM);
  view.x = Math.min(0, Math.max(WIDTH * (1 - view.k), view.x));
  view.y = Math.min(0, Math.max(VIEW_HEIGHT * (1 - view.k), view.y));
}

// Zoom by ``factor`` keeping the map point under (px, py) (SVG user units) in place.
export function zoomAt(svg, factor, px = WIDTH / 2, py = VIEW_HEIGHT / 2) {
  const k = Math.min(Math.max(view.k * factor, 1), MAX_ZOOM);
  view.x = px - ((px - view.x) * k) / view.k;
  view.y = py - ((py - view.y) * k) / view.k;
  view.k = k;
  clampView();
  applyView(svg);
  hideTip();
}

export function resetZoom(svg) {
  Object.assign(view, { k: 1, x: 0, y: 0 });
  applyView(svg);
  hideTip();
}

function svgPoint(svg, clientX, clientY) {
  const matrix = svg.getScreenCTM();
  if (!matrix) return [WIDTH / 2, VIEW_HEIGHT / 2];
  const p = new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
  return [p.x, p.y];
}

// Wheel and pinch zoom, drag to pan; a drag never counts as a click on a hub.
export function enableZoom(svg) {
  const pointers = new Map();
  let drag = null;
  let pinch = null;
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = svgPoint(svg, event.clientX, event.clientY);
    zoomAt(svg, Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)), px, py);
  }, { passive: false });
  svg.addEventListener("dblclick", (event) => {
    const [px, py] = svgPoint(svg, event.clientX, event.clientY);
    zoomAt(svg, event.shiftKey ? 0.5 : 2, px, py);
  });
  svg.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (pointers.size === 2) {
      const [[x1, y1], [x2, y2]] = [...pointers.values()];
      pinch = { distance: Math.hypot(x2 - x1, y2 - y1), k: view.k };
      drag = null;
    } else if (pointers.size === 1) {
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false, id: event.pointerId };
    }
  });
  svg.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (pinch && pointers.size === 2) {
      const [[x1, y1], [x2, y2]] = [...pointers.values()];
      const [px, py] = svgPoint(svg, (x1 + x2) / 2, (y1 + y2) / 2);
      zoomAt(svg, (pinch.k * Math.hypot(x2 - x1, y2 - y1)) / pinch.distance / view.k, px, py);
      return;
    }
    if (!drag) return;
    const matrix = svg.getScreenCTM();
    const scale = matrix ? matrix.a : 1;
    const dx = (event.clientX - drag.x) / scale;
    const dy = (event.clientY - drag.y) / scale;
    if (!drag.moved && Math.hypot(dx * scale, dy * scale) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      svg.classList.add("dragging");
      svg.setPointerCapture(drag.id);  // from here on the gesture is a pan, not a click
      hideTip();
    }
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    clampView();
    applyView(svg);
  });
  const end = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (drag && drag.id === event.pointerId) {
      svg.classList.remove("dragging");
      drag = null;
    }
  };
  new ResizeObserver(() => applyView(svg)).observe(svg);
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener("pointerleave", hideTip);
}

export function drawMap(svg, land, rows, { selected, onSelect, hasIntervals }) {
  svg.replaceChildren();
  const viewport = document.createElementNS(SVG, "g");
  viewport.setAttribute("class", "viewport");
  const g = document.createElementNS(SVG, "g");
  for (const d of land) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("class", "land");
    g.appendChild(path);
  }
  viewport.appendChild(g);
  const hubs = document.createElementNS(SVG, "g");
  const labels = document.createElementNS(SVG, "g");
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
    circle.setAttribute("tabindex", "0");
    circle.setAttribute("role", "button");
    circle.dataset.unit = row.unit_id;
    circle.dataset.radius = radius.toFixed(2);
    const width = hasIntervals && row.rank_p05 !== null && row.rank_p05 !== undefined
      ? row.rank_p95 - row.rank_p05 : null;
    circle.setAttribute("fill", widthColour(width));
    circle.setAttribute("aria-label", `${row.name}: ${tipText(row, width)}`);
    circle.addEventListener("click", () => onSelect(row.unit_id));
    circle.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onSelect(row.unit_id);
      }
    });
    for (const type of ["pointerenter", "focus"]) {
      circle.addEventListener(type, () => showTip(svg, circle, row, width));
    }
    for (const type of ["pointerleave", "blur"]) circle.addEventListener(type, hideTip);
    hubs.appendChild(circle);
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("class", "hub-label" + (row.unit_id === selected ? " selected" : ""));
    text.dataset.x = x.toFixed(1);
    text.dataset.y = y.toFixed(1);
    text.dataset.radius = radius.toFixed(2);
    text.dataset.unit = row.unit_id;
    text.textContent = row.name;
    labels.appendChild(text);
  }
  viewport.append(hubs, labels);
  svg.appendChild(viewport);
  applyView(svg);
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
