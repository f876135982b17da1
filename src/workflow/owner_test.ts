import assert from "node:assert/strict";
import { HEARTBEAT_STALE_MS, ownerAlive, ownerToken } from "./owner.ts";

Deno.test("the owner token names the process, its start time and its host", () => {
  assert.match(ownerToken(), new RegExp(`^${Deno.pid}:\\d+@${Deno.hostname().replace(/\./g, "\\.")}$`));
  assert.ok(ownerAlive({ pid: Deno.pid, owner: ownerToken() }));
  const [pidAndStart] = ownerToken().split("@");
  assert.ok(ownerAlive({ pid: Deno.pid, owner: pidAndStart }), "a token without a host (older stores)");
  assert.ok(!ownerAlive({ pid: Deno.pid, owner: `${Deno.pid}:1@${Deno.hostname()}` }), "another start time");
});

Deno.test("a run owned on another host is alive while its heartbeat is recent", () => {
  const owner = `${Deno.pid}:123@another-login-node`;
  assert.ok(ownerAlive({ pid: Deno.pid, owner, updated: Date.now() - 1000 }));
  assert.ok(!ownerAlive({ pid: Deno.pid, owner, updated: Date.now() - HEARTBEAT_STALE_MS - 1 }));
  assert.ok(!ownerAlive({ pid: Deno.pid, owner }), "no heartbeat known");
});
