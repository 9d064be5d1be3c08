// The view state lives in the address (query string): every view is a permalink.

const KEYS = ["edition", "method", "weights", "normalisation", "aggregation", "unit",
  "compare", "q", "economy", "sort", "dir", "tab", "agree", "cmethod", "mfrom", "mto", "claims"];

export function readState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = { weights: {} };
  for (const key of KEYS) {
    const value = params.get(key);
    if (value === null || value === "") continue;
    if (key === "weights") {
      for (const item of value.split(",")) {
        const [code, weight] = item.split(":");
        const number = Number(weight);
        if (code && Number.isFinite(number) && number >= 0) state.weights[code] = number;
      }
    } else {
      state[key] = value;
    }
  }
  return state;
}

export function writeState(state) {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = state[key];
    if (key === "weights") {
      const codes = Object.keys(value || {}).sort();
      if (codes.length) params.set("weights", codes.map((c) => `${c}:${value[c]}`).join(","));
    } else if (value !== undefined && value !== null && value !== "") {
      params.set(key, value);
    }
  }
  const text = params.toString();
  const url = `${window.location.pathname}${text ? "?" + text : ""}`;
  window.history.replaceState(null, "", url);
  return url;
}
