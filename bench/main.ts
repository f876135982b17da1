/**
 * `deno task bench [NAME ...]`: runs the named benchmarks (every one when none is named), each in its own
 * process so their memory figures do not mix. Each prints its own figures.
 */
const BENCHES: Record<string, string> = {
  workflow: "engine: resume of a finished 20-step run; cost of durable item commits",
  code: "code sandbox: samples/s for Python (Pyodide) and TypeScript over 820 samples",
  math: "MATH answer checker: checks/s on the exact and symbolic paths, worst single check",
  server: "status endpoint: 1,000 concurrent requests during a run; errors, p50/p99, pipeline slowdown",
  generate: "generation: tokens/s and peak memory at batch 1, 8, 32, next to transformers.js",
  score:
    "SCoRe update: time per update and its split (generation, verification, scoring, backward, optimizer)",
  slurm: "Slurm executor: overhead of 4 shards on a two-node cluster against local, 800 HumanEval samples",
  model: "ONNX training step (forward + backward): tokens/s and peak memory, next to PyTorch",
};

async function available(): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const [name, what] of Object.entries(BENCHES)) {
    const exists = await Deno.stat(new URL(`./${name}.ts`, import.meta.url)).then(() => true, () => false);
    if (exists) found[name] = what;
  }
  return found;
}

if (import.meta.main) {
  const benches = await available();
  const names = Deno.args.length ? Deno.args : Object.keys(benches);
  const unknown = names.filter((name) => !(name in benches));
  if (unknown.length) {
    console.error(
      `unknown benchmark: ${unknown.join(", ")}\navailable:\n${
        Object.entries(benches).map(([n, w]) => `  ${n.padEnd(10)} ${w}`).join("\n")
      }`,
    );
    Deno.exit(2);
  }
  let failed = 0;
  for (const name of names) {
    console.log(`\n=== bench ${name}: ${benches[name]}`);
    const path = new URL(`./${name}.ts`, import.meta.url).pathname;
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) failed++;
  }
  Deno.exit(failed ? 1 : 0);
}
