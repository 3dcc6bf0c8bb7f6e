import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_FILES,
  parseReplayArgs,
  type ReplayServer,
  type ReplayServerOptions,
  startReplayServer,
} from "./replay_server.ts";
import { readAllWithReconnects, readSse, type SseRead, within } from "./lib/sse_test_client.ts";
import { createRng } from "./lib/prng.ts";

const T = "eqiad.mediawiki.recentchange";
const SSE_FILE = DEFAULT_FILES[2];
const encoder = new TextEncoder();

/** Writes a .jsonl file of `count` events with consecutive offsets, `gapMs` apart in event time. */
async function writeJsonl(dir: string, count: number, gapMs = 1000, firstOffset = 100): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      meta: {
        id: `id-${i}`,
        dt: new Date(Date.UTC(2026, 0, 1) + i * gapMs).toISOString(),
        topic: T,
        partition: 0,
        offset: firstOffset + i,
      },
      type: "edit",
      n: i,
    }));
  const path = join(dir, `events-${count}-${gapMs}.jsonl`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** Runs a test body against a fresh server on a free port, bounded in time, always closing it. */
function serverTest(
  name: string,
  options: ReplayServerOptions | ((dir: string) => Promise<ReplayServerOptions>),
  body: (server: ReplayServer, dir: string) => Promise<void>,
  boundMs = 20_000,
) {
  Deno.test(name, async () => {
    const dir = await Deno.makeTempDir({ prefix: "replay_test_" });
    const resolved = typeof options === "function" ? await options(dir) : options;
    const server = await startReplayServer({ port: 0, quiet: true, closeAtEnd: true, ...resolved });
    try {
      await within(boundMs, () => body(server, dir));
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const ids = (read: { events: { id?: string }[] }) => read.events.map((e) => e.id);
const offsets = (read: { events: { id?: string }[] }) =>
  read.events.map((e) => JSON.parse(e.id!)[0].offset as number);

serverTest(
  "the three recordings are served as one Wikimedia-shaped stream of 578 events",
  {},
  async (server) => {
    const read = await readSse(server.streamUrl, { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(read.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(
      read.headers.get("content-encoding"),
      null,
      "never compressed (that would buffer the stream)",
    );
    assert.equal(read.comments[0], "ok");
    assert.equal(read.events.length, 144 + 50 + 384);
    assert.ok(read.events.every((e) => e.event === "message"));
    const recordedIds = (await Deno.readTextFile(SSE_FILE)).split("\n").filter((l) => l.startsWith("id: "))
      .map((l) => l.slice(4));
    assert.deepEqual(ids(read).slice(194), recordedIds);
    assert.equal(read.events[0].id, `[{"topic":"${T}","partition":0,"offset":5559405228}]`);
    assert.equal(JSON.parse(read.events[577].data).meta.dt, "2026-06-20T15:49:58.058Z");
  },
);

serverTest("health, stats and unknown paths answer JSON", {}, async (server) => {
  await readSse(`${server.url}/`, { maxEvents: 10 });
  assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: "ok", frames: 578 });
  const stats: any = await (await fetch(`${server.url}/stats`)).json();
  assert.ok(stats.eventsServed >= 10 && stats.connections.total === 1 && stats.frames === 578);
  const missing = await fetch(`${server.url}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as any).error.status, 404);
  const post = await fetch(server.streamUrl, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

serverTest("a line that is not JSON is served verbatim, invalid UTF-8 bytes included", async (dir) => {
  const path = join(dir, "bad.jsonl");
  const bad = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x28]);
  await Deno.writeFile(path, new Uint8Array([...encoder.encode('{"meta":{"offset":1}}\n'), ...bad, 0x0a]));
  return { files: [path] };
}, async (server) => {
  const body = new Uint8Array(await (await fetch(server.streamUrl)).arrayBuffer());
  const expected = new Uint8Array([
    ...encoder.encode('event: message\nid: [{"topic":"replay.invalid","partition":0,"offset":1}]\ndata: '),
    ...bad(),
    0x0a,
    0x0a,
  ]);
  assert.deepEqual(body.subarray(body.length - expected.length), expected);
  function bad() {
    return [0x7b, 0x22, 0xff, 0xfe, 0x28];
  }
});

serverTest("a recorded frame with several data lines is served as several data lines", async (dir) => {
  const path = join(dir, "multi.sse");
  await Deno.writeTextFile(
    path,
    'event: message\nid: [{"topic":"t","partition":0,"offset":1}]\ndata: {"a":\ndata: 1}\n\n',
  );
  return { files: [path] };
}, async (server) => {
  const text = await (await fetch(server.streamUrl)).text();
  assert.ok(text.includes('data: {"a":\ndata: 1}\n\n'));
  const read = await readSse(server.streamUrl);
  assert.equal(read.events[0].data, '{"a":\n1}');
});

serverTest("resuming after an offset id continues with no gap and no duplicate", async (dir) => ({
  files: [await writeJsonl(dir, 50)],
}), async (server) => {
  const first = await readSse(server.streamUrl, { maxEvents: 20 });
  const rest = await readSse(server.streamUrl, { lastEventId: first.events.at(-1)!.id });
  assert.deepEqual([...offsets(first), ...offsets(rest)], Array.from({ length: 50 }, (_, i) => 100 + i));
});

serverTest("resuming from a recorded timestamp id re-serves same-millisecond events and never skips", {
  files: [SSE_FILE],
}, async (server) => {
  const all = (await readSse(server.streamUrl)).events;
  const seen = 100;
  const resumed = await readSse(server.streamUrl, { lastEventId: all[seen].id });
  const wanted = JSON.parse(all[seen].id!)[0].timestamp;
  const firstIndex = all.findIndex((e) => JSON.parse(e.id!)[0].timestamp >= wanted);
  assert.ok(firstIndex <= seen);
  assert.deepEqual(resumed.events.map((e) => e.data), all.slice(firstIndex).map((e) => e.data));
});

serverTest("?since= starts at the first event at or after that event time", async (dir) => ({
  files: [await writeJsonl(dir, 30)],
}), async (server) => {
  const iso = await readSse(`${server.streamUrl}?since=2026-01-01T00:00:10Z`);
  assert.equal(offsets(iso)[0], 110);
  assert.equal(iso.events.length, 20);
  const epoch = await readSse(`${server.streamUrl}?since=${Date.UTC(2026, 0, 1) + 25_500}`);
  assert.deepEqual(offsets(epoch), [126, 127, 128, 129]);
  const invalid = await fetch(`${server.streamUrl}?since=whenever`);
  assert.equal(invalid.status, 400);
  assert.match(((await invalid.json()) as any).error.message, /since/);
});

const warnings: string[] = [];
serverTest("an unparseable Last-Event-ID starts from the beginning with a warning", async (dir) => ({
  files: [await writeJsonl(dir, 5)],
  quiet: false,
  log: (line: string) => warnings.push(line),
}), async (server) => {
  const read = await readSse(server.streamUrl, { lastEventId: "{not json" });
  assert.equal(offsets(read)[0], 100);
  assert.ok(warnings.some((line) => line.includes("warning: unparseable Last-Event-ID")));
  assert.ok(warnings.some((line) => line.includes("connection #1")));
});

serverTest(
  "--cut-every closes after exactly N events and a reconnecting client misses nothing",
  async (dir) => ({
    files: [await writeJsonl(dir, 50)],
    cutEvery: 7,
  }),
  async (server) => {
    const { events, connections } = await readAllWithReconnects(server.streamUrl, 50);
    assert.deepEqual(
      events.map((e) => JSON.parse(e.id!)[0].offset),
      Array.from({ length: 50 }, (_, i) => 100 + i),
    );
    assert.deepEqual(connections.map((c) => c.events.length), [7, 7, 7, 7, 7, 7, 7, 1]);
    assert.ok(connections.slice(0, 7).every((c) => c.serverClosed));
    assert.equal(server.stats().connections.total, 8);
  },
);

serverTest("--cut-every over the recording's timestamp ids loses no event across reconnects", {
  files: [SSE_FILE],
  cutEvery: 50,
}, async (server) => {
  const reads: SseRead[] = [];
  let lastEventId: string | undefined;
  do {
    reads.push(await readSse(server.streamUrl, { lastEventId }));
    lastEventId = reads.at(-1)!.events.at(-1)?.id ?? lastEventId;
  } while (reads.at(-1)!.events.length === 50 && reads.length < 40);
  const recorded = (await Deno.readTextFile(SSE_FILE)).split("\n").filter((l) => l.startsWith("data: ")).map((
    l,
  ) => l.slice(6));
  const distinct = [...new Set(reads.flatMap((r) => r.events.map((e) => e.data)))];
  assert.deepEqual(distinct, recorded);
});

serverTest(
  "--cut-random-bytes cuts each connection after a seeded number of bytes; a resuming client misses nothing",
  async (dir) => ({ files: [await writeJsonl(dir, 50)], cutRandomBytes: 2_000, seed: "7" }),
  async (server) => {
    const budgets = createRng("7");
    const raw = new Uint8Array(await (await fetch(server.streamUrl)).arrayBuffer());
    assert.equal(raw.length, 1 + budgets.int(2_000), "the first connection gets the seed's first budget");
    const events: { id?: string }[] = [];
    for (let attempt = 0; events.length < 50 && attempt < 200; attempt++) {
      const read = await readSse(server.streamUrl, { lastEventId: events.at(-1)?.id });
      events.push(...read.events);
    }
    assert.deepEqual(offsets({ events }), Array.from({ length: 50 }, (_, i) => 100 + i));
    const { total, cut } = server.stats().connections;
    assert.ok(total > 5, `${total} connections`);
    assert.ok(cut >= total - 1, `${cut} of ${total} connections were cut (the last may end the input)`);
  },
);

serverTest("--speed N paces by event time", async (dir) => ({
  files: [await writeJsonl(dir, 10, 1000)],
  speed: 2,
  closeAtEnd: false,
}), async (server) => {
  const reading = readSse(server.streamUrl, { maxEvents: 4 });
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const served = server.stats().eventsServed;
  assert.ok(served >= 1 && served <= 4, `at speed 2 with 1 s gaps, ${served} events after 1.2 s`);
  await reading;
});

serverTest("--speed max serves an hour of event time without waiting", async (dir) => ({
  files: [await writeJsonl(dir, 3_600, 1_000)],
  speed: "max",
}), async (server) => {
  const read = await readSse(server.streamUrl);
  assert.equal(read.events.length, 3_600);
}, 15_000);

serverTest("keep-alive comments flow while there is nothing to serve", async (dir) => ({
  files: [await writeJsonl(dir, 2)],
  closeAtEnd: false,
  keepAliveMs: 100,
}), async (server) => {
  const read = await readSse(server.streamUrl, { idleMs: 550 });
  assert.equal(read.events.length, 2);
  assert.equal(read.serverClosed, false);
  assert.ok(read.comments.filter((c) => c.trim() === "keep-alive").length >= 2, `${read.comments}`);
});

serverTest("in max mode the server waits for a slow reader instead of buffering the file", async (dir) => {
  const path = join(dir, "big.jsonl");
  const padding = "x".repeat(20_000);
  await Deno.writeTextFile(
    path,
    Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ meta: { offset: i }, padding })).join("\n"),
  );
  return { files: [path] };
}, async (server) => {
  const response = await fetch(server.streamUrl);
  const reader = response.body!.getReader();
  await reader.read();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const served = server.stats().eventsServed;
  assert.ok(served < 2_000, `only what the socket takes is produced (${served} of 2000)`);
  await reader.cancel();
});

serverTest("--loop starts over after the last event", async (dir) => ({
  files: [await writeJsonl(dir, 5)],
  loop: true,
}), async (server) => {
  const read = await readSse(server.streamUrl, { maxEvents: 12 });
  assert.deepEqual(offsets(read), [100, 101, 102, 103, 104, 100, 101, 102, 103, 104, 100, 101]);
});

serverTest("close() ends open connections", async (dir) => ({
  files: [await writeJsonl(dir, 3)],
  closeAtEnd: false,
}), async (server) => {
  const response = await fetch(server.streamUrl);
  const drained = response.body!.pipeTo(new WritableStream()).then(() => "closed", () => "errored");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(server.stats().connections.open, 1);
  await server.close();
  assert.ok(["closed", "errored"].includes(await drained));
  assert.equal(server.stats().connections.open, 0);
});

Deno.test("command-line flags map onto server options", () => {
  const options = parseReplayArgs([
    "--file",
    "a.sse",
    "--file",
    "b.jsonl",
    "--speed",
    "10",
    "--cut-every",
    "500",
    "--loop",
  ]);
  assert.deepEqual(options.files, ["a.sse", "b.jsonl"]);
  assert.equal(options.speed, 10);
  assert.equal(options.cutEvery, 500);
  assert.equal(options.loop, true);
  assert.equal(options.port, 8788);
  assert.equal(options.host, "127.0.0.1");
  assert.equal(parseReplayArgs([]).speed, "max");
  assert.throws(() => parseReplayArgs(["--speed", "fast"]), /--speed/);
  const cuts = parseReplayArgs(["--cut-random-bytes", "5000", "--seed", "9"]);
  assert.deepEqual([cuts.cutRandomBytes, cuts.seed], [5000, "9"]);
  assert.deepEqual([parseReplayArgs([]).cutRandomBytes, parseReplayArgs([]).seed], [0, "1"]);
  assert.throws(() => parseReplayArgs(["--cut-random-bytes", "lots"]), /--cut-random-bytes/);
  assert.throws(() => parseReplayArgs(["--bogus"]));
});

Deno.test("the CLI serves until SIGTERM and then exits cleanly", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./replay_server.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--keep-alive",
      "1s",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  try {
    await within(15_000, async () => {
      while (!/on (http:\/\/[\d.:]+)\//.test(output)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`server exited: ${output}`);
        output += value;
      }
      const base = /on (http:\/\/[\d.:]+)\//.exec(output)![1];
      const read = await readSse(`${base}/v2/stream/recentchange`, { maxEvents: 578 });
      assert.equal(read.events.length, 578);
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await lines.cancel();
  }
});
