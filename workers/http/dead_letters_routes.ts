import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "./auth.ts";
import { listDeadLetters, replayDeadLetters } from "../queue/dead_letter_handler.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { ADMIN_ERRORS, ADMIN_ROUTE_SECURITY, AdminReport, DeadLettersQuery, json } from "./ops_schemas.ts";

const guarded = openApiRoutes();
guarded.use("*", requireAdmin); // before each route's validator: 401/403 come before a 400

/** Admin API over dead-lettered queue messages: list them, and replay them into the pipeline. */
export const deadLettersRoutes = guarded
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Dead-lettered queue messages with their failure reasons",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: DeadLettersQuery },
      responses: { 200: json(AdminReport, "The dead letters"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => c.json(await listDeadLetters(c.env, c.req.valid("query").limit), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/replay",
      summary: "Re-sends dead letters under their batch ids and moves them to dead-letter/replayed/",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: DeadLettersQuery },
      responses: { 200: json(AdminReport, "What was replayed and skipped"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => c.json(await replayDeadLetters(c.env, c.req.valid("query").limit), 200),
  );
