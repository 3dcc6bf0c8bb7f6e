/**
 * End to end, issue 15: a client reads the live local lake through the Iceberg REST catalog and
 * the Worker's S3 endpoint alone (no export). The stream (testdata/synth-1000-seed7.jsonl, made
 * from the recordings) is replayed through the whole local stack; while it runs and once idle,
 * every table is loaded through `/iceberg` and scanned with icebird, whose `s3://` reads are sent
 * path-style to the `s3.endpoint` the catalog's `config` names. Every catalog answer is checked
 * against the REST spec's schemas; the expected ids and counts come from DuckDB over the input.
 */
import path from "node:path";
import { icebergManifests, icebergRead } from "icebird";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, REPO_ROOT, startLocalStack } from "../../scripts/lib/local_stack.ts";
import { type Recomputation, recomputeStream } from "./lib/recompute.ts";
import { createRunDir, exportLake, stageSummary } from "./lib/e2e_steps.ts";
import { readLakeTable } from "./lib/lake_readback.ts";
import { responseErrors } from "../workerd/iceberg_spec.ts";

const STREAM = path.join(REPO_ROOT, "testdata", "synth-1000-seed7.jsonl");
const RUN_DIR = createRunDir("catalog");
const TOKEN = "e2e-catalog-token";
const TABLES = ["bronze_wiki_events", "silver_wiki_events", "quarantine_wiki_events", "gold_wiki_kpis"];
const TABLE_T = "/v1/namespaces/{namespace}/tables/{table}";

interface Loaded {
  location: string;
  metadata: any;
  config: Record<string, string>;
}

/** One table read through the catalog: rows, the manifests' live row count, the snapshot's total. */
interface Scan {
  rows: Record<string, unknown>[];
  manifestRows: number;
  totalRecords: number;
  location: string;
}

let stack: LocalStack | undefined;
let expected: Recomputation;
const s3Requests: string[] = [];

/**
 * One connection per request: `npm run export-lake` blocks this process for many seconds, after
 * which a kept-alive socket the server has closed meanwhile fails the next fetch ("other side closed").
 */
const CLOSE = { connection: "close" } as const;

async function catalog(pathname: string, init: RequestInit = {}): Promise<Response> {
  const headers = { Authorization: `Bearer ${TOKEN}`, ...CLOSE, ...(init.headers as Record<string, string>) };
  return fetch(`${stack!.url}/iceberg${pathname}`, { ...init, headers });
}

/** GET a catalog route, check status and the body against the spec's schema for it. */
async function specGet(template: string, pathname: string): Promise<any> {
  const res = await catalog(pathname);
  const text = await res.text();
  expect(res.status, `${pathname}: ${text.slice(0, 300)}`).toBe(200);
  expect(responseErrors("GET", template, 200, JSON.parse(text)), pathname).toEqual([]);
  return JSON.parse(text);
}

async function loadTable(table: string): Promise<Loaded> {
  const body = await specGet(TABLE_T, `/v1/namespaces/wiki/tables/${table}`);
  return { location: body["metadata-location"], metadata: body.metadata, config: body.config };
}

/**
 * icebird's fetch, pointed at the catalog's `s3.endpoint` path-style: icebird turns
 * `s3://<bucket>/<key>` into `https://<bucket>.s3.amazonaws.com/<key>`; nothing else is fetched.
 */
async function withS3Endpoint<T>(config: Record<string, string>, read: () => Promise<T>): Promise<T> {
  const endpoint = config["s3.endpoint"];
  expect(config["s3.path-style-access"]).toBe("true");
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const bucket = /^([^.]+)\.s3\.amazonaws\.com$/.exec(url.hostname)?.[1];
    if (!bucket) throw new Error(`icebird fetched ${url}, which is not an s3:// object`);
    const target = `${endpoint}/${bucket}${url.pathname}`;
    s3Requests.push(`${init?.method ?? "GET"} ${target}`);
    const headers = new Headers(init?.headers);
    headers.set("connection", CLOSE.connection);
    return realFetch(target, { ...init, headers });
  }) as typeof fetch;
  try {
    return await read();
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** Loads `table` through the catalog (null while it is not created) and scans it via the S3 endpoint. */
async function scan(table: string): Promise<Scan | null> {
  const probe = await catalog(`/v1/namespaces/wiki/tables/${table}`, { method: "HEAD" });
  if (probe.status === 404) return null;
  const loaded = await loadTable(table);
  const current = loaded.metadata["current-snapshot-id"];
  if (current === undefined || current === null || current < 0) return null;
  const snapshot = loaded.metadata.snapshots.find((s: any) => s["snapshot-id"] === current);
  const tableUrl = loaded.metadata.location;
  return withS3Endpoint(loaded.config, async () => {
    const manifests = await icebergManifests(loaded.metadata);
    const manifestRows = manifests.flatMap((m) => m.entries)
      .filter((e: any) => e.status !== 2)
      .reduce((n: number, e: any) => n + Number(e.data_file.record_count), 0);
    const rows = await icebergRead({ tableUrl, metadata: loaded.metadata });
    return {
      rows,
      manifestRows,
      totalRecords: Number(snapshot.summary["total-records"]),
      location: loaded.location,
    };
  });
}

function sorted(values: unknown[]): string[] {
  return values.map(String).sort();
}

describe("engines read the live local lake through the Iceberg REST catalog", () => {
  const duringReplay: { table: string; rows: number; location: string }[] = [];

  beforeAll(async () => {
    expected = await recomputeStream(STREAM);
    stack = await startLocalStack({
      files: [STREAM],
      speed: 30, // 30 min of event time in about a minute: commits land while it plays
      port: 0,
      persistDir: path.join(RUN_DIR, "state"),
      vars: { CATALOG_TOKEN: TOKEN, COMMIT_INTERVAL_SECONDS: "2" },
      crons: false,
      log: (line) => console.log(`[stack] ${line}`),
    });
    const seen = new Set<string>();
    for (;;) {
      const stats = await stack.replayStats() as any;
      if (!(stats?.position?.next < stats?.frames)) break;
      for (const table of TABLES) {
        const got = await scan(table);
        if (!got || seen.has(got.location)) continue;
        seen.add(got.location);
        // a snapshot read mid-stream is whole: its rows are what its manifests and summary say
        expect(got.rows.length, `${table} at ${got.location}`).toBe(got.manifestRows);
        expect(got.rows.length, `${table} at ${got.location}`).toBe(got.totalRecords);
        if (table === "silver_wiki_events") {
          const ids = got.rows.map((r) => String(r.event_id));
          expect(new Set(ids).size).toBe(ids.length);
          const all = new Set(expected.silverIds);
          expect(ids.filter((id) => !all.has(id))).toEqual([]);
        }
        duringReplay.push({ table, rows: got.rows.length, location: got.location });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const perTable = TABLES.map((t) => {
      const reads = duringReplay.filter((r) => r.table === t);
      return `${t} ${reads.length} snapshots (${reads.map((r) => r.rows).join("/")} rows)`;
    });
    stageSummary("catalog", `read through /iceberg during the replay: ${perTable.join("; ")}`);
    await stack.waitIdle({ timeoutMs: 300_000, quietMs: 10_000 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("read committed snapshots while the replay was running", () => {
    expect(duringReplay.some((r) => r.table === "silver_wiki_events")).toBe(true);
  });

  it("config, namespaces and the table list follow the spec; no token is a 401", async () => {
    const config = await specGet("/v1/config", "/v1/config");
    expect(config.endpoints).toContain("GET /v1/{prefix}/namespaces/{namespace}/tables/{table}");
    expect(await specGet("/v1/namespaces", "/v1/namespaces")).toEqual({ namespaces: [["wiki"]] });
    const list = await specGet("/v1/namespaces/{namespace}/tables", "/v1/namespaces/wiki/tables");
    expect(sorted(list.identifiers.map((i: any) => i.name))).toEqual(sorted(TABLES));
    const open = await fetch(`${stack!.url}/iceberg/v1/config`);
    expect(open.status).toBe(401);
    expect(responseErrors("GET", "/v1/config", 401, await open.json())).toEqual([]);
    const head = await catalog("/v1/namespaces/wiki/tables/silver_wiki_events", { method: "HEAD" });
    expect(head.status).toBe(204);
    const commit = await catalog("/v1/namespaces/wiki/tables/silver_wiki_events", {
      method: "POST",
      body: "{}",
    });
    expect(commit.status).toBe(501);
  });

  it("loadTable's metadata is the file at metadata-location, read through the S3 endpoint", async () => {
    for (const table of TABLES) {
      const res = await catalog(`/v1/namespaces/wiki/tables/${table}`);
      const text = await res.text();
      const body = JSON.parse(text);
      expect(body.config["s3.endpoint"]).toBe(stack!.url);
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(body["metadata-location"])!;
      const file = await fetch(`${body.config["s3.endpoint"]}/${m[1]}/${m[2]}`);
      expect(file.status).toBe(200);
      const fileText = await file.text();
      // the catalog splices the file in verbatim: same text, so 64-bit ids are identical too
      expect(text).toContain(`"metadata":${fileText.trim()},`);
    }
  });

  it("every table scanned through the catalog equals its manifests and the DuckDB recomputation", async () => {
    const scans: Record<string, Scan | null> = {};
    for (const t of TABLES) scans[t] = await scan(t); // one at a time: each swaps globalThis.fetch
    for (const table of TABLES) {
      const s = scans[table]!;
      expect(s, table).not.toBeNull();
      expect(s.rows.length, table).toBe(s.manifestRows);
      expect(s.rows.length, table).toBe(s.totalRecords);
    }
    const silverIds = sorted(scans.silver_wiki_events!.rows.map((r) => r.event_id));
    expect(silverIds).toEqual(expected.silverIds);
    expect(scans.bronze_wiki_events!.rows.length).toBe(expected.bronze);
    expect(scans.quarantine_wiki_events!.rows.length).toBe(expected.quarantine);
    expect(s3Requests.length).toBeGreaterThan(0);
    expect(s3Requests.every((r) => r.includes(`${stack!.url}/wikiflare-lake/`))).toBe(true);
    stageSummary(
      "catalog",
      `idle, scanned by icebird through /iceberg: ${
        TABLES.map((t) => `${t} ${scans[t]!.rows.length} rows`).join(", ")
      }; silver ids = DuckDB's ${expected.silverIds.length}; ${s3Requests.length} S3 requests`,
    );
  });

  it("at the same snapshot, `npm run export-lake` shows the rows the catalog served", async () => {
    const lake = path.join(RUN_DIR, "lake");
    exportLake(stack!.persistDir, lake); // the pipeline is idle: no commit between the two reads
    const same: string[] = [];
    for (const table of TABLES) {
      const text = await (await catalog(`/v1/namespaces/wiki/tables/${table}`)).text();
      const served = /"current-snapshot-id"\s*:\s*(-?\d+)/.exec(text)?.[1];
      const exported = await readLakeTable(lake, table);
      expect(exported.snapshotId, table).toBe(served);
      const through = (await scan(table))!;
      expect(through.rows.length, table).toBe(exported.rows.length); // DuckDB over the exported Parquet
      if (table === "silver_wiki_events") {
        expect(sorted(through.rows.map((r) => r.event_id))).toEqual(
          sorted(exported.rows.map((r) => r.event_id)),
        );
      }
      same.push(`${table} snapshot ${served} ${exported.rows.length} rows`);
    }
    stageSummary("catalog", `export-lake shows the same snapshots, rows and silver ids: ${same.join(", ")}`);
  });

  it("ranged GETs and HEAD over real HTTP: exact bytes and the S3 headers", async () => {
    const loaded = await loadTable("silver_wiki_events");
    const snapshot = loaded.metadata.snapshots.at(-1);
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(snapshot["manifest-list"])!;
    const url = `${loaded.config["s3.endpoint"]}/${m[1]}/${m[2]}`;
    const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(whole.length));
    expect(head.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(head.headers.get("last-modified")).toMatch(/GMT$/);
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    const n = whole.length;
    for (
      const [range, from, to] of [["bytes=0-15", 0, 16], [`bytes=${n - 10}-`, n - 10, n], [
        "bytes=-7",
        n - 7,
        n,
      ]] as const
    ) {
      const res = await fetch(url, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${from}-${to - 1}/${n}`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(whole.slice(from, to));
    }
    expect((await fetch(url, { headers: { Range: `bytes=${n}-` } })).status).toBe(416);
    expect((await fetch(url, { method: "PUT", body: "x" })).status).toBe(405);
    const outside = `${loaded.config["s3.endpoint"]}/${m[1]}/warehouse/../.wrangler/x`;
    expect((await fetch(outside)).status).toBe(403);
  });
});
