/**
 * Bounded dedup and bookkeeping state (issue 11, item 5) on real Durable Object SQLite storage:
 * each store is filled with rows shaped like Wikimedia's (ids and strings taken from the
 * synthetic recording testdata/synth-1000-seed7.jsonl, whose field lengths match the real
 * recordings'), its size read from `ctx.storage.sql.databaseSize` (SQLite pages in use), then
 * pruned by its owner's own method past its horizon: the rows are gone, rows inside the horizon
 * stay, and filling it again with as many new rows does not grow the database (freed pages are
 * reused), so the store stays bounded by what one horizon holds. The measured bytes per row are
 * printed (`bounded-state:` lines) and quoted in the README's Maintenance section.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import fixture from "../../testdata/synth-1000-seed7.jsonl?raw";
import { SeenIdentities } from "../../durable-objects/stream_ingestor/ingestor_tables_binding.ts";
import { TrackerTables } from "../../durable-objects/watermark/tracker_tables_binding.ts";
import type { JudgedInput } from "../../durable-objects/watermark/admission.ts";
import { claimHorizonMs } from "../../durable-objects/table_committer/maintenance_core.ts";
import { windowName } from "../../durable-objects/gold_window/kpi.ts";
import type { SilverRow } from "../../r2/tables/rows.ts";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { initParquet } from "../../r2/parquet/parquet_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { SILVER } from "../../r2/tables/schemas.ts";
import type { TableCommitter } from "../../durable-objects/table_committer/table_committer_object.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { committerName, type StageInput } from "../../durable-objects/table_committer/committer_core.ts";
import type { DataFile } from "../../r2/iceberg/data_file.ts";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Events per queue message at Wikimedia's mean rate (≈ 35 events/s, one message a second). */
const PER_MESSAGE = 35;

interface Sample {
  wiki: string;
  server_name: string;
  title: string;
  user: string;
  comment: string | null;
  bot: boolean;
  type: string;
  namespace: number;
  bytes: number;
}

const SAMPLES: Sample[] = fixture.split("\n").flatMap((line) => {
  try {
    const e = JSON.parse(line);
    if (typeof e?.meta?.id !== "string") return [];
    return [{
      wiki: String(e.wiki),
      server_name: String(e.server_name),
      title: String(e.title),
      user: String(e.user),
      comment: typeof e.comment === "string" ? e.comment : null,
      bot: e.bot === true,
      type: String(e.type),
      namespace: Number(e.namespace ?? 0),
      bytes: Number(e.length?.new ?? 0) - Number(e.length?.old ?? 0),
    }];
  } catch {
    return [];
  }
});

/** A 64-hex identity like bronzeIdentity's SHA-256 (random: only its shape matters here). */
function hex64(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Owners (queue message batch ids: UUIDs) with `PER_MESSAGE` keys each. */
function claimRequests(n: number, key: () => string) {
  const requests = [];
  for (let i = 0; i < n; i += PER_MESSAGE) {
    requests.push({
      owner: crypto.randomUUID(),
      keys: Array.from({ length: Math.min(PER_MESSAGE, n - i) }, key),
    });
  }
  return requests;
}

function silverRow(i: number, time: number): SilverRow {
  const s = SAMPLES[i % SAMPLES.length]!;
  return {
    event_id: crypto.randomUUID(),
    event_time: time,
    wiki: s.wiki,
    server_name: s.server_name,
    page_title: s.title,
    namespace: s.namespace,
    change_type: s.type,
    user_name: s.user,
    is_bot: s.bot,
    is_minor: false,
    bytes_diff: s.bytes,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: s.bot ? "BOT" : "REGISTERED",
    comment: s.comment,
    revision_new: 1_234_567_890 + i,
    ingestion_time: time + 1_000,
  };
}

function goldInput(row: SilverRow): JudgedInput {
  const { event_id, user_name, wiki, page_title, is_bot, bytes_diff } = row;
  return { event_id, user_name, wiki, page_title, is_bot, bytes_diff, late: false };
}

/** The object's SQLite size (pages in use × page size). */
function sizeOf(stub: DurableObjectStub): Promise<number> {
  return runInDurableObject(stub, (_instance: unknown, state) => state.storage.sql.databaseSize);
}

function count(sql: SqlStorage, table: string): number {
  return sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
}

/** Claims in every day table of a committer (the tables claim_buckets lists). */
function claimRows(sql: SqlStorage): number {
  const tables = sql.exec<{ name: string }>("SELECT name FROM claim_buckets").toArray();
  return tables.reduce((n, t) => n + count(sql, t.name), 0);
}

function report(store: string, rows: number, bytes: number, unit = "row"): number {
  const per = bytes / rows;
  console.log(`bounded-state: ${store}: ${rows} ${unit}s took ${bytes} B = ${per.toFixed(1)} B per ${unit}`);
  return per;
}

const N = 20_000;

describe("bounded dedup and bookkeeping state on real Durable Object storage", () => {
  for (
    const { table, key } of [
      { table: "silver_wiki_events", key: () => crypto.randomUUID() },
      { table: "bronze_wiki_events", key: hex64 },
    ]
  ) {
    it(`${table} claims: pruned past the claim horizon, the storage reused by the next ones`, async () => {
      const stub = env.TABLE_COMMITTER.getByName(`bounded-state-${table}`);
      const empty = await sizeOf(stub);
      const horizon = claimHorizonMs(24);
      await stub.claim(table, claimRequests(N, key));
      const filled = await sizeOf(stub);
      report(`${table} committer claims`, N, filled - empty, "key");
      // Claims go by UTC day of claim time: today's are kept until the whole day is past the horizon.
      const now = Date.now();
      const dayEnd = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
      expect(await stub.pruneClaims(table, horizon, now)).toEqual({ claims: 0, stages: 0 });
      expect(await stub.pruneClaims(table, horizon, dayEnd + horizon - 1)).toEqual({ claims: 0, stages: 0 });
      expect((await stub.pruneClaims(table, horizon, dayEnd + horizon)).claims).toBe(N);
      const left = await runInDurableObject(stub, (_i: unknown, state) => claimRows(state.storage.sql));
      expect(left).toBe(0);
      await stub.claim(table, claimRequests(N, key));
      expect(await sizeOf(stub)).toBeLessThanOrEqual(filled * 1.05);
      await stub.reset();
    });
  }

  it("committer stages: a committed stage keeps no file descriptors, only its small row and owners", async () => {
    initParquet(wasm);
    const stub = env.TABLE_COMMITTER.getByName(committerName(SILVER.name));
    const store = new R2BlobStore(env.LAKE);
    const iceberg = new IcebergTable(store, {
      spec: SILVER,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const stages: StageInput<DataFile>[] = [];
    for (let i = 0; i < 100; i++) {
      const rows = Array.from(
        { length: PER_MESSAGE },
        (_, k) => silverRow(i * PER_MESSAGE + k, Date.UTC(2030, 0, 3)),
      );
      const written = await writeDataFiles(store, iceberg, SILVER, rows, `bounded-${i}`);
      stages.push({
        table: SILVER.name,
        stageId: `bounded-${i}`,
        owners: [crypto.randomUUID()],
        files: written.map((w) => w.file),
        rows: rows.length,
        duplicates: 0,
      });
    }
    const empty = await sizeOf(stub);
    // Staged and measured in one turn of the object, so its commit alarm cannot run in between.
    const pending = await runInDurableObject(stub, async (committer: TableCommitter, state) => {
      for (const input of stages) expect(await committer.stage(input)).toEqual({ ok: true });
      return state.storage.sql.databaseSize;
    });
    report("committer pending stages (a silver data file each)", stages.length, pending - empty, "stage");
    await stub.commitNow();
    expect((await stub.status()).pending_stages).toBe(0);
    const committed = await sizeOf(stub);
    report("committer committed stages (row + owner)", stages.length, committed - empty, "stage");
    await runInDurableObject(stub, (_i: unknown, state) => {
      expect(count(state.storage.sql, "stage_files")).toBe(0);
      expect(count(state.storage.sql, "stages")).toBe(stages.length);
    });
    expect(committed).toBeLessThan(pending);
    const pruned = await stub.pruneClaims(SILVER.name, claimHorizonMs(24), Date.now() + 10 * DAY_MS);
    expect(pruned.stages).toBe(stages.length);
  });

  it("ingestor seen identities: pruned past 6 h, the storage reused", async () => {
    const stub = env.STREAM_INGESTOR.getByName("bounded-state-ingestor");
    const t0 = Date.UTC(2030, 0, 1);
    const fill = (at: number) =>
      runInDurableObject(stub, (_i: unknown, state) => {
        const seen = new SeenIdentities(state.storage.sql);
        state.storage.transactionSync(() => {
          for (let i = 0; i < N; i++) seen.addAll([hex64()], at + i);
        });
      });
    const empty = await sizeOf(stub);
    await fill(t0);
    const filled = await sizeOf(stub);
    report("ingestor seen identities", N, filled - empty, "identity");
    await runInDurableObject(stub, (_i: unknown, state) => {
      const seen = new SeenIdentities(state.storage.sql);
      seen.prune(t0 + N / 2); // what the ingestor does with now − 6 h
      expect(count(state.storage.sql, "seen")).toBe(N / 2);
      seen.prune(t0 + N);
      expect(count(state.storage.sql, "seen")).toBe(0);
    });
    await fill(t0 + 6 * HOUR_MS);
    expect(await sizeOf(stub)).toBeLessThanOrEqual(filled * 1.05);
  });

  it("tracker admission log: completed admissions pruned after 7 days, pending ones kept", async () => {
    const stub = env.WATERMARK.getByName("bounded-state-tracker");
    const messages = Math.round(N / PER_MESSAGE);
    const t0 = Date.now();
    const admit = (at: number, owners: string[]) =>
      runInDurableObject(stub, (_i: unknown, state) => {
        const tables = new TrackerTables(state.storage);
        owners.forEach((owner, m) => {
          const rows = Array.from({ length: PER_MESSAGE }, (_, i) => silverRow(m * PER_MESSAGE + i, at));
          tables.recordAdmission(owner, {
            maxEventTime: at,
            windows: [{ start: at - (at % 300_000), inputs: rows.map(goldInput), late: 0 }],
          }, at);
        });
        tables.completeAdmissions(owners, []);
      });
    const empty = await sizeOf(stub);
    const owners = Array.from({ length: messages }, () => crypto.randomUUID());
    await admit(t0, owners);
    const filled = await sizeOf(stub);
    report("tracker admission log (completed)", messages, filled - empty, "message");
    const waiting = crypto.randomUUID();
    await runInDurableObject(stub, (_i: unknown, state) => {
      const tables = new TrackerTables(state.storage);
      tables.recordAdmission(waiting, { maxEventTime: t0, windows: [] }, t0); // never fed
      tables.pruneAdmissions(t0 + 7 * DAY_MS - 1);
      expect(count(state.storage.sql, "admissions")).toBe(messages + 1);
      tables.pruneAdmissions(t0 + 7 * DAY_MS + 1);
      expect(state.storage.sql.exec("SELECT owner FROM admissions").toArray()).toEqual([{ owner: waiting }]);
      expect(tables.hasAdmission(owners[0]!)).toBe(false);
    });
    await admit(t0 + 7 * DAY_MS, Array.from({ length: messages }, () => crypto.randomUUID()));
    expect(await sizeOf(stub)).toBeLessThanOrEqual(filled * 1.05);
  });

  it("GoldWindow per-event rows: a retired window keeps only its aggregate", async () => {
    // One 5-minute window at Wikimedia's mean rate holds ≈ 10,500 events.
    const start = Date.UTC(2030, 0, 1, 12, 0);
    const stub = env.GOLD_WINDOW.getByName(windowName(start));
    const rows = Array.from({ length: 10_500 }, (_, i) => goldInput(silverRow(i, start + i)));
    const empty = await sizeOf(stub);
    await stub.add(start, rows);
    const filled = await sizeOf(stub);
    report("GoldWindow per-event rows", rows.length, filled - empty, "event");
    await stub.finalize(start);
    const retired = await stub.retire(start, start + 10 * DAY_MS, claimHorizonMs(24));
    expect(retired).toEqual({ retired: true, rows_deleted: rows.length });
    await runInDurableObject(stub, (_i: unknown, state) => {
      expect(count(state.storage.sql, "events")).toBe(0);
      const meta = state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'retired'").one();
      console.log(`bounded-state: retired GoldWindow aggregate: ${meta.v.length} B of JSON`);
    });
    console.log(`bounded-state: retired GoldWindow object: ${await sizeOf(stub)} B of SQLite in all`);
  });

  it("EventsRollup: bytes per silver row of a day object (measured; see the README for its retention)", async () => {
    const stub = env.EVENTS_ROLLUP.getByName("2030-01-02");
    const t0 = Date.UTC(2030, 0, 2);
    const empty = await sizeOf(stub);
    for (let m = 0; m < N / PER_MESSAGE; m++) {
      const rows = Array.from(
        { length: PER_MESSAGE },
        (_, i) => silverRow(m * PER_MESSAGE + i, t0 + (m * PER_MESSAGE + i) * 2_880),
      );
      expect((await stub.add(crypto.randomUUID(), rows)).added).toBe(PER_MESSAGE);
    }
    const filled = await sizeOf(stub);
    const rows = Math.floor(N / PER_MESSAGE) * PER_MESSAGE;
    report("EventsRollup (rows, covering index, aggregates, owners)", rows, filled - empty, "event");
    await stub.reset();
  });
});
