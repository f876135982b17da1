import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { RepoCache } from "./cache.ts";
import { SilentProgress } from "./progress.ts";
import type { Repo } from "./repo.ts";
import type { HubSettings } from "./settings.ts";
import { fetchSnapshot, globToRegExp, materializeSnapshot } from "./snapshot.ts";
import { FakeHub, gitBlobSha1 } from "./testing.ts";
import { exists } from "../util/fs.ts";

const MODEL: Repo = { type: "model", id: "test-org/tiny" };
const WEIGHTS = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251);
const CONFIG = JSON.stringify({ model_type: "llama", hidden_size: 8 });

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A fake Hub with one model repository, a cache directory, and settings pointing at both. */
async function setUp(options: { token?: string; settingsToken?: string } = {}) {
  const hub = FakeHub.start();
  const commit = hub.addRepo("model", MODEL.id, {
    "config.json": CONFIG,
    "model.safetensors": WEIGHTS,
    "onnx/model.onnx": WEIGHTS.subarray(0, 3000).slice(),
    "README.md": "# tiny",
  }, { token: options.token });
  const cacheDir = await Deno.makeTempDir({ prefix: "hub_cache_" });
  const settings: HubSettings = { endpoint: hub.url, cacheDir, offline: false, token: options.settingsToken };
  const cache = new RepoCache(cacheDir, MODEL);
  return {
    hub,
    commit,
    settings,
    cache,
    fetch: (extra: { include?: string[]; settings?: Partial<HubSettings> } = {}) =>
      fetchSnapshot(MODEL, {
        include: extra.include,
        settings: { ...settings, ...extra.settings },
        progress: new SilentProgress(),
      }),
    [Symbol.asyncDispose]: async () => {
      await hub.close();
      await Deno.remove(cacheDir, { recursive: true });
    },
  };
}

Deno.test("fetchSnapshot fills the Hugging Face cache layout and reuses it", async () => {
  await using t = await setUp();
  const snapshot = await t.fetch();
  assert.equal(snapshot.commit, t.commit);
  assert.equal(snapshot.dir, join(t.cache.root, "snapshots", t.commit));
  assert.match(t.cache.root, /models--test-org--tiny$/);
  assert.deepEqual(snapshot.files, ["README.md", "config.json", "model.safetensors", "onnx/model.onnx"]);
  assert.equal(await Deno.readTextFile(join(t.cache.root, "refs", "main")), t.commit);
  // LFS blobs are named by their sha256, git files by their blob sha1; snapshot entries are relative links
  assert.equal(
    await Deno.readLink(join(snapshot.dir, "model.safetensors")),
    `../../blobs/${sha256(WEIGHTS)}`,
  );
  assert.equal(
    await Deno.readLink(join(snapshot.dir, "onnx/model.onnx")),
    `../../../blobs/${sha256(WEIGHTS.subarray(0, 3000))}`,
  );
  const configBlob = gitBlobSha1(new TextEncoder().encode(CONFIG));
  assert.equal(await Deno.readLink(join(snapshot.dir, "config.json")), `../../blobs/${configBlob}`);
  assert.deepEqual(await Deno.readFile(join(snapshot.dir, "model.safetensors")), WEIGHTS);
  assert.equal(await Deno.readTextFile(join(snapshot.dir, "config.json")), CONFIG);

  const seen = t.hub.requests.length;
  const again = await t.fetch();
  assert.equal(again.dir, snapshot.dir);
  assert.deepEqual(
    t.hub.requests.slice(seen).map((r) => r.path),
    [`/api/models/${MODEL.id}/revision/main`],
    "a second fetch only asks which commit main is",
  );
});

Deno.test("fetchSnapshot fetches only the files matching the include patterns", async () => {
  await using t = await setUp();
  const snapshot = await t.fetch({ include: ["*.json", "*.safetensors"] });
  assert.deepEqual(snapshot.files, ["config.json", "model.safetensors"]);
  assert.equal(await exists(join(snapshot.dir, "README.md")), false);
  await assert.rejects(t.fetch({ include: ["*.gguf"] }), /has no file matching \["\*\.gguf"\]/);
  assert.ok(globToRegExp("onnx/*").test("onnx/model.onnx") && !globToRegExp("*.json").test("a.jsonl"));
});

Deno.test("a download cut short resumes with a Range request from where it broke", async () => {
  await using t = await setUp();
  t.hub.cutOnce("model.safetensors", 20_000);
  const snapshot = await t.fetch();
  assert.deepEqual(await Deno.readFile(join(snapshot.dir, "model.safetensors")), WEIGHTS);
  const downloads = t.hub.requests.filter((r) => r.server === "cdn" && r.path.endsWith(sha256(WEIGHTS)));
  assert.deepEqual(downloads.map((r) => r.range), [null, "bytes=20000-"]);
  assert.equal(await exists(t.cache.incompletePath(sha256(WEIGHTS))), false);
});

Deno.test("a partial file left by a killed download is resumed, then checked", async () => {
  await using t = await setUp();
  const partial = t.cache.incompletePath(sha256(WEIGHTS));
  await Deno.mkdir(join(t.cache.root, "blobs"), { recursive: true });
  await Deno.writeFile(partial, WEIGHTS.subarray(0, 12_345));
  const snapshot = await t.fetch();
  assert.deepEqual(await Deno.readFile(join(snapshot.dir, "model.safetensors")), WEIGHTS);
  const downloads = t.hub.requests.filter((r) => r.server === "cdn" && r.path.endsWith(sha256(WEIGHTS)));
  assert.deepEqual(downloads.map((r) => r.range), ["bytes=12345-"]);
});

Deno.test("a checksum mismatch fails clearly and leaves nothing in the snapshot or the blobs", async () => {
  await using t = await setUp();
  t.hub.corrupt("model.safetensors");
  await assert.rejects(
    t.fetch(),
    /model\.safetensors: checksum mismatch \(sha256 [0-9a-f]{64} instead of [0-9a-f]{64}\); the download was removed/,
  );
  const blob = t.cache.blobPath(sha256(WEIGHTS));
  assert.equal(await exists(blob), false);
  assert.equal(await exists(`${blob}.incomplete`), false);
  assert.equal(await exists(join(t.cache.snapshotDir(t.commit), "model.safetensors")), false);
  assert.equal(await exists(join(t.cache.root, "refs", "main")), false, "the revision is not recorded");
});

Deno.test("a corrupted small file fails its git blob check too", async () => {
  await using t = await setUp();
  t.hub.corrupt("config.json");
  await assert.rejects(t.fetch(), /config\.json: checksum mismatch \(git blob sha1 /);
});

Deno.test("offline mode serves the cached snapshot without the network, and names what is missing", async () => {
  await using t = await setUp();
  const online = await t.fetch();
  const seen = t.hub.requests.length;
  const offline = await t.fetch({ settings: { offline: true, endpoint: "http://127.0.0.1:9" } });
  assert.deepEqual(offline, online);
  assert.equal(t.hub.requests.length, seen, "no request in offline mode");
  const other: Repo = { type: "dataset", id: "test-org/absent" };
  await assert.rejects(
    fetchSnapshot(other, { settings: { ...t.settings, offline: true }, progress: new SilentProgress() }),
    /HF_HUB_OFFLINE is set and dataset test-org\/absent at main is not in the cache \(.*datasets--test-org--absent\); unset HF_HUB_OFFLINE/,
  );
  await assert.rejects(
    t.fetch({ include: ["*.gguf"], settings: { offline: true } }),
    /HF_HUB_OFFLINE is set .* has no file matching \["\*\.gguf"\]/,
  );
});

Deno.test("the token goes to the Hub, never to the CDN; without one a private repo asks for HF_TOKEN", async () => {
  await using t = await setUp({ token: "hf_secret", settingsToken: "hf_secret" });
  await t.fetch();
  const hub = t.hub.requests.filter((r) => r.server === "hub");
  const cdn = t.hub.requests.filter((r) => r.server === "cdn");
  assert.ok(hub.length > 0 && cdn.length > 0);
  assert.ok(hub.every((r) => r.authorization === "Bearer hf_secret"));
  assert.ok(cdn.every((r) => r.authorization === null));
  await assert.rejects(
    fetchSnapshot(MODEL, { settings: { ...t.settings, token: undefined }, progress: new SilentProgress() }),
    /HTTP 401, access denied; set HF_TOKEN to an access token/,
  );
});

Deno.test("unknown repositories and revisions are named with a fix", async () => {
  await using t = await setUp();
  await assert.rejects(
    fetchSnapshot({ type: "model", id: "test-org/nope" }, {
      settings: t.settings,
      progress: new SilentProgress(),
    }),
    /revision\/main: HTTP 404, not found; check the repository id/,
  );
  await assert.rejects(
    fetchSnapshot(MODEL, { revision: "v9", settings: t.settings, progress: new SilentProgress() }),
    /HTTP 404, no such revision/,
  );
});

Deno.test("materializeSnapshot puts plain files into a directory", async () => {
  await using t = await setUp();
  const snapshot = await t.fetch({ include: ["*.json", "*.safetensors", "onnx/*"] });
  const dir = join(t.settings.cacheDir, "plain");
  await materializeSnapshot(snapshot, dir);
  const info = await Deno.lstat(join(dir, "model.safetensors"));
  assert.ok(info.isFile && !info.isSymlink);
  assert.deepEqual(await Deno.readFile(join(dir, "model.safetensors")), WEIGHTS);
  assert.ok((await Deno.lstat(join(dir, "onnx/model.onnx"))).isFile);
});
