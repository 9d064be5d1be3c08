// The hub profile: decomposition, strengths and weaknesses, members,
// published ranks, quoted facts, and the comparison with a second hub.

const SVG = "http://www.w3.org/2000/svg";

function item(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

function fmt(value, digits = 2) {
  if (value === null || value === undefined) return "–";
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en") : value.toFixed(digits);
}

export function drawDecomposition(svg, components) {
  svg.replaceChildren();
  const indicators = components.filter((c) => c.parent !== null);
  const values = indicators.map((c) => c.contribution ?? c.normalised ?? 0);
  const total = values.reduce((a, b) => a + Math.max(b, 0), 0) || 1;
  const height = 22 * indicators.length + 10;
  svg.setAttribute("viewBox", `0 0 600 ${height}`);
  svg.style.height = `${height}px`;
  const max = Math.max(...values.map((v) => Math.abs(v)), 1e-9);
  indicators.forEach((c, i) => {
    const value = values[i];
    const y = 5 + i * 22;
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 13));
    label.setAttribute("font-size", "11");
    label.textContent = c.name.length > 42 ? c.name.slice(0, 40) + "…" : c.name;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", "260");
    bar.setAttribute("y", String(y + 2));
    bar.setAttribute("height", "14");
    bar.setAttribute("width", String(Math.max(1, (200 * Math.abs(value)) / max)));
    bar.setAttribute("fill", "#1f6feb");
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("x", String(265 + (200 * Math.abs(value)) / max));
    text.setAttribute("y", String(y + 13));
    text.setAttribute("font-size", "11");
    const share = c.contribution !== null ? ` (${Math.round((100 * value) / total)}%)` : "";
    text.textContent = `${fmt(value)}${share}, rank ${c.rank_on_item}`;
    svg.append(label, bar, text);
  });
}

export function drawProfile(profile) {
  document.getElementById("profile").hidden = false;
  document.getElementById("profile-name").textContent = profile.name;
  const pop = profile.population ? `, population of the named places ${Math.round(profile.population).toLocaleString("en")}` : "";
  document.getElementById("profile-summary").textContent =
    `Rank ${profile.rank} of ${profile.n_units} with the weights of ${profile.method}, score ${fmt(profile.score, 3)}; ` +
    `${profile.economies.join("/")}${pop}.`;
  // the top-level pillars of the method's tree, with the hub's score and rank on each
  const codes = new Set(profile.components.map((c) => c.code));  // the index itself is not one
  const pillars = profile.components.filter((c) => c.kind === "pillar" && !codes.has(c.parent));
  document.getElementById("profile-pillars").hidden = !pillars.length;
  document.getElementById("pillar-scores").replaceChildren(...pillars.map((c) =>
    item(`${c.name}: ${fmt(c.normalised)} (rank ${c.rank_on_item ?? "–"})`)));
  drawDecomposition(document.getElementById("decomposition"), profile.components);
  const strengths = document.getElementById("strengths");
  strengths.replaceChildren(...(profile.strengths.length ? profile.strengths.map((s) => item(s)) : [item("none stands out", "muted")]));
  const weaknesses = document.getElementById("weaknesses");
  weaknesses.replaceChildren(...(profile.weaknesses.length ? profile.weaknesses.map((s) => item(s)) : [item("none stands out", "muted")]));
  const gap = document.getElementById("gap");
  gap.textContent = profile.above
    ? `Gap to ${profile.above.name} (rank ${profile.above.rank}): ${fmt(profile.above.score_gap, 3)} points.`
    : "Ranked first.";
  document.getElementById("members").textContent = profile.members.length ? profile.members.join(", ") : "–";
  const published = document.getElementById("published").tBodies[0];
  published.replaceChildren();
  for (const p of profile.published_ranks) {
    const tr = document.createElement("tr");
    for (const [value, cls] of [[p.title, ""], [p.year ?? "–", ""], [p.rank ?? "listed", "num"], [p.name_as_published, ""], [p.match_confidence.toFixed(2), "num muted"]]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    published.appendChild(tr);
  }
  if (!profile.published_ranks.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 5;
    td.className = "muted";
    td.textContent = "not named in the bundled published rankings";
    tr.appendChild(td);
    published.appendChild(tr);
  }
  const facts = document.getElementById("facts");
  facts.replaceChildren();
  for (const f of profile.facts) {
    const li = document.createElement("li");
    li.append(`${f.place}: ${f.statement} `);
    const source = document.createElement("span");
    source.className = "source";
    source.textContent = `(source: ${f.source}) `;
    const verdict = document.createElement("em");
    verdict.className = `verdict ${f.status.replace(/ /g, "-")}`;
    verdict.textContent = f.check ? `${f.status}: ${f.check}` : f.status;
    li.append(source, verdict);
    facts.appendChild(li);
  }
  if (!profile.facts.length) facts.appendChild(item("no fact quoted by the bundled sources", "muted"));
}

export function drawCompare(table, data) {
  const head = table.tHead;
  const body = table.tBodies[0];
  head.replaceChildren();
  body.replaceChildren();
  if (!data) return;
  const hr = document.createElement("tr");
  for (const label of ["", data.a.name, data.b.name, "difference"]) {
    const th = document.createElement("th");
    th.textContent = label;
    hr.appendChild(th);
  }
  head.appendChild(hr);
  const rows = [
    ["Rank", data.a.rank, data.b.rank, data.a.rank - data.b.rank],
    ["Score", data.a.score, data.b.score, data.a.score - data.b.score],
    ...data.rows.map((r) => [`${r.name} (rank ${r.a_rank_on_item} vs ${r.b_rank_on_item})`, r.a_normalised, r.b_normalised, r.difference]),
  ];
  for (const values of rows) {
    const tr = document.createElement("tr");
    values.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = i === 0 ? v : typeof v === "number" && !Number.isInteger(v) ? fmt(v, 3) : String(v ?? "–");
      if (i > 0) td.className = "num";
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
}
