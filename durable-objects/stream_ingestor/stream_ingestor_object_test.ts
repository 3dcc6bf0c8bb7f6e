import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { BRONZE, QUARANTINE, SILVER, type TableSpec } from "../../r2/tables/schemas.ts";
import { auditTable } from "../../r2/testing/table_audit.ts";
import { committerName } from "../table_committer/committer_core.ts";
import { recomputeFixture } from "../../test/workerd/duckdb_oracle.ts";
import synth from "../../testdata/synth-600-seed11.jsonl?raw";
import manifest from "../../testdata/synth-600-seed11.jsonl.manifest.json";

/** Events in the three recordings served by the replay server of test/workerd/global_setup.ts. */
const RECORDED_EVENTS = 384 + 144 + 50;

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

describe("StreamIngestor against the local replay server", () => {
  it("reads every recorded event exactly once across connection cuts and persists the resume id", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-recordings");
    await ingestor.start({ url: inject("replayStreamUrl") });
    const status = await waitFor(() => ingestor.status(), (s) => s.received >= RECORDED_EVENTS);
    // Let any further (wrong) reads show up before asserting exact counts.
    await new Promise((r) => setTimeout(r, 1_500));
    const settled = await ingestor.stop();
    expect(settled.received).toBe(RECORDED_EVENTS);
    expect(settled.canary).toBe(0);
    // The server cuts every 100 events, so the ingestor had to resume several times.
    expect(settled.connections).toBeGreaterThanOrEqual(Math.floor(RECORDED_EVENTS / 100));
    // The .sse recording is served last: the resume id is its last frame's Wikimedia id.
    expect(JSON.parse(settled.last_event_id ?? "null")).toEqual([
      { topic: "eqiad.mediawiki.recentchange", partition: 0, timestamp: expect.any(Number) },
      { topic: "codfw.mediawiki.recentchange", partition: 0, offset: -1 },
    ]);
    expect(settled.messages_sent).toBeGreaterThan(0);
    expect(status.last_error).toBeNull();
  });

  it("reports a clear error naming the URL when the stream cannot be reached", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-unreachable");
    await ingestor.start({ url: "http://127.0.0.1:9/v2/stream/recentchange" });
    const status = await waitFor(() => ingestor.status(), (s) => s.last_error !== null, 15_000);
    await ingestor.stop();
    expect(status.connected).toBe(false);
    expect(status.last_error).toContain("http://127.0.0.1:9/v2/stream/recentchange");
    expect(status.received).toBe(0);
  });

  it("stops reading when stopped and keeps its counters", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-stop");
    await ingestor.start({ url: inject("replayStreamUrl") });
    await waitFor(() => ingestor.status(), (s) => s.received > 0);
    const stopped = await ingestor.stop();
    expect(stopped.running).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    const later = await ingestor.status();
    expect(later.received).toBe(stopped.received);
    expect(later.connected).toBe(false);
  });
});

/**
 * Rows of a table's current snapshot after a commit, read back by hyparquet (shares no code with
 * the writer), with the audit's problems (metadata chain, files, row counts, a row in two files).
 */
async function readTable(spec: TableSpec): Promise<{ rows: Record<string, unknown>[]; problems: string[] }> {
  await env.TABLE_COMMITTER.getByName(committerName(spec.name)).commitNow();
  const store = new R2BlobStore(env.LAKE);
  const table = new IcebergTable(store, { spec, bucket: env.LAKE_BUCKET_NAME, warehouse: env.WAREHOUSE });
  const rows: Record<string, unknown>[] = [];
  const { problems } = await auditTable(store, table, (row) => String(rows.push(row)));
  return { rows, problems };
}

/**
 * What the synth fixture should become: the bronze positions by hand from its lines (the replay
 * server's ids), and everything else from the independent DuckDB recomputation (DESIGN §3 rules
 * as SQL, no product code).
 */
async function expectedFromFixture() {
  const positions: string[] = [];
  synth.split("\n").filter((line) => line !== "").forEach((line, index) => {
    let event: any;
    try {
      event = JSON.parse(line);
    } catch {
      event = undefined;
    }
    const isObject = typeof event === "object" && event !== null && !Array.isArray(event);
    if (isObject && event.meta?.domain === "canary") return;
    // The replay server's ids: the event's own offset, or the line number for lines that are not objects.
    positions.push(isObject ? `${event.meta.topic}/${event.meta.offset}` : `replay.invalid/${index}`);
  });
  const recomputed = await recomputeFixture("testdata/synth-600-seed11.jsonl");
  return { positions: positions.sort(), recomputed, validIds: recomputed.silverIds };
}

describe("StreamIngestor and the queue consumer against connections cut at random byte offsets", () => {
  it(
    "resumes every cut by Last-Event-ID and puts each source event into bronze once, each valid one into silver once, in valid tables",
    async () => {
      const url = inject("replayRandomCutUrl");
      const { first, last } = manifest.offsets;
      const fromFixture = (r: Record<string, unknown>) =>
        r.topic === "replay.invalid" || (r.topic === manifest.offsets.topic && Number(r.offset) >= first &&
          Number(r.offset) <= last);
      const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-random-cuts");
      await ingestor.start({ url });
      await waitFor(() => ingestor.status(), (s) => s.received >= manifest.lines, 90_000);
      const expected = await expectedFromFixture();
      await waitFor(
        async () =>
          (await readTable(SILVER)).rows.filter((r) => expected.validIds.includes(String(r.event_id))).length,
        (count) => count >= expected.validIds.length,
        60_000,
      );
      // Let any further (wrong) reads and deliveries show up before asserting exact results.
      await new Promise((r) => setTimeout(r, 2_000));
      const status = await ingestor.stop();
      const replay = await (await fetch(new URL("/stats", url))).json<{
        connections: { cut: number };
        eventsServed: number;
        opened: { lastEventId: string | null; startIndex: number }[];
      }>();

      const want = expected.recomputed;
      expect(status.received).toBe(want.lines);
      expect(status.canary).toBe(want.canary);
      expect(status.last_error).toBeNull();
      expect(status.connections).toBeGreaterThanOrEqual(10);
      expect(replay.connections.cut).toBeGreaterThanOrEqual(status.connections - 1);
      // The resume, seen from the server: every reconnection sent a Last-Event-ID and was served
      // from where the last one stopped, so each event was served about once (a cut re-serves at
      // most the one frame it cut), never the file again from its first line.
      const reopened = replay.opened.slice(1);
      expect(reopened.length).toBeGreaterThanOrEqual(10);
      expect(reopened.filter((o) => o.lastEventId === null || o.startIndex === 0)).toEqual([]);
      expect(replay.eventsServed).toBeLessThanOrEqual(want.lines + replay.opened.length);

      const tables = { bronze: await readTable(BRONZE), silver: await readTable(SILVER) };
      const quarantineTable = await readTable(QUARANTINE);
      expect([tables.bronze.problems, tables.silver.problems, quarantineTable.problems]).toEqual([
        [],
        [],
        [],
      ]);
      const bronze = tables.bronze.rows.filter(fromFixture);
      const keys = new Set(bronze.map((r) => String(r.event_key)));
      const silver = tables.silver.rows.filter((r) => keys.has(String(r.event_id)));
      const quarantine = quarantineTable.rows.filter((r) => keys.has(String(r.event_key)));
      expect(bronze.map((r) => `${r.topic}/${r.offset}`).sort()).toEqual(expected.positions);
      expect(bronze.length).toBe(want.bronze);
      expect(silver.map((r) => String(r.event_id)).sort()).toEqual([...want.silverIds].sort());
      expect(quarantine.length).toBe(want.quarantine);
      expect(bronze.length - silver.length - quarantine.length).toBe(want.duplicate);
      // The recomputation agrees with the fixture's manifest (written when the fixture was made).
      expect([want.silver, want.quarantine, want.duplicate]).toEqual([
        manifest.valid,
        manifest.bad.total,
        manifest.duplicates,
      ]);
    },
    180_000,
  );
});
