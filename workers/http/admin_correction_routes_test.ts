import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import type { RawEvent, RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { toBronzeRow } from "../queue/bronze.ts";
import { writeAndStage } from "../lake_writer.ts";
import { BRONZE, GOLD } from "../../r2/tables/schemas.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";

const asAny = (b: unknown): any => b;
const T = Date.UTC(2026, 2, 1, 12, 0);
const MIN = 60_000;
const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
const fetchApp = (path: string, init?: RequestInit) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`, init));

let offset = 0;
function event(id: string, at: number, bytes: number): RawEvent {
  const data = JSON.stringify({
    meta: {
      id,
      dt: new Date(at).toISOString(),
      domain: "en.wikipedia.org",
      topic: "eqiad.mediawiki.recentchange",
    },
    type: "edit",
    namespace: 0,
    title: `Page ${id}`,
    user: `User ${id}`,
    bot: false,
    length: { old: 100, new: 100 + bytes },
    server_name: "en.wikipedia.org",
    wiki: "enwiki",
  });
  return {
    sse_id: `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${++offset}}]`,
    data,
    received_at: Date.now(),
  };
}

async function deliver(batchId: string, events: RawEvent[]) {
  const body: RawEventsMessage = { v: 1, batch_id: batchId, events };
  const batch = createMessageBatch("wiki-raw-events", [{
    id: batchId,
    timestamp: new Date(),
    attempts: 1,
    body,
  }]);
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
}

async function kpiWindow(start: number) {
  const from = new Date(start).toISOString();
  const to = new Date(start + 5 * MIN).toISOString();
  const body = await (await fetchApp(`/api/kpis?from=${from}&to=${to}`)).json().then(asAny);
  return body.windows[0];
}

async function health(): Promise<{ status: string; reasons: string[] }> {
  const response = await fetchApp("/api/health");
  expect(response.status).toBe(200);
  return await response.json().then(asAny);
}

const gold = () =>
  new IcebergTable(new R2BlobStore(env.LAKE), {
    spec: GOLD,
    bucket: env.LAKE_BUCKET_NAME,
    warehouse: env.WAREHOUSE,
  });

describe("POST /api/admin/correction", () => {
  it("is guarded and validates its parameters", async () => {
    expect((await fetchApp("/api/admin/correction", { method: "POST" })).status).toBe(401);
    const wrong = await fetchApp("/api/admin/correction", {
      method: "POST",
      headers: { Authorization: "Bearer x" },
    });
    expect(wrong.status).toBe(403);
    for (const q of ["lookback_hours=0", "lookback_hours=abc", "lookback_hours=169", "max_files=1001"]) {
      const response = await fetchApp(`/api/admin/correction?${q}`, { method: "POST", headers: auth });
      expect(response.status).toBe(400);
      expect((await response.json().then(asAny)).error.message).toMatch(/must be an integer/);
    }
  });

  it("merges bronze-only events into silver and replaces late windows' gold rows in one overwrite, once", async () => {
    await deliver("corr-a", [
      event("a1", T + MIN, 10),
      event("a2", T + 2 * MIN, 700),
      event("a3", T + 20 * MIN, 5),
    ]);
    await deliver("corr-b", [event("b1", T + 3 * MIN, -800)]);
    let window = await kpiWindow(T);
    for (let i = 0; i < 100 && !window?.final; i++) {
      await new Promise((r) => setTimeout(r, 100));
      window = await kpiWindow(T);
    }
    expect(window).toMatchObject({ final: true, total_edits: 2, corrected_pending: true, late_events: 1 });
    // /api/health says so until the correction has run (the HTTP status stays 200).
    const pending = await health();
    expect(pending.status).not.toBe("ok");
    expect(pending.reasons).toContain("correction pending: 1 late event(s) not yet in gold");

    // An event that reached bronze but never silver (e.g. its message died half-way).
    const orphan = event("c1", T + 4 * MIN, 1);
    await writeAndStage(env, BRONZE, [{
      owner: "orphan-test",
      rows: [toBronzeRow(orphan, orphan.data)],
      duplicates: 0,
    }]);
    await env.TABLE_COMMITTER.getByName(committerName(BRONZE.name)).commitNow();
    const silverBefore =
      (await env.TABLE_COMMITTER.getByName(committerName("silver_wiki_events")).commitNow()).rows;
    await env.TABLE_COMMITTER.getByName(committerName(GOLD.name)).commitNow();
    const snapshotsBefore = (await gold().snapshots()).length;

    const first = await (await fetchApp("/api/admin/correction", { method: "POST", headers: auth })).json()
      .then(asAny);
    expect(first.bronze.merged_into_silver).toBe(1);
    expect(first.bronze.files_read).toBeGreaterThanOrEqual(1);
    expect(first.gold).toMatchObject({
      windows: [new Date(T).toISOString()],
      late_events: 2,
      commit: "committed",
    });
    expect((await health()).reasons.filter((r) => r.startsWith("correction pending"))).toEqual([]);
    const silverAfter =
      (await env.TABLE_COMMITTER.getByName(committerName("silver_wiki_events")).commitNow()).rows;
    expect(silverAfter).toBe(silverBefore + 1);
    expect(await kpiWindow(T)).toMatchObject({
      final: true,
      total_edits: 4,
      net_bytes_added: 10 + 700 - 800 + 1,
      large_edits_count: 1,
      revert_like_edits: 1,
      corrected_pending: false,
      late_events: 0,
    });
    const snapshots = await gold().snapshots();
    expect(snapshots.length).toBe(snapshotsBefore + 1);
    expect(snapshots.at(-1)?.operation).toBe("overwrite");
    const live = await gold().liveFiles();
    expect(live.reduce((n, f) => n + f.record_count, 0)).toBe(
      (await env.TABLE_COMMITTER.getByName(committerName(GOLD.name)).status()).rows,
    );

    const second = await (await fetchApp("/api/admin/correction", { method: "POST", headers: auth })).json()
      .then(asAny);
    expect(second.bronze).toMatchObject({ files_read: 0, merged_into_silver: 0 });
    expect(second.gold).toMatchObject({ windows: [], commit: "none" });
    expect((await gold().snapshots()).length).toBe(snapshots.length);
  });
});
