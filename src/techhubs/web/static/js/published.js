// The "Published rankings" view: how far published lists agree (Kendall tau-b
// with common-hub counts, or rank-biased overlap), a consensus ranking with a
// method selector, movers between GII editions, and article claims checked.
// Its state (metric, consensus method, movers pair, claims filter) lives in
// the address like the rest of the dashboard.

import { getJSON } from "./api.js";

const METHODS = [["borda", "Borda"], ["schulze", "Schulze"], ["kemeny", "Kemeny-Young"]];
const STATUSES = ["supported", "contradicted", "not checkable"];

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function fmt(value, digits = 2) {
  return value === null || value === undefined ? "–" : value.toFixed(digits);
}

function options(select, items, selected) {
  select.replaceChildren();
  for (const [value, label] of items) {
    const option = el("option", label);
    option.value = value;
    if (value === selected) option.selected = true;
    select.appendChild(option);
  }
}

function head(table, labels) {
  const tr = el("tr");
  for (const [label, cls, title] of labels) {
    const th = el("th", label, cls);
    if (title) th.title = title;
    tr.appendChild(th);
  }
  table.tHead.replaceChildren(tr);
}

// Blue for agreement, red for disagreement; white at zero (tau) or at 0 (RBO).
function shade(value, metric) {
  if (value === null || value === undefined) return "#f0f2f4";
  const x = metric === "rbo" ? value : Math.abs(value);
  const hue = metric === "tau" && value < 0 ? "207, 34, 46" : "31, 111, 235";
  return `rgba(${hue}, ${(0.08 + 0.6 * x).toFixed(3)})`;
}

export function drawAgreement(table, data, metric) {
  const names = data.rankings;
  const lists = new Map(data.lists.map((l) => [l.ranking, l]));
  head(table, [["ranking", ""], ...names.map((n, i) => [String(i + 1), "num", n])]);
  const body = table.tBodies[0];
  body.replaceChildren();
  names.forEach((a, i) => {
    const tr = el("tr");
    const list = lists.get(a);
    const th = el("th", `${i + 1} ${a}`);
    th.title = `${list.n_hubs} hubs, ${list.ordered ? "ranked" : "unranked"}`;
    th.scope = "row";
    tr.appendChild(th);
    for (const b of names) {
      const value = data[metric][a][b];
      const common = data.common[a][b];
      const td = el("td", null, "num cell");
      td.dataset.a = a;
      td.dataset.b = b;
      td.append(el("span", value === null ? "–" : fmt(value), "value"));
      if (a !== b) td.append(el("small", ` (${common})`, "muted"));
      td.style.background = shade(value, metric);
      td.title = value === null
        ? `${a} / ${b}: undefined (an unranked list, or fewer than two common hubs); ${common} common hubs`
        : `${a} / ${b}: ${metric === "tau" ? "Kendall tau-b" : "RBO"} ${fmt(value, 3)} over ${common} common hubs`;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  });
}

export function drawConsensus(table, data) {
  const score = data.score ? data.score[0].toUpperCase() + data.score.slice(1) : "Score";
  head(table, [["#", "num"], ["Hub", ""], [score, "num"],
    ["Lists", "num", "lists that contain the hub"],
    ["Ranked at or above", "num", "ranked lists placing the hub at or above this position"]]);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of data.rows) {
    const tr = el("tr");
    tr.dataset.item = r.item;
    tr.append(el("td", r.rank, "num"), el("td", r.label, "name"),
      el("td", r.score === null ? "–" : Number.isInteger(r.score) ? r.score : r.score.toFixed(2), "num"),
      el("td", `${r.lists_containing} / ${data.n_lists}`, "num"), el("td", r.lists_at_or_above, "num"));
    body.appendChild(tr);
  }
}

export function drawMovers(table, data) {
  head(table, [["Hub", ""], ["Before", "num"], ["After", "num"], ["Move", "num"], ["Earlier rank from", ""]]);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of data.rows) {
    const tr = el("tr");
    tr.dataset.item = r.hub_key;
    const change = r.change === null ? "–" : r.change > 0 ? `▲ ${r.change}` : r.change < 0 ? `▼ ${-r.change}` : "=";
    tr.append(el("td", r.name, "name"), el("td", r.rank_before ?? "–", "num"), el("td", r.rank_after ?? "–", "num"),
      el("td", change, `num ${r.change > 0 ? "up" : r.change < 0 ? "down" : ""}`), el("td", r.source, "muted"));
    body.appendChild(tr);
  }
}

export function drawClaims(table, data, status) {
  head(table, [["Place", ""], ["Claim", ""], ["Verdict", ""], ["Figures", ""], ["Why", ""]]);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of data.rows) {
    if (status && r.status !== status) continue;
    const tr = el("tr");
    tr.dataset.place = r.place;
    tr.dataset.fact = r.fact;
    const claim = el("td", r.statement);
    claim.append(el("div", `source: ${r.source_title}`, "muted"));
    tr.append(el("td", r.place, "name"), claim,
      el("td", r.status, `verdict ${r.status.replace(/ /g, "-")}`),
      el("td", r.figures || "–"), el("td", r.explanation || "–", "muted"));
    body.appendChild(tr);
  }
}

export class PublishedView {
  // state: the dashboard's state object; save(): writes it to the address.
  constructor(state, save, onError) {
    this.state = state;
    this.save = save;
    this.onError = onError;
    this.loaded = false;
    this.sequence = 0;
    this.$ = (id) => document.getElementById(id);
  }

  guarded(handler) {
    return (...args) => Promise.resolve(handler(...args)).catch((error) => this.onError(error));
  }

  async load() {
    if (this.loaded) return;
    this.loaded = true;
    const { state, $ } = this;
    const catalogue = await getJSON("/api/published/rankings");
    const ranked = catalogue.rankings.filter((r) => r.ordered).map((r) => r.ranking);
    // The GII cluster rankings themselves (gii-2024, gii-2025), not their intensity lists.
    const gii = ranked.filter((r) => /^gii-\d{4}$/.test(r)).sort();
    if (!ranked.includes(state.mfrom)) state.mfrom = gii.length > 1 ? gii[gii.length - 2] : ranked[0];
    if (!ranked.includes(state.mto) || state.mto === state.mfrom) state.mto = gii.length > 1 ? gii[gii.length - 1] : ranked[1];
    if (!METHODS.some(([m]) => m === state.cmethod)) state.cmethod = "borda";
    if (state.agree !== "rbo") state.agree = "tau";
    if (!STATUSES.includes(state.claims)) state.claims = null;
    options($("agreement-metric"), [["tau", "Kendall tau-b"], ["rbo", "rank-biased overlap"]], state.agree);
    options($("consensus-method"), METHODS, state.cmethod);
    const labelled = catalogue.rankings.filter((r) => r.ordered).map((r) => [r.ranking, `${r.ranking} (${r.year ?? "–"})`]);
    options($("movers-from"), labelled, state.mfrom);
    options($("movers-to"), labelled, state.mto);
    options($("claims-status"), [["", "all verdicts"], ...STATUSES.map((s) => [s, s])], state.claims || "");
    $("published-lists").textContent = catalogue.rankings
      .map((r) => `${r.ranking}: ${r.publisher}, ${r.n_names} names${r.ordered ? "" : " (unranked)"}`).join(" · ");
    this.wire();
    this.save();
    await Promise.all([this.agreement(), this.consensus(), this.movers(), this.claims()]);
    document.body.dataset.published = "ready";
  }

  wire() {
    const { state, $ } = this;
    $("agreement-metric").addEventListener("change", (e) => {
      state.agree = e.target.value;
      this.save();
      drawAgreement($("agreement"), this.agreementData, state.agree);
    });
    $("consensus-method").addEventListener("change", this.guarded(async (e) => {
      state.cmethod = e.target.value;
      this.save();
      await this.consensus();
    }));
    for (const id of ["movers-from", "movers-to"]) {
      $(id).addEventListener("change", this.guarded(async () => {
        state.mfrom = $("movers-from").value;
        state.mto = $("movers-to").value;
        this.save();
        await this.movers();
      }));
    }
    $("claims-status").addEventListener("change", (e) => {
      state.claims = e.target.value || null;
      this.save();
      drawClaims($("claims"), this.claimsData, state.claims);
    });
  }

  async agreement() {
    this.agreementData = await getJSON("/api/published/agreement");
    const d = this.agreementData;
    drawAgreement(this.$("agreement"), d, this.state.agree);
    const dropped = d.dropped.length ? ` Not compared: ${d.dropped.map((x) => `${x.name} in ${x.ranking} (${x.reason})`).join("; ")}.` : "";
    const unresolved = d.unresolved.length ? ` Unresolved names: ${d.unresolved.map((x) => x.name_as_published).join(", ")}.` : " Every name resolved to a hub.";
    this.$("agreement-note").textContent = `${d.method.kendall_tau_b}; ${d.method.rbo}. In brackets: common hubs.${unresolved}${dropped}`;
  }

  async consensus() {
    const sequence = ++this.sequence;
    const method = this.state.cmethod;
    this.$("consensus-note").textContent = "computing…";
    const data = await getJSON("/api/published/consensus", { method });
    if (sequence !== this.sequence) return;  // a newer choice is on its way
    drawConsensus(this.$("consensus"), data);
    this.$("consensus").dataset.method = data.method;
    this.$("consensus-note").textContent = `${data.description}.` +
      (data.variant ? ` Kemeny variant: ${data.variant}.` : "");
    this.$("consensus-export").href = `/api/published/consensus?method=${encodeURIComponent(method)}&format=csv`;
  }

  async movers() {
    const { mfrom, mto } = this.state;
    const note = this.$("movers-note");
    if (mfrom === mto) {
      drawMovers(this.$("movers"), { rows: [] });
      note.textContent = "choose two different lists";
      return;
    }
    try {
      const data = await getJSON("/api/published/movers", { from: mfrom, to: mto });
      drawMovers(this.$("movers"), data);
      note.textContent = `${data.rows.length} hubs of ${mto}; move = rank in ${mfrom} minus rank in ${mto}.`;
    } catch (error) {
      drawMovers(this.$("movers"), { rows: [] });
      note.textContent = `${error.message}${error.body && error.body.hint ? ` (${error.body.hint})` : ""}`;
    }
  }

  async claims() {
    this.claimsData = await getJSON("/api/published/claims");
    const d = this.claimsData;
    drawClaims(this.$("claims"), d, this.state.claims);
    this.$("claims-note").textContent = `Checked against ${d.edition} figures and the ${d.ranking} list: ` +
      STATUSES.map((s) => `${d.counts[s]} ${s}`).join(", ") + ".";
  }
}
