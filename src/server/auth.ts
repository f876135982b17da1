/**
 * Access rules of the status server:
 * - bound to a loopback address, reads are open and the `Host` header must name a loopback host (so a web
 *   page cannot reach the API through DNS rebinding);
 * - bound to any other address, every route except `/healthz` and the dashboard's static files needs
 *   `Authorization: Bearer TOKEN`;
 * - the POST actions always need the token, and are disabled when the server has none.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

/** Host names that only reach this machine. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether binding to `host` keeps the server on this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The access policy of a server. */
export interface AccessPolicy {
  /** The bearer token, if the server has one. */
  token?: string;
  /** Whether reads need the token too (any bind address other than loopback). */
  tokenForReads: boolean;
}

/** Routes anyone may read: the health check and the dashboard shell (it holds no run data). */
function isPublic(path: string): boolean {
  return path === "/healthz" || path === "/" || path.startsWith("/assets/");
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** Compares a presented token with the expected one in constant time. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return "";
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  return hostHeader.replace(/:\d+$/, "");
}

/** The middleware enforcing an {@link AccessPolicy}. */
export function accessControl(policy: AccessPolicy): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    const isAction = c.req.method !== "GET" && c.req.method !== "HEAD";
    const host = c.req.header("host");
    if (!policy.tokenForReads && host !== undefined && !isLoopback(hostName(host))) {
      return c.json({ error: "this server only answers requests addressed to 127.0.0.1 or localhost" }, 403);
    }
    const needsToken = isAction || (policy.tokenForReads && !isPublic(path));
    if (!needsToken) return await next();
    if (!policy.token) {
      return c.json(
        { error: "actions are disabled: start the server with --token T (or PIPELINE_TOKEN) to enable them" },
        403,
      );
    }
    const presented = bearer(c.req.header("authorization"));
    if (!presented || !tokenMatches(presented, policy.token)) {
      c.header("WWW-Authenticate", 'Bearer realm="pipeline"');
      return c.json({ error: "missing or wrong token: send 'Authorization: Bearer TOKEN'" }, 401);
    }
    return await next();
  };
}
