// One slider per indicator and pillar weight of the method's tree.

export function drawSliders(container, nodes, weights, onChange) {
  container.replaceChildren();
  const byParent = new Map();
  for (const node of nodes) {
    if (!byParent.has(node.parent)) byParent.set(node.parent, []);
    byParent.get(node.parent).push(node);
  }
  const root = nodes.find((n) => n.parent === null);
  const add = (node, depth) => {
    for (const child of byParent.get(node.code) || []) {
      const row = document.createElement("div");
      row.className = `slider ${child.kind}`;
      const id = `w-${child.code}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = child.name;
      label.title = child.code;
      label.style.paddingLeft = `${depth}rem`;
      const input = document.createElement("input");
      input.type = "range";
      input.id = id;
      input.name = child.code;
      input.min = "0";
      input.max = String(Math.max(2, child.weight * 2));
      input.step = String(Math.max(child.weight, 1) / 20);
      input.dataset.code = child.code;
      input.value = String(weights[child.code] ?? child.weight);
      const output = document.createElement("output");
      output.htmlFor = id;
      output.textContent = Number(input.value).toFixed(2);
      input.addEventListener("input", () => {
        output.textContent = Number(input.value).toFixed(2);
        onChange(child.code, Number(input.value), child.weight);
      });
      row.append(label, input, output);
      container.appendChild(row);
      add(child, depth + 1);
    }
  };
  if (root) add(root, 0);
}
