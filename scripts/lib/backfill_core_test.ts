import assert from "node:assert/strict";
import { parseBackfillOptions, progressLine } from "./backfill_core.ts";
import type { HealthReport } from "./local_stack_types.ts";

Deno.test("parseBackfillOptions takes --since or --file, the token from the environment, and defaults", () => {
  const since = parseBackfillOptions({ since: "2026-01-01T00:00:00Z" }, "tok");
  assert.deepEqual(since, {
    source: { kind: "since", since: "2026-01-01T00:00:00Z" },
    api: "http://127.0.0.1:8787",
    token: "tok",
    url: null,
    quietMs: 15_000,
    timeoutMs: 3_600_000,
  });
  const file = parseBackfillOptions({
    file: "x.jsonl",
    api: "http://h:1/",
    token: "t2",
    "quiet-seconds": "3",
  }, undefined);
  assert.deepEqual([file.source, file.api, file.token, file.quietMs], [
    { kind: "file", path: "x.jsonl" },
    "http://h:1",
    "t2",
    3000,
  ]);
});

Deno.test("parseBackfillOptions explains each mistake", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /exactly one of --since/],
    [{ since: "2026-01-01T00:00:00Z", file: "a" }, /exactly one of --since/],
    [{ since: "yesterday" }, /ISO-8601 time with a zone/],
    [{ since: "2026-13-45T00:00:00Z" }, /not a valid time/],
    [{ since: "2026-01-01T00:00:00Z", api: "ftp://x" }, /http\(s\) URL/],
    [{ since: "2026-01-01T00:00:00Z", "quiet-seconds": "-1" }, /positive number/],
  ];
  for (const [values, message] of cases) assert.throws(() => parseBackfillOptions(values, "t"), message);
  assert.throws(() => parseBackfillOptions({ since: "2026-01-01T00:00:00Z" }, undefined), /admin token/);
});

Deno.test("progressLine reports what changed since the backfill began", () => {
  const h = (received: number, silver: number, duplicate: number, rereads: number): HealthReport => ({
    status: "ok",
    watermark: "2026-01-01T00:50:00.000Z",
    events: { received, canary: 0, bronze: received, silver, quarantine: 0, duplicate },
    ingestor: { rereads, lag_seconds: 3 },
  });
  assert.equal(
    progressLine(h(100, 90, 10, 0), h(150, 130, 20, 400), 12_000),
    "backfill 12 s: received +50 (already seen: 400), bronze +50, silver +40, duplicate +10, quarantine +0, " +
      "lag 3 s, watermark 2026-01-01T00:50:00.000Z",
  );
});
