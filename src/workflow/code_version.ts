/**
 * The code version of a step kind: a digest of its module and everything it reaches inside the project, so
 * that changing the code of a step (or of a library it uses) invalidates its cached results.
 *
 * Reached files are found by scanning each module's text for relative string literals (`"./x.ts"`,
 * `"../y/"`), which covers static and dynamic imports and `new URL("...", import.meta.url)` files and
 * directories (for example the sandbox runners a verifier starts); a directory counts with every file below
 * it, except a directory above the module itself (`"../../"` locates the project, it is not code). Files outside the project (the directory holding `deno.json`) and in `node_modules` are left out;
 * bare imports (`zod`, `onnxruntime-node`) count by their pinned version in `deno.json`'s import map. The
 * scan errs on the side of including too much: a literal that merely looks like a path to an existing file
 * adds that file. Formatting or comment changes also change the version (and so re-run the step once).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { StepKind } from "./step.ts";

/** Relative path literals: `"./a.ts"`, `'../b/'`. */
const RELATIVE_LITERAL = /["'](\.\.?\/[^"'\s`$]*)["']/g;
/** Bare import specifiers: `from "zod"`, `import("yaml")`. */
const BARE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](@?[A-Za-z][\w.@/-]*)["']/g;
/** Files whose text is scanned for more references. */
const SCANNED = /\.(ts|js|mjs|mts)$/;

/** The directory of the nearest `deno.json` above `dir`. */
function projectRoot(dir: string): string {
  for (let current = dir;; current = dirname(current)) {
    try {
      Deno.statSync(join(current, "deno.json"));
      return current;
    } catch {
      if (dirname(current) === current) return dir;
    }
  }
}

/** The import map of the project's `deno.json` (empty when it has none). */
function importMap(root: string): Record<string, string> {
  try {
    const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json"))) as { imports?: unknown };
    return (config.imports ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}

/** The pinned target of a bare specifier (`zod/v4` counts as `zod`), or the specifier itself. */
function pinned(specifier: string, imports: Record<string, string>): string {
  const name = Object.keys(imports).find((key) => specifier === key || specifier.startsWith(`${key}/`));
  return name === undefined ? specifier : `${specifier}=${imports[name]}`;
}

/** What a module reaches: project files (relative to the project root) with their sha256, and packages. */
export interface ModuleClosure {
  /** Relative path -> sha256 (`dir` for a directory). */
  files: Map<string, string>;
  /** Bare imports with their pinned versions, `name=npm:name@1.2.3`. */
  packages: Set<string>;
}

/** The project files and packages `moduleUrl` reaches (see the module doc); none for a non-local module. */
export function moduleClosure(moduleUrl: string): ModuleClosure {
  const closure: ModuleClosure = { files: new Map(), packages: new Set() };
  let start: string;
  try {
    start = fileURLToPath(moduleUrl);
    Deno.statSync(start);
  } catch {
    return closure;
  }
  const root = projectRoot(dirname(start));
  const imports = importMap(root);
  const pending = [start];
  const inProject = (path: string) => {
    const rel = relative(root, path);
    return !rel.startsWith("..") && !rel.split("/").includes("node_modules");
  };
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (closure.files.has(relative(root, path)) || !inProject(path)) continue;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      continue; // a literal that only looks like a path
    }
    if (info.isDirectory) {
      closure.files.set(relative(root, path), "dir");
      for (const entry of Deno.readDirSync(path)) pending.push(join(path, entry.name));
      continue;
    }
    const bytes = Deno.readFileSync(path);
    closure.files.set(relative(root, path), createHash("sha256").update(bytes).digest("hex"));
    if (!SCANNED.test(path)) continue;
    const text = new TextDecoder().decode(bytes);
    for (const match of text.matchAll(RELATIVE_LITERAL)) {
      const target = resolve(dirname(path), match[1]);
      // a directory above the module (`"../../"`, the project root) locates things; it is not code it runs
      if (!`${path}/`.startsWith(`${target.replace(/\/$/, "")}/`)) pending.push(target);
    }
    for (const match of text.matchAll(BARE_IMPORT)) closure.packages.add(pinned(match[1], imports));
  }
  return closure;
}

/** The digest of {@link moduleClosure}, recomputed on every call (`unreadable` for a non-local module). */
export function sourceDigest(moduleUrl: string): string {
  const { files, packages } = moduleClosure(moduleUrl);
  if (files.size === 0) return "unreadable";
  const hash = createHash("sha256");
  for (const [path, sha] of [...files].sort(([a], [b]) => a < b ? -1 : 1)) hash.update(`${path}\0${sha}\n`);
  for (const name of [...packages].sort()) hash.update(`package\0${name}\n`);
  return hash.digest("hex");
}

const versions = new WeakMap<StepKind, string>();

/**
 * A step kind's code version: `VERSION+DIGEST` with its manual version and {@link sourceDigest} of its
 * module, computed once per kind and process.
 */
export function codeVersion(kind: StepKind): string {
  let version = versions.get(kind);
  if (version === undefined) {
    version = `${kind.version ?? "1"}+${sourceDigest(kind.source).slice(0, 16)}`;
    versions.set(kind, version);
  }
  return version;
}
