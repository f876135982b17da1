/**
 * Builds the OpenAPI 3.0 document of the status API from the routes' zod schemas.
 *
 * @module
 */
import { z } from "zod";
import type { RouteDoc } from "./routes.ts";
import { ApiErrorBody } from "./schemas.ts";

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  202: "Accepted",
  400: "Malformed id or query",
  401: "Missing or wrong bearer token",
  403: "Forbidden (actions disabled or host not allowed)",
  404: "No such run, step or output",
  409: "The run is not in a state that allows this",
  500: "Internal error",
};

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: "openapi-3.0" }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = field as z.ZodType;
    return {
      name,
      in: where,
      required: where === "path" || !fieldSchema.safeParse(undefined).success,
      description: fieldSchema.description,
      schema: schemaOf(fieldSchema, "input"),
    };
  });
}

function successContent(response: RouteDoc["response"]): JsonSchema {
  if (response instanceof z.ZodType) return { "application/json": { schema: schemaOf(response, "output") } };
  return { [response.mediaType]: { schema: { type: "string", description: response.description } } };
}

function operation(route: RouteDoc, tokenForReads: boolean): JsonSchema {
  const responses: JsonSchema = {
    [route.status]: {
      description: STATUS_TEXT[route.status] ?? "OK",
      content: successContent(route.response),
    },
  };
  for (const status of route.errors) {
    responses[status] = {
      description: STATUS_TEXT[status] ?? "Error",
      content: { "application/json": { schema: schemaOf(ApiErrorBody, "output") } },
    };
  }
  const secured = route.alwaysAuth || (tokenForReads && route.path !== "/healthz");
  return {
    summary: route.summary,
    parameters: [...parameters(route.params, "path"), ...parameters(route.query, "query")],
    responses,
    ...(secured ? { security: [{ bearer: [] }] } : {}),
  };
}

/** The OpenAPI document for `routes`; `tokenForReads` marks reads as secured too. */
export function openApiDocument(routes: readonly RouteDoc[], tokenForReads: boolean): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, "{$1}");
    paths[path] = { ...paths[path], [route.method]: operation(route, tokenForReads) };
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "SCoRe pipeline status API",
      version: "1.0.0",
      description: "Runs, steps, progress, metrics and live events of the workflow engine's run store.",
    },
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
