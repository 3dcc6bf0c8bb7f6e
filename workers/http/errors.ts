import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The JSON error body of every failed request (DESIGN.md §4). */
export interface ErrorBody {
  error: { status: number; message: string };
}

/** Builds the JSON error body. */
export function errorBody(status: number, message: string): ErrorBody {
  return { error: { status, message } };
}

/** Hono `onError`: HTTPException → its status; anything else → one log line and a 500 without a stack. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof HTTPException) {
    return c.json(errorBody(error.status, error.message), error.status as ContentfulStatusCode);
  }
  console.error(JSON.stringify({ msg: "Unhandled error", path: c.req.path, error: String(error) }));
  return c.json(errorBody(500, "Internal error"), 500);
}

/** Hono `notFound`: a JSON 404. */
export function handleNotFound(c: Context): Response {
  return c.json(errorBody(404, `No route for ${c.req.method} ${c.req.path}`), 404);
}
