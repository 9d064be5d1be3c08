// The ranking table: sorting, search and economy filter over the re-ranked rows.

function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en") : value.toFixed(digits);
}

function sortKey(row, key) {
  if (key === "width") return row.rank_p05 === null || row.rank_p05 === undefined ? Infinity : row.rank_p95 - row.rank_p05;
  if (key === "change") return (row.base_rank ?? 0) - (row.rank ?? 0);
  if (key === "economies") return row.economies.join("/");
  if (key === "name") return row.name.toLowerCase();
  if (key.startsWith("pillar:")) return row[`${key.slice(7)}__score`] ?? -Infinity;
  return row[key] ?? Infinity;
}

export function visibleRows(rows, state, members) {
  const q = (state.q || "").trim().toLowerCase();
  let out = rows.filter((row) => {
    if (state.economy && !row.economies.includes(state.economy)) return false;
    if (!q) return true;
    const text = [row.name, row.unit_id, ...(members.get(row.unit_id) || [])].join(" ").toLowerCase();
    return text.includes(q);
  });
  const key = state.sort || "rank";
  const dir = state.dir === "desc" ? -1 : 1;
  out = out.slice().sort((a, b) => {
    const ka = sortKey(a, key);
    const kb = sortKey(b, key);
    if (ka < kb) return -dir;
    if (ka > kb) return dir;
    return a.rank - b.rank || a.unit_id.localeCompare(b.unit_id);
  });
  return out;
}

// One column per top-level pillar of the method's tree, after the score.
function pillarHeaders(table, pillars) {
  const head = table.tHead.rows[0];
  for (const th of [...head.cells]) if (th.classList.contains("pillar")) th.remove();
  const score = [...head.cells].find((th) => th.dataset.sort === "score");
  let after = score;
  for (const p of pillars) {
    const th = document.createElement("th");
    th.className = "num pillar";
    th.dataset.sort = `pillar:${p.code}`;
    th.title = `pillar ${p.code}: its score in the method's tree`;
    th.textContent = p.name;
    after.after(th);
    after = th;
  }
}

export function drawTable(table, rows, { selected, onSelect, state, maxRank, pillars = [] }) {
  const body = table.tBodies[0];
  body.replaceChildren();
  pillarHeaders(table, pillars);
  for (const th of table.tHead.rows[0].cells) {
    th.classList.remove("asc", "desc");
    if (th.dataset.sort === (state.sort || "rank")) th.classList.add(state.dir === "desc" ? "desc" : "asc");
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.unit = row.unit_id;
    if (row.unit_id === selected) tr.classList.add("selected");
    const cells = [];
    const rank = document.createElement("td");
    rank.className = "num rank";
    rank.textContent = row.rank ?? "–";
    cells.push(rank);
    const name = document.createElement("td");
    name.className = "name";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = row.name;
    name.appendChild(button);
    cells.push(name);
    const econ = document.createElement("td");
    econ.textContent = row.economies.join("/");
    cells.push(econ);
    const score = document.createElement("td");
    score.className = "num";
    score.textContent = fmt(row.score);
    cells.push(score);
    for (const p of pillars) {
      const td = document.createElement("td");
      td.className = "num pillar";
      td.textContent = fmt(row[`${p.code}__score`]);
      cells.push(td);
    }
    const interval = document.createElement("td");
    interval.className = "num";
    if (row.rank_p05 !== null && row.rank_p05 !== undefined) {
      interval.textContent = `${Math.round(row.rank_p05)}–${Math.round(row.rank_p95)}`;
      const bar = document.createElement("span");
      bar.className = "interval";
      const fill = document.createElement("span");
      fill.style.left = `${(100 * (row.rank_p05 - 1)) / maxRank}%`;
      fill.style.width = `${Math.max(2, (100 * (row.rank_p95 - row.rank_p05 + 1)) / maxRank)}%`;
      bar.appendChild(fill);
      interval.appendChild(bar);
    } else {
      interval.textContent = "–";
    }
    cells.push(interval);
    const move = document.createElement("td");
    move.className = "num";
    const delta = (row.base_rank ?? 0) - (row.rank ?? 0);
    move.textContent = delta > 0 ? `▲${delta}` : delta < 0 ? `▼${-delta}` : "–";
    if (delta) move.classList.add(delta > 0 ? "up" : "down");
    cells.push(move);
    tr.append(...cells);
    tr.addEventListener("click", () => onSelect(row.unit_id));
    body.appendChild(tr);
  }
}
