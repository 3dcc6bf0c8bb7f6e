import assert from "node:assert/strict";
import { parseCount, parseDuration, parseShare, parseTimeMs } from "./cli_values.ts";

Deno.test("durations accept ms, s, m, h and d, and bare seconds", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("60s"), 60_000);
  assert.equal(parseDuration("20m"), 1_200_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("2d"), 172_800_000);
  assert.equal(parseDuration("90"), 90_000);
  assert.throws(() => parseDuration("2 weeks"), RangeError);
  assert.throws(() => parseDuration("-5s"), RangeError);
});

Deno.test("shares are numbers between 0 and 1 and counts are whole numbers", () => {
  assert.equal(parseShare("0.02", "late-share"), 0.02);
  assert.throws(() => parseShare("1.5", "bad"), /--bad/);
  assert.throws(() => parseShare("", "bad"), RangeError);
  assert.equal(parseCount("5000", "events"), 5000);
  assert.throws(() => parseCount("5e3", "events"), /--events/);
});

Deno.test("times are ISO-8601 or epoch milliseconds", () => {
  assert.equal(parseTimeMs("2026-01-01T00:00:00Z"), 1_767_225_600_000);
  assert.equal(parseTimeMs("1767225600000"), 1_767_225_600_000);
  assert.equal(parseTimeMs("tomorrow"), null);
  assert.equal(parseTimeMs("2026-13-45T00:00:00Z"), null);
});
