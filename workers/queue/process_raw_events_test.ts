import fs from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CANARY_REASON, planBronze, planSilver, splitClaimed } from "./process_raw_events.ts";
import { bronzeIdentity } from "./bronze.ts";
import { createSseReader } from "../../durable-objects/stream_ingestor/sse.ts";
import {
  packMessages,
  type RawEvent,
  type RawEventsMessage,
} from "../../durable-objects/stream_ingestor/batching.ts";
import type { BronzeRow, SilverRow } from "../../r2/tables/rows.ts";

const T = 1_767_225_600_000;
const valid = (id: string, user = "Alice") =>
  JSON.stringify({
    meta: { id, dt: "2026-01-01T00:00:00Z" },
    type: "edit",
    wiki: "enwiki",
    title: "A",
    user,
  });
const CANARY = JSON.stringify({ meta: { id: "c", dt: "2026-01-01T00:00:00Z", domain: "canary" } });
const ev = (data: string, sse_id: string | null = null): RawEvent => ({ sse_id, data, received_at: T });
const msg = (batch_id: string, events: RawEvent[]): RawEventsMessage => ({ v: 1, batch_id, events });

/** A claim index like the committer's: a key is new to the owner that claimed it first (and stays so). */
function createClaimIndex() {
  const owners = new Map<string, string>();
  return (owner: string, keys: string[]): string[] =>
    keys.filter((k) => {
      if (!owners.has(k)) owners.set(k, owner);
      return owners.get(k) === owner;
    });
}

/** The shell's flow over one consumer batch: both claims, then the split. */
function runBatch(
  messages: RawEventsMessage[],
  claimBronze = createClaimIndex(),
  claimSilver = createClaimIndex(),
) {
  return planBronze(messages).map((plan) => {
    const won = new Set(claimBronze(plan.owner, plan.candidates.map((c) => c.identity)));
    const bronze = plan.candidates.filter((c) => won.has(c.identity)).map((c) => c.row);
    const { silverCandidates, quarantine } = planSilver(bronze);
    const newIds = claimSilver(plan.owner, silverCandidates.map((r) => r.event_id));
    return { owner: plan.owner, bronze, quarantine, ...splitClaimed(silverCandidates, newIds) };
  });
}

describe("planBronze()", () => {
  it("plans one candidate per event in order, keyed by bronzeIdentity", () => {
    const [plan] = planBronze([msg("m1", [ev(valid("a"), "[1]"), ev("{bad", null)])]);
    expect(plan.owner).toBe("m1");
    expect(plan.candidates.map((c) => c.row.event_key)).toEqual([
      "a",
      expect.stringMatching(/^[0-9a-f]{64}$/),
    ]);
    expect(plan.candidates[0].identity).toBe(bronzeIdentity({ sse_id: "[1]" }, "a"));
  });

  it("keeps the first of repeated identities within an owner, also across its messages", () => {
    const first = ev(valid("a"), "[1]");
    const plans = planBronze([
      msg("m1", [first, { ...ev(valid("a"), "[1]"), received_at: T + 5 }]),
      msg("m2", [ev(valid("a"), "[1]")]),
      msg("m1", [ev(valid("a"), "[1]"), ev(valid("a"), "[2]")]),
    ]);
    expect(plans.map((p) => [p.owner, p.candidates.length])).toEqual([["m1", 2], ["m2", 1]]);
    expect(plans[0].candidates[0].row.ingestion_time).toBe(T);
  });

  it("refuses a spilled event whose text was not loaded", () => {
    expect(() => planBronze([msg("m", [{ ...ev(""), spilled_key: "spill/k" }])])).toThrow(/spill\/k/);
  });
});

describe("planSilver()", () => {
  const bronze = (data: string): BronzeRow => planBronze([msg("m", [ev(data)])])[0].candidates[0].row;

  it("sends valid events to silver and the rest, with a reason, to quarantine", () => {
    const rows = [valid("a"), "{bad", valid("b", ""), CANARY, JSON.stringify({ meta: { id: "q" } })].map(
      bronze,
    );
    const plan = planSilver(rows);
    expect(plan.silverCandidates.map((r) => r.event_id)).toEqual(["a", "b"]);
    expect(plan.quarantine).toEqual([
      {
        event_key: rows[1].event_key,
        raw_json: "{bad",
        reason: expect.stringMatching(/^not valid JSON/),
        ingestion_time: T,
      },
      { event_key: "c", raw_json: CANARY, reason: CANARY_REASON, ingestion_time: T },
      { event_key: "q", raw_json: rows[4].raw_json, reason: 'missing field "type"', ingestion_time: T },
    ]);
  });
});

describe("splitClaimed()", () => {
  const row = (event_id: string) => ({ event_id }) as SilverRow;

  it("keeps rows whose id is new, once; the rest are duplicates", () => {
    const split = splitClaimed([row("a"), row("b"), row("a"), row("c")], ["a", "c", "zz"]);
    expect(split.rows.map((r) => r.event_id)).toEqual(["a", "c"]);
    expect(split.duplicates).toBe(2);
    expect(splitClaimed([], new Set(["a"]))).toEqual({ rows: [], duplicates: 0 });
  });
});

describe("the consumer's plan over the real recording", () => {
  const events: RawEvent[] = [];
  const reader = createSseReader((f) => events.push(ev(f.data, f.id)));
  reader.push(
    new Uint8Array(
      fs.readFileSync(new URL("../../../shared/data/recentchange-2026-06-20.sse", import.meta.url)),
    ),
  );
  reader.end();
  let n = 0;
  const messages = packMessages(events, { newBatchId: () => `b${n++}` });

  it("stores each of the 383 source events once, however often it is delivered or re-read", () => {
    const claimBronze = createClaimIndex();
    const claimSilver = createClaimIndex();
    const first = runBatch(messages, claimBronze, claimSilver);
    expect(first.reduce((s, o) => s + o.bronze.length, 0)).toBe(383);
    expect(first.reduce((s, o) => s + o.rows.length, 0)).toBe(383);
    expect(first.every((o) => o.quarantine.length === 0 && o.duplicates === 0)).toBe(true);
    // A redelivered message is the same owner: it gets exactly its own rows again.
    const again = runBatch([messages[0]], claimBronze, claimSilver);
    expect(again[0].bronze).toEqual(first[0].bronze);
    // A re-read after a reconnect comes in new messages: nothing is new.
    const reread = runBatch(packMessages(events, { newBatchId: () => `r${n++}` }), claimBronze, claimSilver);
    expect(reread.reduce((s, o) => s + o.bronze.length + o.rows.length, 0)).toBe(0);
  });

  it("counts a copy re-sent under another SSE id as new bronze but a silver duplicate", () => {
    const claimBronze = createClaimIndex();
    const claimSilver = createClaimIndex();
    runBatch(messages, claimBronze, claimSilver);
    const copy = { ...events[0], sse_id: '[{"topic":"x","partition":0,"offset":1}]' };
    const [result] = runBatch([msg("late", [copy])], claimBronze, claimSilver);
    expect([result.bronze.length, result.rows.length, result.duplicates]).toEqual([1, 0, 1]);
  });
});

describe("accounting invariant", () => {
  it("bronze-new rows = silver + quarantine + duplicates, for every owner", () => {
    const texts = fc.oneof(
      fc.constantFrom("a", "b", "c", "d").map((id) => valid(id)),
      fc.constantFrom("{bad", "[]", CANARY, '{"meta":{"id":"x"}}', valid("e", "1.2.3.4")),
      fc.string({ maxLength: 20 }),
    );
    const event = fc.record({
      data: texts,
      sse_id: fc.option(fc.constantFrom("[1]", "[2]", "[3]"), { nil: null }),
    });
    const message = fc.record({
      batch_id: fc.constantFrom("m1", "m2", "m3", "m4"),
      events: fc.array(event, { maxLength: 8 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(message, { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        (batches) => {
          const claimBronze = createClaimIndex();
          const claimSilver = createClaimIndex();
          const ownerOf = new Map<string, string>();
          for (const batch of batches) {
            const results = runBatch(
              batch.map((m) => msg(m.batch_id, m.events.map((e) => ev(e.data, e.sse_id)))),
              claimBronze,
              claimSilver,
            );
            for (const r of results) {
              expect(r.bronze.length).toBe(r.rows.length + r.quarantine.length + r.duplicates);
              expect(new Set(r.rows.map((row) => row.event_id)).size).toBe(r.rows.length);
              // Across batches an owner may re-write its own rows, but no event_id has two owners.
              for (const row of r.rows) {
                expect(ownerOf.get(row.event_id) ?? r.owner).toBe(r.owner);
                ownerOf.set(row.event_id, r.owner);
              }
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
