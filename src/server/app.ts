/**
 * The status server's hono app: the JSON API over the run store, server-sent events, Prometheus metrics,
 * the OpenAPI document and the dashboard.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { cancelRun, resumeRun } from "./actions.ts";
import type { RunRow } from "../workflow/store.ts";
import { accessControl, type AccessPolicy } from "./auth.ts";
import { dashboardAssets } from "./dashboard.ts";
import { type EventStreamOptions, streamRunEvents } from "./events.ts";
import { openApiDocument } from "./openapi.ts";
import { renderPrometheus } from "./prometheus.ts";
import { RunReader } from "./reader.ts";
import { describeIssue, errorResponse, RouteTable } from "./routes.ts";
import {
  ActionResult,
  EventsQuery,
  Health,
  NoQuery,
  RecordsPage,
  RecordsQuery,
  RunDetail,
  RunList,
  RunParams,
  SeriesList,
  SeriesQuery,
  StepDetail,
  StepParams,
} from "./schemas.ts";

/** Options of {@link createApp}. */
export interface AppOptions extends AccessPolicy {
  /** The runs directory (holding `pipeline.db`); made absolute. */
  runsDir: string;
  /** Event-stream pacing (defaults: poll every 250 ms, keep-alive every 15 s, 500 events per poll). */
  events?: Partial<EventStreamOptions>;
  /** How many finished runs `/metrics` exports besides the running ones (default 10). */
  metricsRuns?: number;
  /** The pipeline entry module that `POST .../resume` starts (default `src/cli.ts`). */
  pipelineEntry?: string;
}

/** The app and the reader it owns (close the reader when done). */
export interface StatusApp {
  app: Hono;
  reader: RunReader;
}

const EventsRequest = z.object({ params: RunParams, query: EventsQuery });

/** Builds the status app for a runs directory. */
export function createApp(options: AppOptions): StatusApp {
  const runsDir = options.runsDir.startsWith("/") ? options.runsDir : `${Deno.cwd()}/${options.runsDir}`;
  const reader = new RunReader(runsDir);
  const policy: AccessPolicy = { token: options.token, tokenForReads: options.tokenForReads };
  const streamOptions: EventStreamOptions = {
    pollMs: 250,
    keepAliveMs: 15_000,
    batch: 500,
    ...options.events,
  };
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    if (c.req.path.startsWith("/api/")) c.header("Cache-Control", "no-store");
  });
  app.use("*", accessControl(policy));
  app.notFound((c) =>
    c.json({ error: `no route ${c.req.method} ${c.req.path} (see /api/openapi.json)` }, 404)
  );
  app.onError((error, c) => errorResponse(c, error));

  const routes = new RouteTable(app);
  const notFound = [400, 404];
  routes.json(
    {
      method: "get",
      path: "/healthz",
      summary: "Liveness",
      params: z.object({}),
      query: NoQuery,
      response: Health,
      status: 200,
      errors: [],
    },
    () => ({ status: "ok" as const, store: reader.hasStore() }),
  );
  routes.json(
    {
      method: "get",
      path: "/api/runs",
      summary: "The runs, newest first",
      params: z.object({}),
      query: NoQuery,
      response: RunList,
      status: 200,
      errors: [400],
    },
    () => ({ runs: reader.listRuns() }),
  );
  routes.json(
    {
      method: "get",
      path: "/api/runs/:id",
      summary: "A run with its steps, progress and newest metrics",
      params: RunParams,
      query: NoQuery,
      response: RunDetail,
      status: 200,
      errors: notFound,
    },
    ({ params }) => reader.runDetail(params.id),
  );
  routes.json(
    {
      method: "get",
      path: "/api/runs/:id/steps/:step",
      summary: "One step with its checkpoint and log tail",
      params: StepParams,
      query: NoQuery,
      response: StepDetail,
      status: 200,
      errors: notFound,
    },
    ({ params }) => reader.stepDetail(params.id, params.step),
  );
  routes.json(
    {
      method: "get",
      path: "/api/runs/:id/steps/:step/records",
      summary: "One page of a step's records output",
      params: StepParams,
      query: RecordsQuery,
      response: RecordsPage,
      status: 200,
      errors: notFound,
    },
    ({ params, query }) =>
      reader.records(params.id, params.step, query.offset ?? 0, query.limit ?? 50, query.output),
  );
  routes.json(
    {
      method: "get",
      path: "/api/runs/:id/metrics",
      summary: "Every metric of a run as series",
      params: RunParams,
      query: SeriesQuery,
      response: SeriesList,
      status: 200,
      errors: notFound,
    },
    ({ params, query }) => reader.series(params.id, query.points ?? 400),
  );
  routes.raw(
    {
      method: "get",
      path: "/api/runs/:id/events",
      summary: "Live events of a run (server-sent events; honours Last-Event-ID)",
      params: RunParams,
      query: EventsQuery,
      response: {
        mediaType: "text/event-stream",
        description: "one `data:` JSON RunEvent per event, `id:` the event id",
      },
      status: 200,
      errors: notFound,
    },
    (c) => {
      const request = EventsRequest.safeParse({ params: c.req.param(), query: c.req.query() });
      if (!request.success) return c.json({ error: describeIssue(request.error, "request") }, 400);
      const lastEventId = c.req.header("last-event-id");
      if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
        return c.json({ error: "Last-Event-ID: expected an event id (digits)" }, 400);
      }
      const { id } = request.data.params;
      try {
        reader.getRun(id);
        const after = lastEventId !== undefined
          ? Number(lastEventId)
          : request.data.query.after ?? reader.lastEventId(id);
        return streamRunEvents(c, reader, id, after, streamOptions);
      } catch (error) {
        return errorResponse(c, error);
      }
    },
  );
  routes.raw(
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics of running and recent runs",
      response: { mediaType: "text/plain; version=0.0.4", description: "Prometheus text exposition" },
      status: 200,
      errors: [],
    },
    (c) => {
      const text = renderPrometheus(reader.runsForMetrics(options.metricsRuns ?? 10));
      return c.text(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
    },
  );
  const actions = [
    {
      action: "resume",
      summary: "Resume a stopped run in a new pipeline process",
      act: (run: RunRow) => resumeRun(run, runsDir, options.pipelineEntry),
    },
    {
      action: "cancel",
      summary: "Stop a running run (SIGTERM; it ends interrupted) and cancel its Slurm arrays",
      act: (run: RunRow) => cancelRun(run, reader.shardJobs(run.id), `${runsDir}/${run.id}`),
    },
  ] as const;
  for (const { action, summary, act } of actions) {
    routes.json(
      {
        method: "post",
        path: `/api/runs/:id/${action}`,
        summary,
        params: RunParams,
        query: NoQuery,
        response: ActionResult,
        status: 202,
        errors: [400, 401, 403, 404, 409],
        alwaysAuth: true,
      },
      ({ params }) => ({ runId: params.id, action, pid: act(reader.getRun(params.id)) }),
    );
  }
  const openApi = openApiDocument(routes.docs, policy.tokenForReads);
  app.get("/api/openapi.json", (c) => c.json(openApi));

  const assets = dashboardAssets();
  app.get("/", (c) => c.html(assets.html, 200, { "Content-Security-Policy": assets.csp }));
  app.get("/assets/:name", (c) => {
    const asset = assets.files.get(c.req.param("name"));
    if (!asset) return c.json({ error: `no asset '${c.req.param("name")}'` }, 404);
    return c.body(asset.body, 200, { "Content-Type": asset.type, "Cache-Control": "no-cache" });
  });
  return { app, reader };
}
