/**
 * The import graph follows the data path: every import from a module in `src/` (or `sandbox/`) points to its
 * own area or to an area below it, never up. Tests and test helpers (`*_test.ts`, `testing.ts`, `testing/`)
 * may import anything.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(new URL("..", import.meta.url).pathname);

/** What each area may import besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  "src/cli.ts": ["cli", "steps"],
  cli: ["server", "steps", "workflow", "hub", "training", "inference", "verify", "model", "data", "util"],
  server: ["workflow", "training", "data", "util"],
  steps: ["workflow", "training", "inference", "model", "verify", "hub", "data", "util"],
  workflow: ["data", "util"],
  training: ["inference", "model", "verify", "data", "util"],
  hub: ["model", "data", "util"],
  inference: ["model", "data", "util"],
  verify: ["sandbox", "data", "util"],
  model: ["data", "util"],
  data: ["util"],
  util: [],
  sandbox: [],
};

/** The area of a project file: `src/<area>/...`, `sandbox`, or the entry point itself. */
function areaOf(file: string): string | undefined {
  if (file === "src/cli.ts") return file;
  if (file.startsWith("sandbox/")) return "sandbox";
  const match = /^src\/([^/]+)\//.exec(file);
  return match?.[1];
}

function isTestCode(file: string): boolean {
  return /_test\.ts$/.test(file) || /(^|\/)testing(\.ts|\/)/.test(file);
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

/** Relative module specifiers of static and dynamic imports and re-exports. */
function importsOf(text: string): string[] {
  const found = text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.\.?\/[^"']+)["']/g);
  return [...found].map((match) => match[1]);
}

Deno.test("no import runs from a lower layer to an upper one", () => {
  const violations: string[] = [];
  const edges = new Set<string>();
  let checked = 0;
  for (const file of [...sourceFiles("src"), ...sourceFiles("sandbox")]) {
    if (isTestCode(file)) continue;
    const area = areaOf(file);
    if (!area) continue;
    for (const specifier of importsOf(Deno.readTextFileSync(join(ROOT, file)))) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      const targetArea = areaOf(target);
      checked++;
      if (targetArea) edges.add(`${area} -> ${targetArea}`);
      if (!targetArea || targetArea === area || ALLOWED[area].includes(targetArea)) continue;
      violations.push(`${file} imports ${target} (${area} -> ${targetArea})`);
    }
  }
  assert.ok(checked > 300, `only ${checked} imports checked`);
  for (const edge of ["src/cli.ts -> cli", "cli -> workflow", "steps -> training", "verify -> sandbox"]) {
    assert.ok(edges.has(edge), `the scan sees ${edge}`);
  }
  assert.deepEqual(violations, []);
});
