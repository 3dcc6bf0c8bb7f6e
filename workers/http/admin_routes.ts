import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAdmin } from "./auth.ts";
import { resetPipeline } from "../reset.ts";
import { startIngest, stopIngest } from "../pipeline.ts";
import { DEFAULT_MAX_FILES, runCorrection } from "../correction.ts";
import { correctionLookbackHours, parseBoundedInt } from "./admin_params.ts";
import { isIsoTime } from "./kpi_query.ts";

const MAX_URL = 2_048;

/** Admin API (bearer token): ingest start/stop, late-data correction, reset. */
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
    if (since !== undefined && (!isIsoTime(since) || Date.parse(since) > Date.now())) {
      throw new HTTPException(400, {
        message: `"since" must be a past ISO-8601 time with a zone; got "${since.slice(0, 64)}"`,
      });
    }
    return c.json(await startIngest(c.env, { streamUrl: url ?? null, since: since ?? null }, "admin"));
  })
  .post("/ingest/stop", async (c) => c.json(await stopIngest(c.env, "admin")))
  .post("/correction", async (c) => {
    const lookback = parseBoundedInt(c.req.query("lookback_hours"), "lookback_hours", {
      min: 1,
      max: 168,
      fallback: correctionLookbackHours(c.env.CORRECTION_LOOKBACK_HOURS),
    });
    const maxFiles = parseBoundedInt(c.req.query("max_files"), "max_files", {
      min: 1,
      max: 1_000,
      fallback: DEFAULT_MAX_FILES,
    });
    if (!lookback.ok) throw new HTTPException(400, { message: lookback.message });
    if (!maxFiles.ok) throw new HTTPException(400, { message: maxFiles.message });
    return c.json(
      await runCorrection(c.env, {
        lookbackHours: lookback.value,
        maxFiles: maxFiles.value,
        now: Date.now(),
      }),
    );
  })
  .post("/reset", async (c) => {
    if (c.req.query("confirm") !== "yes") {
      throw new HTTPException(400, {
        message: "Reset deletes every table and all pipeline state; repeat with ?confirm=yes",
      });
    }
    return c.json(await resetPipeline(c.env));
  });
