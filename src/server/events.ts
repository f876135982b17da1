/**
 * Server-sent events of a run: polls the store's events table by id (a short indexed read) and forwards
 * new rows. A reconnecting client sends `Last-Event-ID` and continues exactly where it stopped.
 *
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunReader } from "./reader.ts";
import type { RunEvent } from "./schemas.ts";

/** How the event stream behaves. */
export interface EventStreamOptions {
  /** Milliseconds between polls of the events table. */
  pollMs: number;
  /** Milliseconds between keep-alive comments when nothing happens. */
  keepAliveMs: number;
  /** Events sent per poll at most (the rest follow on the next poll). */
  batch: number;
}

/** Streams the events of `runId` after `afterId` until the client goes away. */
export function streamRunEvents(
  c: Context,
  reader: RunReader,
  runId: string,
  afterId: number,
  options: EventStreamOptions,
): Response {
  return streamSSE(c, async (stream) => {
    let last = afterId;
    let quietSince = Date.now();
    while (!stream.aborted && !stream.closed) {
      const rows = reader.eventsAfter(runId, last, options.batch);
      for (const row of rows) {
        const event: RunEvent = {
          id: row.id,
          stepId: row.step_id,
          type: row.type,
          data: JSON.parse(row.data),
          ts: row.ts,
        };
        await stream.writeSSE({ id: String(row.id), event: row.type, data: JSON.stringify(event) });
        last = row.id;
      }
      if (rows.length === options.batch) continue;
      if (rows.length > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= options.keepAliveMs) {
        await stream.write(": keep-alive\n\n");
        quietSince = Date.now();
      }
      await stream.sleep(options.pollMs);
    }
  });
}
