import assert from "node:assert/strict";
import fc from "fast-check";
import { parseIdKeys, type ReplayFrame } from "./replay_frames.ts";
import {
  computePaceOffsets,
  findResumeIndex,
  findSinceIndex,
  parseLastEventId,
  planStart,
} from "./replay_position.ts";

const T = "eqiad.mediawiki.recentchange";

function offsetFrame(offset: number, eventTimeMs: number | null = null, topic = T, source = 0): ReplayFrame {
  const id = JSON.stringify([{ topic, partition: 0, offset }]);
  return { id, data: new Uint8Array(), eventTimeMs, keys: parseIdKeys(id), source };
}

function timestampFrame(timestamp: number, source = 0): ReplayFrame {
  const id = JSON.stringify([{ topic: T, partition: 0, timestamp }, {
    topic: "codfw.mediawiki.recentchange",
    partition: 0,
    offset: -1,
  }]);
  return { id, data: new Uint8Array(), eventTimeMs: timestamp - 1, keys: parseIdKeys(id), source };
}

function resumeFrom(frames: ReplayFrame[], id: string): number | null {
  return findResumeIndex(frames, parseLastEventId(id)!);
}

Deno.test("Last-Event-ID must be a JSON array of topic/partition positions", () => {
  assert.deepEqual(parseLastEventId('[{"topic":"t","partition":0,"offset":5}]'), [{
    topic: "t",
    partition: 0,
    offset: 5,
  }]);
  assert.equal(parseLastEventId("not json"), null);
  assert.equal(parseLastEventId('{"topic":"t"}'), null);
  assert.equal(parseLastEventId('[{"topic":"t","partition":0}]'), null);
});

Deno.test("resuming after an offset id serves the next event: no gap, no duplicate", () => {
  const frames = [10, 11, 12, 13, 14].map((o) => offsetFrame(o));
  for (const [index, frame] of frames.entries()) assert.equal(resumeFrom(frames, frame.id), index + 1);
  // An offset that was never served resumes at the next larger one.
  const sparse = [10, 20, 30].map((o) => offsetFrame(o));
  assert.equal(resumeFrom(sparse, `[{"topic":"${T}","partition":0,"offset":25}]`), 2);
  assert.equal(resumeFrom(sparse, `[{"topic":"${T}","partition":0,"offset":99}]`), 3);
});

Deno.test("resuming from a timestamp id re-serves same-millisecond events and never skips", () => {
  const frames = [100, 200, 200, 200, 300].map((t) => timestampFrame(t));
  assert.equal(resumeFrom(frames, frames[2].id), 1);
  assert.equal(resumeFrom(frames, frames[4].id), 4);
  assert.equal(resumeFrom(frames, `[{"topic":"${T}","partition":0,"timestamp":301}]`), 5);
});

Deno.test("timestamp resume never skips an event after the last one seen (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
      fc.nat(),
      (times, pick) => {
        const frames = times.map((t) => timestampFrame(t));
        const seen = pick % frames.length;
        const index = resumeFrom(frames, frames[seen].id)!;
        assert.ok(index <= seen, "the last seen event and all after it are served again");
        const wanted = frames[seen].keys[0].timestamp!;
        assert.ok(
          frames.slice(0, index).every((f) => f.keys[0].timestamp! < wanted),
          "nothing older is re-served",
        );
      },
    ),
  );
});

Deno.test("offset -1 entries are ignored and the earliest matching entry wins", () => {
  const frames = [
    offsetFrame(5, null, "a"),
    offsetFrame(7, null, "b"),
    offsetFrame(6, null, "a"),
    offsetFrame(8, null, "b"),
  ];
  assert.equal(
    resumeFrom(frames, '[{"topic":"a","partition":0,"offset":5},{"topic":"b","partition":0,"offset":-1}]'),
    1,
  );
  assert.equal(
    resumeFrom(frames, '[{"topic":"a","partition":0,"offset":6},{"topic":"b","partition":0,"offset":7}]'),
    2,
  );
  assert.equal(resumeFrom(frames, '[{"topic":"zzz","partition":0,"offset":6}]'), null);
});

Deno.test("a timestamp entry also positions offset-id events by their event time", () => {
  const frames = [offsetFrame(1, 1000), offsetFrame(2, 2000), offsetFrame(3, 3000)];
  assert.equal(resumeFrom(frames, `[{"topic":"${T}","partition":0,"timestamp":2000}]`), 1);
});

Deno.test("an unparseable or unmatched Last-Event-ID starts from the beginning with a warning", () => {
  const frames = [offsetFrame(1), offsetFrame(2)];
  const unparseable = planStart(frames, { lastEventId: "garbage", since: null });
  assert.ok(unparseable.ok && unparseable.index === 0 && unparseable.warning?.includes("unparseable"));
  const unmatched = planStart(frames, {
    lastEventId: '[{"topic":"x","partition":0,"offset":1}]',
    since: null,
  });
  assert.ok(unmatched.ok && unmatched.index === 0 && unmatched.warning !== undefined);
});

Deno.test("since starts at the first event whose event time is at or after it; Last-Event-ID wins", () => {
  const frames = [offsetFrame(1, null), offsetFrame(2, 1000), offsetFrame(3, 3000), offsetFrame(4, 2000)];
  assert.equal(findSinceIndex(frames, 1500), 2);
  assert.equal(findSinceIndex(frames, 9999), 4);
  const iso = planStart(frames, { lastEventId: null, since: new Date(1000).toISOString() });
  assert.ok(iso.ok && iso.index === 1);
  const epoch = planStart(frames, { lastEventId: null, since: "2500" });
  assert.ok(epoch.ok && epoch.index === 2);
  const both = planStart(frames, { lastEventId: frames[0].id, since: "2500" });
  assert.ok(both.ok && both.index === 1);
  assert.deepEqual(planStart(frames, { lastEventId: null, since: "soon" }).ok, false);
});

Deno.test("pacing follows the largest event time per file and never goes backwards", () => {
  const frames = [
    offsetFrame(1, 1000),
    offsetFrame(2, 1500),
    offsetFrame(3, 1200), // out of order: due at once
    offsetFrame(4, null),
    offsetFrame(5, 2500),
    offsetFrame(6, 90_000_000, T, 1), // next file: no gap across files
    offsetFrame(7, 90_000_400, T, 1),
  ];
  assert.deepEqual([...computePaceOffsets(frames)], [0, 500, 500, 500, 1500, 1500, 1900]);
});
