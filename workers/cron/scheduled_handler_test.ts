import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import { startIngest, stopIngest } from "../pipeline.ts";
import { INGESTOR_NAME } from "../../durable-objects/stream_ingestor/stream_ingestor_object.ts";

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
