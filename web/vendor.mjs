// Copy the built front-end dependencies into the package data of techhubs.
// Run `npm ci && npm run vendor` in this folder after changing package.json;
// the copied files are committed, node_modules is not.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "src", "techhubs", "web", "static", "vendor");
mkdirSync(target, { recursive: true });

const files = [
  ["world-atlas/countries-110m.json", "countries-110m.json"],
  ["world-atlas/LICENSE", "world-atlas.LICENSE.txt"],
  ["topojson-client/dist/topojson-client.min.js", "topojson-client.min.js"],
  ["topojson-client/LICENSE", "topojson-client.LICENSE.txt"],
];
for (const [source, name] of files) {
  copyFileSync(join(here, "node_modules", source), join(target, name));
  console.log(`vendored ${source} -> ${name}`);
}
