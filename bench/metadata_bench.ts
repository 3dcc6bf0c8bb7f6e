/**
 * `npm run bench -- metadata [--days 3 --rate 35 --intervals 10,30,60 --max-age 24,6 --retain 10]`
 *
 * Steady-state size of `v<N>.metadata.json` at Wikimedia's rate, measured on the writer's own
 * pure metadata core (planNextMetadata, planExpiration, metadataWithout, serializeTableMetadata):
 * simulates `--days` of one table's streaming commits (one `append` snapshot every commit interval,
 * each adding one data file of `rate × interval` rows, with the writer's real URI shapes), and
 * every 2 h the cron's jobs (a compaction `replace`, a manifest-rewrite `replace`, then snapshot
 * expiry). Sizes are taken over the last simulated day: the peak (just before an expiry) and the
 * size right after an expiry; plus the time to parse + serialise the peak (every commit does both).
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { planNextMetadata, type SnapshotChange } from "../r2/iceberg/commit_plan.ts";
import { metadataWithout, planExpiration } from "../r2/iceberg/expire_plan.ts";
import {
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
} from "../r2/iceberg/table_metadata.ts";
import { SILVER } from "../r2/tables/schemas.ts";
import { appendResults, markdownTable, median } from "./lib/results.ts";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "3" },
    rate: { type: "string", default: "35" },
    intervals: { type: "string", default: "10,30,60" },
    "max-age": { type: "string", default: "24,6" },
    retain: { type: "string", default: "10" },
  },
});
const numbers = (text: string, min: number, max: number) =>
  text.split(",").map((t) => {
    const n = Number(t);
    if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`${t} is not in [${min}, ${max}]`);
    return n;
  });
const [days] = numbers(values.days!, 1, 14);
const [rate] = numbers(values.rate!, 1, 10_000);
const [retainLast] = numbers(values.retain!, 1, 100_000);
const intervals = numbers(values.intervals!, 1, 3600);
const maxAges = numbers(values["max-age"]!, 0, 24 * 14);

const HOUR = 3_600_000;
const MAINTENANCE_EVERY = 2 * HOUR;
const LOCATION = "s3://wikiflare-lake/warehouse/wiki/silver";
const T0 = Date.UTC(2026, 11, 1);

/** Deterministic 63-bit ids and 32-hex commit ids (the committer's stableId shape). */
let counter = 0n;
const nextId = () =>
  (counter = (counter * 6364136223846793005n + 1442695040888963407n) & 0x7fff_ffff_ffff_ffffn) || 1n;
const hex32 = (id: bigint) => id.toString(16).padStart(16, "0").repeat(2);

interface Sizes {
  peak: number;
  afterExpiry: number;
  snapshotsPeak: number;
  snapshotsAfter: number;
  roundTripMs: number;
}

function simulate(intervalS: number, maxAgeH: number): Sizes {
  let metadata: TableMetadata = newTableMetadata(SILVER, {
    location: LOCATION,
    tableUuid: "2f6c1c3e-8d8e-4c1e-9a55-0b1c2d3e4f50",
    nowMs: T0,
  });
  let version = 1;
  const uri = () => `${LOCATION}/metadata/v${version}.metadata.json`;
  const rowsPerCommit = Math.round(rate * intervalS);
  const bytesPerCommit = rowsPerCommit * 260; // ≈ zstd Parquet bytes per silver row
  const commit = (nowMs: number, operation: SnapshotChange["operation"], commitId: string) => {
    const snapshotId = nextId();
    const change: SnapshotChange = {
      snapshotId,
      commitId,
      nowMs,
      operation,
      manifestListUri: `${LOCATION}/metadata/snap-${snapshotId}-1-${commitId}.avro`,
      added: operation === "append"
        ? { files: 1, records: rowsPerCommit, bytes: bytesPerCommit }
        : { files: 0, records: 0, bytes: 0 },
      removed: { files: 0, records: 0, bytes: 0 },
    };
    metadata = planNextMetadata(metadata, uri(), change);
    version++;
  };
  const end = T0 + days * 24 * HOUR;
  const measureFrom = end - 24 * HOUR;
  let nextMaintenance = T0 + MAINTENANCE_EVERY;
  const sizes: Sizes = { peak: 0, afterExpiry: 0, snapshotsPeak: 0, snapshotsAfter: 0, roundTripMs: 0 };
  let peakText = "";
  for (let now = T0 + intervalS * 1000; now <= end; now += intervalS * 1000) {
    commit(now, "append", hex32(nextId()));
    if (now < nextMaintenance) continue;
    nextMaintenance += MAINTENANCE_EVERY;
    commit(now, "replace", `compact-${now}`);
    commit(now, "replace", `rewrite-manifests-${now}`);
    if (now >= measureFrom) {
      const text = serializeTableMetadata(metadata);
      if (text.length > sizes.peak) {
        sizes.peak = text.length;
        sizes.snapshotsPeak = metadata.snapshots.length;
        peakText = text;
      }
    }
    const { expired } = planExpiration(metadata, { nowMs: now, maxAgeMs: maxAgeH * HOUR, retainLast });
    if (expired.length) {
      metadata = metadataWithout(metadata, uri(), new Set(expired.map((s) => s["snapshot-id"])), now);
      version++;
    }
    if (now >= measureFrom) {
      const after = serializeTableMetadata(metadata).length;
      if (after > sizes.afterExpiry) {
        sizes.afterExpiry = after;
        sizes.snapshotsAfter = metadata.snapshots.length;
      }
    }
  }
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    serializeTableMetadata(parseTableMetadata(peakText));
    runs.push(performance.now() - started);
  }
  sizes.roundTripMs = median(runs);
  return sizes;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 2);
const rows: string[][] = [];
const loadBefore = loadavg()[0]!;
for (const intervalS of intervals) {
  for (const maxAgeH of maxAges) {
    const s = simulate(intervalS, maxAgeH);
    rows.push([
      `${intervalS} s`,
      `${maxAgeH} h`,
      String(retainLast),
      String(s.snapshotsPeak),
      mb(s.peak),
      String(s.snapshotsAfter),
      mb(s.afterExpiry),
      s.roundTripMs.toFixed(1),
    ]);
  }
}
appendResults(
  "metadata",
  markdownTable(
    [
      "commit interval",
      "SNAPSHOT_MAX_AGE_HOURS",
      "SNAPSHOT_RETAIN_LAST",
      "snapshots at peak",
      "peak MB",
      "snapshots after expiry",
      "after expiry MB",
      "parse+serialise of peak (ms)",
    ],
    rows,
  ),
  [
    `${days} simulated days at ${rate} events/s on one table (silver), measured over the last day;` +
    " one append per commit interval, every 2 h a compaction and a manifest-rewrite replace snapshot, then expiry.",
    "Sizes are the writer's own serialised metadata (serializeTableMetadata); peak = just before an expiry run.",
    "Pure computation (no R2); the machine is shared by other helpers right now, so the ms column is noisy.",
    `Load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${
      loadavg()[0]!.toFixed(2)
    } on ${cpus().length} cores.`,
  ],
);
