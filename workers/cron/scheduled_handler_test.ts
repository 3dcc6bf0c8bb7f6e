import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import { startIngest, stopIngest } from "../pipeline.ts";
import { INGESTOR_NAME } from "../../durable-objects/stream_ingestor/stream_ingestor_object.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { CORRECTION_CRON, MAINTENANCE_CRON } from "./scheduled_handler.ts";
import { MAINTENANCE_REPORT_KEY } from "../maintenance.ts";
import { TABLES } from "../../r2/tables/schemas.ts";

describe("cron watchdog", () => {
  it("restarts a stopped ingestor when ingestion is wanted", async () => {
    await startIngest(env, { streamUrl: "http://127.0.0.1:9/v2/stream/recentchange" }, "test");
    const ingestor = env.STREAM_INGESTOR.getByName(INGESTOR_NAME);
    await ingestor.stop(); // e.g. the isolate lost its connection; PipelineControl still wants it running
    expect((await ingestor.status()).running).toBe(false);
    await worker.scheduled(
      createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }),
      env,
    );
    const status = await ingestor.status();
    expect(status.running).toBe(true);
    expect(status.url).toBe("http://127.0.0.1:9/v2/stream/recentchange");
    await stopIngest(env, "test");
  });

  it("leaves a stopped pipeline stopped", async () => {
    await stopIngest(env, "test");
    await worker.scheduled(
      createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }),
      env,
    );
    expect((await env.STREAM_INGESTOR.getByName(INGESTOR_NAME).status()).running).toBe(false);
  });
});

describe("cron correction", () => {
  it("folds late events of final windows into gold on its schedule", async () => {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const t = Date.UTC(2026, 4, 1, 8, 0);
    const row = (id: string, at: number) => ({
      event_id: id,
      user_name: id,
      wiki: "enwiki",
      page_title: id,
      is_bot: false,
      bytes_diff: 1,
      event_time: at,
    });
    await tracker.admit([{
      owner: "cron-a",
      rows: [row("a", t + 1_000), row("b", t + 900_000), row("late", t + 2_000)],
    }]);
    for (let i = 0; i < 100 && (await tracker.status()).uncorrected_late_events === 0; i++) {
      await new Promise((r) => setTimeout(r, 100)); // finalization runs in the tracker's alarm
    }
    expect((await tracker.status()).uncorrected_late_events).toBe(1);
    await worker.scheduled(
      createScheduledController({ cron: CORRECTION_CRON, scheduledTime: Date.now() }),
      env,
    );
    const status = await tracker.status();
    expect(status.uncorrected_late_events).toBe(0);
    expect(status.corrections).toBe(1);
    expect((await tracker.windows(t, t + 1))[0].row?.total_edits).toBe(2);
  });
});

describe("cron maintenance", () => {
  it("runs every job on every table every 2 hours and keeps the report for /api/health", async () => {
    const at = Date.now();
    await worker.scheduled(createScheduledController({ cron: MAINTENANCE_CRON, scheduledTime: at }), env);
    const report = await (await env.LAKE.get(MAINTENANCE_REPORT_KEY))!.json() as {
      at: string;
      jobs: { table: string; job: string }[];
    };
    expect(report.at).toBe(new Date(at).toISOString());
    expect(report.jobs.map((j) => `${j.table}/${j.job}`)).toEqual(
      TABLES.flatMap((t) =>
        ["compact", "rewrite_manifests", "expire_snapshots", "remove_orphans"].map((j) => `${t.name}/${j}`)
      ),
    );
  });
});
