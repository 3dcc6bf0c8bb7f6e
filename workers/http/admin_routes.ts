import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAdmin } from "./auth.ts";
import { resetPipeline } from "../reset.ts";
import { startIngest, stopIngest } from "../pipeline.ts";

const MAX_URL = 2_048;

/** Admin API (bearer token): ingest start/stop, reset. */
export const adminRoutes = new Hono<{ Bindings: Env }>()
  .use("*", requireAdmin)
  .post("/ingest/start", async (c) => {
    const url = c.req.query("url");
    const since = c.req.query("since");
    if (url !== undefined && (url.length > MAX_URL || !/^https?:\/\//.test(url) || !URL.canParse(url))) {
      throw new HTTPException(400, {
        message: `"url" must be an http(s) URL of at most ${MAX_URL} characters`,
      });
    }
    if (since !== undefined && !Number.isFinite(Date.parse(since))) {
      throw new HTTPException(400, {
        message: `"since" must be an ISO-8601 time; got "${since.slice(0, 64)}"`,
      });
    }
    return c.json(await startIngest(c.env, { streamUrl: url ?? null, since: since ?? null }, "admin"));
  })
  .post("/ingest/stop", async (c) => c.json(await stopIngest(c.env, "admin")))
  .post("/reset", async (c) => {
    if (c.req.query("confirm") !== "yes") {
      throw new HTTPException(400, {
        message: "Reset deletes every table and all pipeline state; repeat with ?confirm=yes",
      });
    }
    return c.json(await resetPipeline(c.env));
  });
