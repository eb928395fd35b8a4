// Copies pinned third-party browser files from node_modules into static/vendor/ (STYLE rule 14:
// from npm, pinned, copied by a script, never pasted by hand). Run from anywhere:
//   npm ci --prefix tools/vendor-js && node tools/vendor-js/vendor.mjs
// Each file is copied as published (no bundler: uPlot ships a self-contained ES module, axe-core
// a self-contained script), with
// the package's licence next to it.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const modules = join(here, "node_modules");

const FILES = [
  // [package, file in the package, destination under static/vendor/]
  ["uplot", "dist/uPlot.esm.js", "uplot/uPlot.esm.js"],
  ["uplot", "dist/uPlot.min.css", "uplot/uPlot.min.css"],
  ["uplot", "LICENSE", "uplot/LICENSE"],
  // axe-core: the accessibility checker the browser tests inject into every product page.
  ["axe-core", "axe.min.js", "axe-core/axe.min.js"],
  ["axe-core", "LICENSE", "axe-core/LICENSE"],
];

const pins = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies;
for (const [pkg, file, destination] of FILES) {
  const installed = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
  if (installed !== pins[pkg]) {
    throw new Error(`${pkg} ${installed} is installed but ${pins[pkg]} is pinned: run npm ci first`);
  }
  const target = join(root, "static", "vendor", destination);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(modules, pkg, file), target);
  console.log(`${pkg}@${installed} ${file} -> static/vendor/${destination}`);
}
