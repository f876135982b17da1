import assert from "node:assert/strict";
import { join } from "node:path";
import { hubSettings, isTruthy } from "./settings.ts";

Deno.test("hubSettings reads the huggingface_hub environment variables and their defaults", async () => {
  assert.deepEqual(hubSettings({ HOME: "/home/u" }), {
    endpoint: "https://huggingface.co",
    token: undefined,
    cacheDir: "/home/u/.cache/huggingface/hub",
    offline: false,
  });
  assert.equal(hubSettings({ HOME: "/h", XDG_CACHE_HOME: "/x" }).cacheDir, "/x/huggingface/hub");
  assert.deepEqual(
    hubSettings({
      HF_ENDPOINT: "http://mirror.local:8080/",
      HF_TOKEN: " hf_abc ",
      HF_HOME: "/data/hf",
      HF_HUB_OFFLINE: "1",
    }),
    { endpoint: "http://mirror.local:8080", token: "hf_abc", cacheDir: "/data/hf/hub", offline: true },
  );
  assert.equal(hubSettings({ HF_HOME: "/data/hf", HF_HUB_CACHE: "/fast/hub" }).cacheDir, "/fast/hub");
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(home, "token"), "hf_from_file\n");
    assert.equal(hubSettings({ HF_HOME: home }).token, "hf_from_file", "the token saved by `hf auth login`");
    assert.equal(hubSettings({ HF_HOME: home, HF_TOKEN: "hf_env" }).token, "hf_env", "HF_TOKEN wins");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  assert.deepEqual(["1", "TRUE", "yes", "On", "0", "", "no"].map(isTruthy), [
    true,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});
