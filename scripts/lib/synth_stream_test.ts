import assert from "node:assert/strict";
import { DEFAULT_FILES, loadReplayFrames } from "./recordings.ts";
import { auditLines } from "./stream_audit.ts";
import { BAD_KINDS } from "./synth_bad.ts";
import { loadTemplates } from "./synth_events.ts";
import { computeCounts, generateSynthLines, type SynthLine, type SynthOptions } from "./synth_stream.ts";

const templates = loadTemplates(await loadReplayFrames(DEFAULT_FILES));
const recordedPairs = new Set(templates.map((t) => {
  const event = JSON.parse(t.json);
  return `${event.wiki} ${event.server_name}`;
}));

const BASE: SynthOptions = {
  events: 20_000,
  startMs: Date.parse("2026-01-01T00:00:00Z"),
  spanMs: 2 * 3_600_000,
  disorderMs: 60_000,
  lateShare: 0.02,
  lateByMs: 20 * 60_000,
  duplicates: 0.01,
  canaries: 0.005,
  bad: 0.005,
  topic: "eqiad.mediawiki.recentchange",
  partition: 0,
  firstOffset: 1_000,
  seed: "test",
};
const lines = [...generateSynthLines(BASE, templates)];
const audited = auditLines(lines.map((l) => l.payload));

Deno.test("every kind of line occurs exactly as often as asked, judged from the content alone", () => {
  const counts = computeCounts(BASE);
  const tally = (kind: string) => audited.filter((a) => a.kind === kind).length;
  assert.equal(lines.length, 20_000);
  assert.deepEqual(counts, { valid: 19_600, duplicates: 200, canaries: 100, bad: 100, late: 392 });
  assert.equal(tally("valid"), counts.valid);
  assert.equal(tally("duplicate"), counts.duplicates);
  assert.equal(tally("canary"), counts.canaries);
  assert.equal(BAD_KINDS.reduce((sum, kind) => sum + tally(kind), 0), counts.bad);
  for (const kind of BAD_KINDS) assert.ok(tally(kind) >= 8, `${kind} occurs (${tally(kind)})`);
  assert.equal(lines.filter((l) => l.late).length, counts.late);
  // The generator's own labels agree with the independent audit.
  lines.forEach((line, i) => assert.equal(line.badKind ?? line.kind, audited[i].kind));
});

Deno.test("offsets are consecutive in arrival order", () => {
  lines.forEach((line, i) => {
    assert.equal(line.offset, BASE.firstOffset + i);
    if (audited[i].offset !== undefined) assert.equal(audited[i].offset, line.offset);
  });
});

Deno.test("arrival is at most --disorder out of event-time order except for late events", () => {
  let maxSeen = -Infinity;
  let lateViolations = 0;
  for (const line of lines) {
    if (line.kind === "duplicate") continue;
    const behind = maxSeen - line.eventTimeMs;
    if (line.late) {
      assert.ok(behind <= BASE.disorderMs + BASE.lateByMs, `late by at most disorder + late-by (${behind})`);
      if (behind > BASE.disorderMs) lateViolations++;
    } else assert.ok(behind <= BASE.disorderMs, `on-time event ${line.offset} is ${behind} ms behind`);
    maxSeen = Math.max(maxSeen, line.eventTimeMs);
  }
  // Late events really arrive after the disorder bound (and beyond a 10-minute watermark mostly).
  assert.ok(lateViolations > 0.9 * computeCounts(BASE).late, `${lateViolations} late events arrive late`);
});

Deno.test("duplicates repeat an earlier event's meta.id and payload under a new offset", () => {
  const byId = new Map<string, SynthLine>();
  for (const line of lines) {
    if (line.kind === "valid") byId.set(line.metaId!, line);
    if (line.kind !== "duplicate") continue;
    const original = byId.get(line.metaId!);
    assert.ok(original && original.offset < line.offset, "the original came first");
    const strip = (text: string) => JSON.parse(text, (key, value) => key === "offset" ? undefined : value);
    assert.deepEqual(strip(line.payload as string), strip(original.payload as string));
  }
});

Deno.test("valid events look like recorded ones: coherent wiki, ids, times, revisions, lengths", () => {
  const rcids = new Set<string>();
  const valid = audited.filter((a) => a.kind === "valid").map((a) => a.event!);
  for (const event of valid) {
    assert.ok(
      recordedPairs.has(`${event.wiki} ${event.server_name}`),
      `${event.wiki} on ${event.server_name}`,
    );
    assert.equal(event.meta.domain, event.server_name);
    const dt = Date.parse(event.meta.dt);
    assert.ok(dt >= BASE.startMs && dt < BASE.startMs + BASE.spanMs);
    assert.ok(event.timestamp * 1000 <= dt && dt - event.timestamp * 1000 < 4_000);
    if (event.revision?.old !== undefined) assert.ok(event.revision.old < event.revision.new);
    if (event.length) assert.ok(Object.values(event.length).every((n) => typeof n === "number" && n >= 0));
    if (typeof event.id === "number") {
      assert.ok(!rcids.has(`${event.wiki}:${event.id}`), "rcids are unique per wiki");
      rcids.add(`${event.wiki}:${event.id}`);
      if (event.notify_url?.includes("rcid=")) assert.ok(event.notify_url.endsWith(`rcid=${event.id}`));
    }
  }
  const users = valid.map((e) => e.user as string);
  assert.ok(users.some((u) => /^~20\d\d-\d+-\d+$/.test(u)), "temporary accounts");
  assert.ok(users.some((u) => /^\d+\.\d+\.\d+\.\d+$/.test(u)), "IPv4 users");
  assert.ok(users.some((u) => /^[0-9A-F]+(:[0-9A-F]+){7}$/.test(u)), "IPv6 users");
  const bots = valid.filter((e) => e.bot).length / valid.length;
  assert.ok(bots > 0.3 && bots < 0.6, `bot share ${bots} is like the recordings'`);
});

Deno.test("canaries have Wikimedia's canary shape", () => {
  const canaries = audited.filter((a) => a.kind === "canary").map((a) => a.event!);
  for (const canary of canaries) {
    assert.deepEqual(Object.keys(canary), ["$schema", "meta"]);
    assert.equal(canary.meta.stream, "mediawiki.recentchange");
    assert.match(canary.meta.id, /^[0-9a-f-]{36}$/);
  }
});

Deno.test("the same seed gives the same lines and another seed other lines", () => {
  const small = { ...BASE, events: 2_000 };
  const a = [...generateSynthLines(small, templates)].map((l) => l.payload);
  const b = [...generateSynthLines(small, templates)].map((l) => l.payload);
  const c = [...generateSynthLines({ ...small, seed: "other" }, templates)].map((l) => l.payload);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("shares that leave no valid events are refused", () => {
  assert.throws(() => computeCounts({ ...BASE, duplicates: 0.5, bad: 0.5 }), RangeError);
});
