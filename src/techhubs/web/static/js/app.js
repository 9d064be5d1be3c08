// The techhubs dashboard: map, ranking table, what-if weights, hub profiles,
// and the comparison of published rankings (a second tab).
// Plain ES modules; every view is kept in the address bar (a permalink).

import { getJSON, postJSON, weightsParam } from "./api.js";
import { drawLegend, drawMap, enableZoom, loadOutline, resetZoom, zoomAt } from "./map.js";
import { drawCompare, drawProfile } from "./profile.js";
import { PublishedView } from "./published.js";
import { drawSliders } from "./sliders.js";
import { readState, writeState } from "./state.js";
import { drawTable, visibleRows } from "./table.js";

// goalposts are no override: they need bounds that only a methodology file declares
const NORMALISATIONS = ["minmax", "zscore", "rank", "percentile", "dist2max", "share", "none"];
const AGGREGATIONS = ["arithmetic", "sum", "geometric", "harmonic", "copeland"];
const INTERVAL_RUNS = 200;
const UNCERTAINTY = 0.25;

const $ = (id) => document.getElementById(id);
const state = readState();
const view = {
  status: null, editions: [], method: null, rows: [], pillars: [], members: new Map(), land: [],
  sequence: 0, timer: null,
};

function setStatus(text, error = false) {
  const el = $("rerank-status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

function options(select, items, selected) {
  select.replaceChildren();
  for (const [value, label] of items) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    if (value === selected) option.selected = true;
    select.appendChild(option);
  }
}

function customWeights() {
  // Only weights that differ from the method's own go into the address.
  const own = new Map(view.method.nodes.map((n) => [n.code, n.weight]));
  const out = {};
  for (const [code, value] of Object.entries(state.weights)) {
    if (own.has(code) && own.get(code) !== value) out[code] = value;
  }
  return out;
}

function updateExports() {
  const params = new URLSearchParams({ edition: state.edition, method: state.method });
  const weights = weightsParam(customWeights());
  if (weights) params.set("weights", weights);
  if (state.normalisation) params.set("normalisation", state.normalisation);
  if (state.aggregation) params.set("aggregation", state.aggregation);
  if (state.economy) params.set("economy", state.economy);
  for (const format of ["csv", "json", "parquet"]) {
    params.set("format", format);
    $(`export-${format}`).href = `/api/rankings?${params}`;
  }
}

function remember() {
  state.weights = customWeights();
  writeState(state);
  updateExports();
}

function render() {
  const rows = visibleRows(view.rows, state, view.members);
  const hasIntervals = view.rows.some((r) => r.rank_p05 !== undefined && r.rank_p05 !== null);
  drawTable($("ranking"), rows, {
    selected: state.unit, onSelect: guarded(openProfile), state,
    maxRank: Math.max(1, view.rows.length), pillars: view.pillars,
  });
  $("count").textContent = `${rows.length} of ${view.rows.length} hubs`;
  drawMap($("map"), view.land, view.rows, { selected: state.unit, onSelect: guarded(openProfile), hasIntervals });
  drawLegend($("legend"), hasIntervals);
}

async function rerank() {
  const sequence = ++view.sequence;
  const payload = {
    edition: state.edition, method: state.method, weights: customWeights(),
    normalisation: state.normalisation || null, aggregation: state.aggregation || null,
    pillars: true,
    intervals: { runs: Math.min(INTERVAL_RUNS, view.status.limits.max_runs), weight_uncertainty: UNCERTAINTY, seed: 0 },
  };
  setStatus("re-ranking…");
  try {
    const result = await postJSON("/api/rerank", payload);
    if (sequence !== view.sequence) return;  // a newer request is on its way
    view.rows = result.rows;
    view.pillars = result.pillars || [];
    setStatus(`ranked ${result.n_units} hubs (${result.normalisation}, ${result.aggregation})` +
      (result.intervals ? `, intervals from ${result.intervals.runs} runs` : ""));
    document.body.dataset.ranked = String(sequence);
    render();
    if (state.unit && view.rows.some((r) => r.unit_id === state.unit)) await openProfile(state.unit);
  } catch (error) {
    if (sequence !== view.sequence) return;
    setStatus(`${error.message}${error.body && error.body.hint ? ` (${error.body.hint})` : ""}`, true);
  }
}

// Event handlers report failures in the status line instead of throwing.
function guarded(handler) {
  return (...args) => Promise.resolve(handler(...args)).catch((error) =>
    setStatus(`${error.message}${error.body && error.body.hint ? ` (${error.body.hint})` : ""}`, true));
}

const published = new PublishedView(state, () => writeState(state), (error) =>
  setStatus(`${error.message}${error.body && error.body.hint ? ` (${error.body.hint})` : ""}`, true));

async function showTab(tab) {
  const name = tab === "published" ? "published" : "hubs";
  state.tab = name === "hubs" ? null : name;
  $("hubs-view").hidden = name !== "hubs";
  $("published-view").hidden = name !== "published";
  document.body.dataset.tab = name;
  for (const button of $("tabs").querySelectorAll("button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  writeState(state);
  if (name === "published") await published.load();
}

function scheduleRerank() {
  remember();
  clearTimeout(view.timer);
  view.timer = setTimeout(rerank, 150);
}

// The what-if in force (weights, methods), so profiles match the ranking on screen.
function whatIfParams() {
  const params = { edition: state.edition, method: state.method };
  const weights = weightsParam(customWeights());
  if (weights) params.weights = weights;
  if (state.normalisation) params.normalisation = state.normalisation;
  if (state.aggregation) params.aggregation = state.aggregation;
  return params;
}

async function openProfile(unit) {
  state.unit = unit;
  remember();
  render();
  const profile = await getJSON(`/api/units/${encodeURIComponent(unit)}`, whatIfParams());
  drawProfile(profile);
  const others = view.rows.filter((r) => r.unit_id !== unit).sort((a, b) => a.name.localeCompare(b.name));
  options($("compare-with"), [["", "choose a hub"], ...others.map((r) => [r.unit_id, r.name])], state.compare || "");
  await showCompare();
}

async function showCompare() {
  if (!state.compare || !state.unit || state.compare === state.unit) {
    drawCompare($("compare"), null);
    return;
  }
  const data = await getJSON("/api/compare", { a: state.unit, b: state.compare, ...whatIfParams() });
  drawCompare($("compare"), data);
}

async function loadMethod() {
  view.method = await getJSON(`/api/methods/${encodeURIComponent(state.method)}`, { edition: state.edition });
  const own = new Map(view.method.nodes.map((n) => [n.code, n.weight]));
  for (const code of Object.keys(state.weights)) if (!own.has(code)) delete state.weights[code];
  const current = Object.fromEntries(view.method.nodes.map((n) => [n.code, state.weights[n.code] ?? n.weight]));
  drawSliders($("sliders"), view.method.nodes, current, (code, value) => {
    state.weights[code] = value;
    scheduleRerank();
  });
  options($("normalisation"), [["", `method's own (${view.method.steps.normalise.method})`], ...NORMALISATIONS.map((m) => [m, m])], state.normalisation || "");
  options($("aggregation"), [["", `method's own (${view.method.steps.aggregate.method})`], ...AGGREGATIONS.map((m) => [m, m])], state.aggregation || "");
  $("uncertainty-label").textContent = String(Math.round(UNCERTAINTY * 100));
}

async function loadEdition() {
  const edition = view.editions.find((e) => e.name === state.edition) || view.editions[0];
  state.edition = edition.name;
  const all = await getJSON("/api/methods", { edition: state.edition });
  const methods = { methods: all.methods.filter((m) => m.applicable !== false) };
  if (!state.method || !methods.methods.some((m) => m.name === state.method)) state.method = edition.default_method;
  options($("edition"), view.editions.map((e) => [e.name, `${e.title}`]), state.edition);
  options($("method"), methods.methods.map((m) => [m.name, m.name]), state.method);
  await loadMethod();
  const [geo, ranking] = await Promise.all([
    getJSON("/api/clusters.geojson", { edition: state.edition, method: state.method }),
    getJSON("/api/rankings", { edition: state.edition, method: state.method, top: 1 }),
  ]);
  view.members = new Map(geo.features.map((f) => [f.properties.unit_id, f.properties.members || []]));
  const economies = new Set();
  for (const f of geo.features) for (const e of f.properties.economies || []) economies.add(e);
  options($("economy"), [["", "all"], ...[...economies].sort().map((e) => [e, e])], state.economy || "");
  const p = ranking.provenance;
  $("provenance").textContent = [p.edition_title || p.results || p.synthetic || p.file, p.source, p.sha256 ? `sha256 ${p.sha256.slice(0, 12)}…` : "", `techhubs ${p.techhubs}`]
    .filter(Boolean).join(" · ");
  $("ranking-notes").textContent = (ranking.notes || []).join(" ");
  remember();
  await rerank();  // opens the profile in the address, if any
}

function wire() {
  enableZoom($("map"));
  $("zoom-in").addEventListener("click", () => zoomAt($("map"), 2));
  $("zoom-out").addEventListener("click", () => zoomAt($("map"), 0.5));
  $("zoom-reset").addEventListener("click", () => resetZoom($("map")));
  for (const button of $("tabs").querySelectorAll("button")) {
    button.addEventListener("click", guarded(() => showTab(button.dataset.tab)));
  }
  $("edition").addEventListener("change", guarded(async (event) => {
    Object.assign(state, { edition: event.target.value, method: null, weights: {}, unit: null, compare: null });
    $("profile").hidden = true;
    await loadEdition();
  }));
  $("method").addEventListener("change", guarded(async (event) => {
    Object.assign(state, { method: event.target.value, weights: {}, normalisation: null, aggregation: null });
    await loadMethod();
    remember();
    await rerank();
  }));
  $("normalisation").addEventListener("change", (e) => { state.normalisation = e.target.value || null; scheduleRerank(); });
  $("aggregation").addEventListener("change", (e) => { state.aggregation = e.target.value || null; scheduleRerank(); });
  $("reset-weights").addEventListener("click", guarded(async () => {
    Object.assign(state, { weights: {}, normalisation: null, aggregation: null });
    await loadMethod();
    scheduleRerank();
  }));
  $("search").value = state.q || "";
  $("search").addEventListener("input", (e) => { state.q = e.target.value; remember(); render(); });
  $("economy").addEventListener("change", (e) => { state.economy = e.target.value || null; remember(); render(); });
  // one listener for the header: pillar columns come and go with the method
  $("ranking").tHead.addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th || !th.dataset.sort) return;
    const key = th.dataset.sort;
    state.dir = state.sort === key && state.dir !== "desc" ? "desc" : "asc";
    state.sort = key;
    remember();
    render();
  });
  $("close-profile").addEventListener("click", () => {
    state.unit = null;
    state.compare = null;
    $("profile").hidden = true;
    remember();
    render();
  });
  $("compare-with").addEventListener("change", guarded(async (e) => {
    state.compare = e.target.value || null;
    remember();
    await showCompare();
  }));
  $("copy-link").addEventListener("click", async () => {
    const link = window.location.href;
    try {
      await navigator.clipboard.writeText(link);
      setStatus("permalink copied");
    } catch {
      setStatus(`permalink: ${link}`);
    }
  });
}

async function main() {
  wire();
  const opening = showTab(state.tab);
  const [status, editions, land] = await Promise.all([
    getJSON("/api/status"), getJSON("/api/editions"), loadOutline(),
  ]);
  view.status = status;
  view.editions = editions.editions;
  view.land = land;
  if (!state.edition) state.edition = status.default_edition;
  await loadEdition();
  await opening;
  document.body.dataset.ready = "true";
}

main().catch((error) => setStatus(`could not load: ${error.message}`, true));
