/**
 * A small typed-route layer over hono: each JSON route declares zod schemas for its path parameters, query
 * and response. Requests that do not match answer 400 with the first problem; responses are parsed before
 * they are sent; and the declarations are kept to generate the OpenAPI document.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.ts";

/** What the OpenAPI document needs to know of a route. */
export interface RouteDoc {
  method: "get" | "post";
  /** hono-style path, for example `/api/runs/:id`. */
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The success response: a zod schema (JSON) or a media type with a description. */
  response: z.ZodType | { mediaType: string; description: string };
  /** Success status. */
  status: number;
  /** Error statuses the route can answer with. */
  errors: number[];
  /** Whether the route needs the bearer token even on loopback. */
  alwaysAuth?: boolean;
}

/** The handler of a typed JSON route. */
export type TypedHandler<P extends z.ZodObject, Q extends z.ZodObject, R extends z.ZodType> = (
  input: { params: z.infer<P>; query: z.infer<Q>; c: Context },
) => z.input<R> | Promise<z.input<R>>;

/** Describes a zod failure in one line: `where: what`. */
export function describeIssue(error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const path = issue.path.length ? `${where}.${issue.path.join(".")}` : where;
  return `${path}: ${issue.message}`;
}

/** Answers an error thrown by a handler as JSON. */
export function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof ApiError) return c.json({ error: error.message }, error.status);
  const message = error instanceof Error ? error.message : String(error);
  return c.json({ error: `internal error: ${message}` }, 500);
}

/** Collects typed routes on a hono app and their documentation. */
export class RouteTable {
  readonly docs: RouteDoc[] = [];

  /** Routes are added to `app`. */
  constructor(private readonly app: Hono) {}

  /** Adds a documented route whose handler builds its own response (SSE, text). */
  raw(doc: RouteDoc, handler: (c: Context) => Response | Promise<Response>): void {
    this.docs.push(doc);
    this.app.on(doc.method.toUpperCase(), doc.path, handler);
  }

  /** Adds a JSON route: parameters and query are validated, the response is checked. */
  json<P extends z.ZodObject, Q extends z.ZodObject, R extends z.ZodType>(
    doc: RouteDoc & { params: P; query: Q; response: R },
    handler: TypedHandler<P, Q, R>,
  ): void {
    this.raw(doc, async (c) => {
      const params = doc.params.safeParse(c.req.param());
      if (!params.success) return c.json({ error: describeIssue(params.error, "path") }, 400);
      const query = doc.query.safeParse(c.req.query());
      if (!query.success) return c.json({ error: describeIssue(query.error, "query") }, 400);
      try {
        const body = await handler({ params: params.data, query: query.data, c });
        return c.json(doc.response.parse(body) as object, doc.status as 200);
      } catch (error) {
        return errorResponse(c, error);
      }
    });
  }
}
