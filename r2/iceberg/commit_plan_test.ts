import { describe, it } from "vitest";
import { SILVER } from "../tables/schemas.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import {
  COMMIT_ID_KEY,
  findCommit,
  METADATA_LOG_MAX,
  planDeletes,
  planNextMetadata,
  type SnapshotChange,
  snapshotIdFrom,
  totalsOf,
} from "./commit_plan.ts";
import { describeDataFile } from "./data_file.ts";
import type { ManifestEntry } from "./manifest.ts";
import type { ManifestFile } from "./manifest_list.ts";
import { newTableMetadata } from "./table_metadata.ts";

const LOCATION = "s3://lake/wh/wiki/silver_wiki_events";
const fresh = () =>
  newTableMetadata(SILVER, {
    location: LOCATION,
    tableUuid: "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10",
    nowMs: 1000,
  });
const change = (over: Partial<SnapshotChange> = {}): SnapshotChange => ({
  snapshotId: 11n,
  commitId: "c1",
  nowMs: 2000,
  operation: "append",
  manifestListUri: `${LOCATION}/metadata/snap-11-1-c1.avro`,
  added: { files: 2, records: 30, bytes: 500 },
  removed: { files: 0, records: 0, bytes: 0 },
  ...over,
});
const file = (name: string, rows = 3) =>
  describeDataFile(SILVER, sampleRows(SILVER, rows, 0, name), {
    path: `${LOCATION}/data/${name}`,
    key: name,
    sizeBytes: 10 * rows,
  });

describe("planNextMetadata", () => {
  it("adds the first snapshot: sequence 1, no parent, refs.main, logs, string summary", ({ expect }) => {
    const next = planNextMetadata(fresh(), `${LOCATION}/metadata/v1.metadata.json`, change());
    expect(next["last-sequence-number"]).toBe(1);
    expect(next["current-snapshot-id"]).toBe(11n);
    expect(next["last-updated-ms"]).toBe(2000);
    expect(next.snapshots).toEqual([{
      "snapshot-id": 11n,
      "sequence-number": 1,
      "timestamp-ms": 2000,
      "manifest-list": `${LOCATION}/metadata/snap-11-1-c1.avro`,
      summary: {
        operation: "append",
        "added-data-files": "2",
        "added-records": "30",
        "added-files-size": "500",
        "total-data-files": "2",
        "total-records": "30",
        "total-files-size": "500",
        "total-delete-files": "0",
        "total-position-deletes": "0",
        "total-equality-deletes": "0",
        [COMMIT_ID_KEY]: "c1",
      },
      "schema-id": 0,
    }]);
    expect(next.refs).toEqual({ main: { "snapshot-id": 11n, type: "branch" } });
    expect(next["snapshot-log"]).toEqual([{ "snapshot-id": 11n, "timestamp-ms": 2000 }]);
    expect(next["metadata-log"]).toEqual([{
      "metadata-file": `${LOCATION}/metadata/v1.metadata.json`,
      "timestamp-ms": 1000,
    }]);
    expect(findCommit(next, "c1")?.["snapshot-id"]).toBe(11n);
  });

  it("chains a second snapshot to its parent and carries the totals forward", ({ expect }) => {
    const first = planNextMetadata(fresh(), "v1", change());
    const second = planNextMetadata(
      first,
      "v2",
      change({
        snapshotId: 12n,
        commitId: "c2",
        nowMs: 1500, // a clock behind the table's: timestamps never go back
        operation: "overwrite",
        added: { files: 1, records: 5, bytes: 70 },
        removed: { files: 1, records: 20, bytes: 300 },
      }),
    );
    const snapshot = second.snapshots[1];
    expect(snapshot["parent-snapshot-id"]).toBe(11n);
    expect(snapshot["sequence-number"]).toBe(2);
    expect(snapshot["timestamp-ms"]).toBe(2000);
    expect(snapshot.summary).toMatchObject({
      operation: "overwrite",
      "deleted-data-files": "1",
      "deleted-records": "20",
      "removed-files-size": "300",
      "total-data-files": "2",
      "total-records": "15",
      "total-files-size": "270",
    });
    expect(second["metadata-log"].map((e) => e["metadata-file"])).toEqual(["v1", "v2"]);
  });

  it(`keeps the newest ${METADATA_LOG_MAX} metadata-log entries and refuses a reused snapshot id`, ({ expect }) => {
    let metadata = fresh();
    for (let i = 0; i < METADATA_LOG_MAX + 5; i++) {
      metadata = planNextMetadata(
        metadata,
        `v${i + 1}`,
        change({ snapshotId: BigInt(i + 1), commitId: `c${i}` }),
      );
    }
    expect(metadata["metadata-log"]).toHaveLength(METADATA_LOG_MAX);
    expect(metadata["metadata-log"].at(-1)!["metadata-file"]).toBe(`v${METADATA_LOG_MAX + 5}`);
    expect(metadata.snapshots).toHaveLength(METADATA_LOG_MAX + 5);
    expect(() => planNextMetadata(metadata, "v", change({ snapshotId: 3n }))).toThrow(
      "Snapshot id 3 already exists",
    );
  });
});

describe("planDeletes", () => {
  const manifest = (path: string, seq: number, snapshot: bigint): ManifestFile => ({
    manifest_path: path,
    manifest_length: 1,
    partition_spec_id: 0,
    content: 0,
    sequence_number: seq,
    min_sequence_number: seq,
    added_snapshot_id: snapshot,
    added_files_count: 2,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: 6,
    existing_rows_count: 0,
    deleted_rows_count: 0,
    partitions: null,
  });
  const added = (f: ReturnType<typeof file>): ManifestEntry => ({
    status: 1,
    snapshot_id: null,
    sequence_number: null,
    file_sequence_number: null,
    file: f,
  });
  const [a, b, c, old] = [file("a"), file("b"), file("c"), file("old")];
  const loaded = [
    {
      file: manifest("m1", 1, 101n),
      entries: [added(a), added(b), {
        status: 2 as const,
        snapshot_id: 99n,
        sequence_number: 1,
        file_sequence_number: 1,
        file: old,
      }],
    },
    { file: manifest("m2", 2, 102n), entries: [added(c)] },
  ];

  it("rewrites only manifests holding deleted files, with inherited numbers made explicit", ({ expect }) => {
    const plan = planDeletes(loaded, [b.path], 200n);
    expect(plan.kept.map((m) => m.manifest_path)).toEqual(["m2"]);
    expect(plan.removed).toEqual([b]);
    expect(plan.rewritten).toEqual([[
      { status: 0, snapshot_id: 101n, sequence_number: 1, file_sequence_number: 1, file: a },
      { status: 2, snapshot_id: 200n, sequence_number: 1, file_sequence_number: 1, file: b },
    ]]);
    expect(totalsOf(plan.removed)).toEqual({ files: 1, records: 3, bytes: 30 });
  });

  it("refuses paths that are not live, including ones deleted earlier", ({ expect }) => {
    expect(() => planDeletes(loaded, [old.path, "s3://x"], 200n))
      .toThrow(`Cannot delete files that are not live in the table: ${old.path}, s3://x`);
  });
});

describe("snapshotIdFrom", () => {
  it("makes a positive 63-bit id from 8 random bytes", ({ expect }) => {
    expect(snapshotIdFrom(new Uint8Array(8).fill(0xff))).toBe(2n ** 63n - 1n);
    expect(snapshotIdFrom(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 5]))).toBe(5n);
    expect(snapshotIdFrom(new Uint8Array(8))).toBe(1n);
    expect(() => snapshotIdFrom(new Uint8Array(4))).toThrow("Need 8 random bytes for a snapshot id, got 4");
  });
});
