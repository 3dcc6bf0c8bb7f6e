/**
 * The OpenAPIHono shared by the schema-validated `/api` routes: a zod validation failure is a
 * 400 with the JSON error shape of errors.ts.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { errorBody } from "./errors.ts";
import { ErrorResponse } from "./api_schemas.ts";

/** A new OpenAPIHono whose validation failures answer `{ error: { status: 400, message } }`. */
export function openApiRoutes() {
  return new OpenAPIHono<{ Bindings: Env }>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      const message = issue ? `${where}${issue.message}`.slice(0, 300) : "invalid request";
      return c.json(errorBody(400, message), 400);
    },
  });
}

/** The 400 answer every route documents. */
export const BAD_REQUEST = {
  400: { description: "Invalid parameter", content: { "application/json": { schema: ErrorResponse } } },
} as const;
