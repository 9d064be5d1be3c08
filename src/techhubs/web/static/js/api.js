// Thin wrappers over the REST API; every call rejects with the server's error body.

async function answer(response) {
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.message || response.statusText);
    error.body = body;
    throw error;
  }
  return body;
}

export function getJSON(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  const text = query.toString();
  return fetch(text ? `${path}?${text}` : path).then(answer);
}

export function postJSON(path, payload) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  }).then(answer);
}

export function weightsParam(weights) {
  return Object.keys(weights).sort().map((code) => `${code}:${weights[code]}`).join(",");
}
