import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { encodeComment, encodeFrame, parseJsonlRecording, type ReplayFrame } from "./replay_frames.ts";
import { computePaceOffsets } from "./replay_position.ts";
import { type CloseReason, createReplayStream } from "./replay_stream.ts";
import { createRng } from "./prng.ts";

const encoder = new TextEncoder();

/** `count` events with consecutive offsets from 100, each with a multi-byte title. */
function makeFrames(count: number): ReplayFrame[] {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      meta: { id: `id-${i}`, dt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), offset: 100 + i },
      title: `Ünïcødé ✓ ${"x".repeat(i % 7)}`,
    }));
  return parseJsonlRecording(encoder.encode(lines.join("\n")));
}

interface Connection {
  bytes: Uint8Array;
  served: number;
  close: { reason: CloseReason; servedHere: number; next: number } | null;
}

/** Reads one whole connection from `startIndex` with the given byte budget. */
async function readConnection(frames: ReplayFrame[], startIndex: number, cutAfterBytes: number) {
  const connection: Connection = { bytes: new Uint8Array(0), served: 0, close: null };
  const stream = createReplayStream({
    frames,
    pace: computePaceOffsets(frames),
    startIndex,
    speed: "max",
    cutEvery: 0,
    cutAfterBytes,
    loop: false,
    closeAtEnd: true,
    keepAliveMs: 15_000,
    onServed: (events) => connection.served += events,
    onClose: (reason, servedHere, next) => connection.close = { reason, servedHere, next },
  });
  connection.bytes = new Uint8Array(await new Response(stream.body).arrayBuffer());
  return connection;
}

/** The bytes an uncut connection from `startIndex` sends. */
function fullStream(frames: ReplayFrame[], startIndex: number): Uint8Array {
  const parts = [encodeComment("ok"), ...frames.slice(startIndex).map(encodeFrame)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

Deno.test("a byte budget cuts the connection after exactly that many bytes, mid-frame included", async () => {
  const frames = makeFrames(40);
  const full = fullStream(frames, 0);
  const ends = frames.map(encodeFrame).reduce<number[]>(
    (acc, f) => [...acc, (acc.at(-1) ?? 5) + f.length],
    [],
  );
  for (const budget of [1, 4, 5, 6, 57, ends[0] - 1, ends[0], ends[0] + 1, 1_000, ends[38] + 3]) {
    const c = await readConnection(frames, 0, budget);
    assert.deepEqual(c.bytes, full.subarray(0, budget), `budget ${budget}: a prefix of the uncut stream`);
    const complete = ends.filter((end) => end <= budget).length;
    assert.equal(c.served, complete, `budget ${budget}: only complete frames count as served`);
    assert.deepEqual(c.close, { reason: "cut", servedHere: complete, next: complete });
  }
});

Deno.test("a budget larger than the stream does not cut it", async () => {
  const frames = makeFrames(10);
  const full = fullStream(frames, 0);
  const c = await readConnection(frames, 0, full.length + 1);
  assert.deepEqual(c.bytes, full);
  assert.deepEqual(c.close, { reason: "end", servedHere: 10, next: 10 });
});

Deno.test("resuming after the last complete frame of each cut connection delivers every frame once", async () => {
  const frames = makeFrames(200);
  const rng = createRng("resume");
  const got: string[] = [];
  let next = 0;
  let connections = 0;
  let midFrame = 0;
  while (next < frames.length) {
    const c = await readConnection(frames, next, 1 + rng.int(3_000));
    connections++;
    const parser = createParser({ onEvent: (e) => got.push(e.id!) });
    const text = new TextDecoder().decode(c.bytes);
    parser.feed(text); // a spec-following client: an unterminated last frame is never dispatched
    if (!text.endsWith("\n\n")) midFrame++;
    if (c.close!.next > next) next = c.close!.next;
  }
  assert.deepEqual(got, frames.map((f) => f.id));
  assert.ok(connections > 20, `${connections} connections`);
  assert.ok(midFrame > connections / 2, `${midFrame} of ${connections} cuts fell inside a frame`);
});
