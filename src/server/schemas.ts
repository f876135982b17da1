/**
 * The zod schemas of the status API: path parameters, query strings and every response body. The OpenAPI
 * document is generated from these, so they are the single description of the API.
 *
 * @module
 */
import { z } from "zod";

/** A run id: letters, digits, `.`, `_`, `-`, starting with a letter or digit, never `..`. */
export const RunId = z.string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a run id is letters, digits, '.', '_' or '-'")
  .refine((id) => !id.includes(".."), "a run id may not contain '..'");

/** A step id or output name, as the workflow spec allows them. */
export const StepId = z.string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,127}$/,
    "a step id is letters, digits, '_' or '-', starting with a letter",
  );

/** A step id, or the id of an instance of a matrix step: `base[seed=1]`, `base[seed=1,lr=0.1]`. */
export const StepInstanceId = z.string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,127}(\[[A-Za-z][A-Za-z0-9_]*=[A-Za-z0-9._-]+(,[A-Za-z][A-Za-z0-9_]*=[A-Za-z0-9._-]+)*\])?$/,
    "a step id is letters, digits, '_' or '-', starting with a letter, optionally with matrix values: base[seed=1]",
  );

/** A non-negative integer given as a query-string value. */
function queryInteger(min: number, max: number) {
  return z.string()
    .regex(/^\d{1,9}$/, "expected a non-negative integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** Path parameters of routes on one run. */
export const RunParams = z.strictObject({ id: RunId });
/** Path parameters of routes on one step. */
export const StepParams = z.strictObject({ id: RunId, step: StepInstanceId });

/** No query parameters. */
export const NoQuery = z.strictObject({});

/** Query of the records route. */
export const RecordsQuery = z.strictObject({
  offset: queryInteger(0, 1e9).optional().describe("index of the first record (default 0)"),
  limit: queryInteger(1, 500).optional().describe("records per page, 1..500 (default 50)"),
  output: StepId.optional().describe("which records output of the step (default: its first)"),
});

/** Query of the events route. */
export const EventsQuery = z.strictObject({
  after: queryInteger(0, Number.MAX_SAFE_INTEGER).optional()
    .describe("replay events after this id (0: all); default: only new events. Last-Event-ID wins"),
});

/** Query of the metric-series route. */
export const SeriesQuery = z.strictObject({
  points: queryInteger(2, 5000).optional().describe("at most this many points per series (default 400)"),
});

/** The state of a run. */
export const RunStatus = z.enum(["running", "done", "failed", "interrupted"]);
/** The state of a step. */
export const StepStatus = z.enum(["pending", "running", "done", "cached", "failed", "interrupted"]);

/** How far a run's steps are. */
export const StepCounts = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  running: z.number().int(),
  finished: z.number().int().describe("done or cached"),
  failed: z.number().int(),
});

/** A run in a list. */
export const RunSummary = z.object({
  id: z.string(),
  workflow: z.string(),
  file: z.string(),
  status: RunStatus,
  pid: z.number().int(),
  created: z.number().describe("epoch milliseconds"),
  updated: z.number().describe("epoch milliseconds"),
  error: z.string().nullable(),
  steps: StepCounts,
});
/** A run in a list. */
export type RunSummary = z.infer<typeof RunSummary>;

/** The answer of `GET /api/runs`. */
export const RunList = z.object({ runs: z.array(RunSummary) });

/** The newest point of a metric. */
export const MetricPoint = z.object({ step: z.number().int(), value: z.number() });

/** An output a step produced. */
export const OutputSummary = z.object({
  name: z.string(),
  kind: z.enum(["records", "dir"]),
  count: z.number().int(),
  sha256: z.string(),
});

/** A step of a run, with its progress. */
/** One shard of a step run on Slurm (`executor: slurm`), as the pipeline's head last saw it. */
export const ShardSummary = z.object({
  index: z.number().int().describe("the shard (the array task index)"),
  state: z.enum(["pending", "running", "done", "failed"]),
  schedulerState: z.string().nullable().describe(
    "Slurm's state of its task, e.g. `RUNNING`, `PENDING (BeginTime)`",
  ),
  jobId: z.string().nullable().describe("the array job it runs in"),
  node: z.string().nullable(),
  restarts: z.number().int().describe("how often Slurm requeued it"),
  first: z.number().int().nullable().describe("its items are [first, end) of the step's"),
  end: z.number().int().nullable(),
  itemsDone: z.number().int(),
});
/** One shard of a step run on Slurm. */
export type ShardSummary = z.infer<typeof ShardSummary>;

export const StepSummary = z.object({
  id: z.string().describe("the step's id; a matrix instance's is `base[seed=1]`"),
  group: z.string().describe("the declared step id (`base` for every instance of `base`)"),
  matrix: z.record(z.string(), z.string()).describe("a matrix instance's axis values ({} for a plain step)"),
  kind: z.string(),
  status: StepStatus,
  needs: z.array(z.string()).describe("the steps (or instances) this one waits for"),
  attempts: z.number().int(),
  started: z.number().nullable(),
  finished: z.number().nullable(),
  durationMs: z.number().nullable().describe("finished - started, or so far while running"),
  error: z.string().nullable(),
  itemsDone: z.number().int(),
  itemsTotal: z.number().int().nullable(),
  rate: z.number().nullable().describe("items per second (recent, while running)"),
  etaSeconds: z.number().nullable(),
  outputs: z.array(OutputSummary),
  metrics: z.record(z.string(), MetricPoint).describe("newest value of each metric of the step"),
  shards: z.array(ShardSummary).describe("a step run on Slurm: its shards ([] for a step run in-process)"),
});
/** A step of a run, with its progress. */
export type StepSummary = z.infer<typeof StepSummary>;

/** Which way a metric is better. */
export const Direction = z.enum(["higher", "lower", "none"]);

/** What a metric is, from its name `<scope>/<key>` (see metric_catalog.ts). */
export const MetricInfo = z.object({
  scope: z.string().describe("the name without its last segment, e.g. `stage1` or `eval/base`"),
  key: z.string().describe("the last segment, e.g. `reward_attempt1`"),
  family: z.string().describe("series of one step and family share a chart, e.g. `reward`"),
  label: z.string().describe("the series' name in its chart, e.g. `attempt 1`"),
  direction: Direction.describe("which way is better"),
  unit: z.enum(["fraction", "number", "count", "per_second"]),
  table: z.boolean().describe("shown in the self-correction table rather than as a curve"),
});
/** What a metric is. */
export type MetricInfo = z.infer<typeof MetricInfo>;

const SelfCorrectionValues = z.object({
  accuracyT1: z.number(),
  accuracyT2: z.number(),
  delta: z.number(),
  incorrectToCorrect: z.number(),
  correctToIncorrect: z.number(),
}).describe("fractions of all problems");

/** One method of the self-correction table, with its instances (several for a matrix step). */
export const SelfCorrectionRow = z.object({
  method: z.string().describe("from the metric scope: `eval/base` → `base`"),
  scope: z.string(),
  step: z.string().describe("the declared step the evaluation came from"),
  evaluation: z.boolean().describe("the scope is `eval` or under it (a held-out evaluation)"),
  instances: z.array(z.object({
    step: z.string().describe("the step or instance id"),
    matrix: z.record(z.string(), z.string()),
    problems: z.number().nullable(),
    values: SelfCorrectionValues,
  })),
  mean: SelfCorrectionValues.nullable().describe("the mean over instances, when there are several"),
});
/** One method of the self-correction table. */
export type SelfCorrectionRow = z.infer<typeof SelfCorrectionRow>;

/** The report's table: methods × (Accuracy@t1, Accuracy@t2, Δ(t1,t2), Δ i→c, Δ c→i). */
export const SelfCorrectionTable = z.object({
  columns: z.array(z.object({
    key: z.string(),
    label: z.string(),
    direction: Direction,
    signed: z.boolean().describe("the sign means something (shown with +/−, an improvement or a regression)"),
  })),
  rows: z.array(SelfCorrectionRow).describe("evaluations first, each in the order of its first step"),
});
/** The self-correction table. */
export type SelfCorrectionTable = z.infer<typeof SelfCorrectionTable>;

/** The answer of `GET /api/runs/:id`. */
export const RunDetail = RunSummary.extend({
  params: z.record(z.string(), z.unknown()),
  stepList: z.array(StepSummary),
  selfCorrection: SelfCorrectionTable,
  lastEventId: z.number().int().describe("subscribe to /events?after=lastEventId to follow from here"),
});
/** The answer of `GET /api/runs/:id`. */
export type RunDetail = z.infer<typeof RunDetail>;

/** The answer of `GET /api/runs/:id/steps/:step`. */
export const StepDetail = StepSummary.extend({
  runId: z.string(),
  checkpoint: z.object({ index: z.number().int(), meta: z.unknown() }).nullable(),
  log: z.array(z.string()).describe("the last lines of the step's log"),
});
/** The answer of `GET /api/runs/:id/steps/:step`. */
export type StepDetail = z.infer<typeof StepDetail>;

/** The answer of the records route: one page of a records output. */
export const RecordsPage = z.object({
  runId: z.string(),
  stepId: z.string(),
  output: z.string(),
  offset: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().describe("committed records so far"),
  records: z.array(z.unknown()),
});
/** One page of a records output. */
export type RecordsPage = z.infer<typeof RecordsPage>;

/** A metric's points, downsampled. */
export const Series = z.object({
  step: z.string(),
  group: z.string().describe("the declared step (one chart per declared step and family)"),
  name: z.string(),
  info: MetricInfo,
  points: z.array(z.tuple([z.number(), z.number()])).describe("[metric step, value] pairs"),
});
/** The answer of `GET /api/runs/:id/metrics`. */
export const SeriesList = z.object({ runId: z.string(), series: z.array(Series) });
/** The answer of `GET /api/runs/:id/metrics`. */
export type SeriesList = z.infer<typeof SeriesList>;

/** An event as sent over server-sent events (the SSE `data:` field). */
export const RunEvent = z.object({
  id: z.number().int(),
  stepId: z.string().nullable(),
  type: z.string(),
  data: z.unknown(),
  ts: z.number(),
});
/** An event as sent over server-sent events. */
export type RunEvent = z.infer<typeof RunEvent>;

/** The answer of the POST actions. */
export const ActionResult = z.object({
  runId: z.string(),
  action: z.enum(["resume", "cancel"]),
  pid: z.number().int().describe("the process that was started (resume) or signalled (cancel)"),
});
/** The answer of the POST actions. */
export type ActionResult = z.infer<typeof ActionResult>;

/** The answer of `GET /healthz`. */
export const Health = z.object({
  status: z.literal("ok"),
  store: z.boolean().describe("the run store exists"),
});

/** Every error answer. */
export const ApiErrorBody = z.object({ error: z.string() });
