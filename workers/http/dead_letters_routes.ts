import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAdmin } from "./auth.ts";
import { listDeadLetters, replayDeadLetters } from "../queue/dead_letter_handler.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/** Admin API over dead-lettered queue messages: list them, and replay them into the pipeline. */
export const deadLettersRoutes = new Hono<{ Bindings: Env }>()
  .use("*", requireAdmin)
  .get("/", async (c) => c.json(await listDeadLetters(c.env, parseLimit(c.req.query("limit")))))
  .post("/replay", async (c) => c.json(await replayDeadLetters(c.env, parseLimit(c.req.query("limit")))));

/** `?limit=`: an integer in [1, MAX_LIMIT], DEFAULT_LIMIT when absent. */
function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new HTTPException(400, {
      message: `"limit" must be an integer from 1 to ${MAX_LIMIT}; got "${raw.slice(0, 32)}"`,
    });
  }
  return limit;
}
