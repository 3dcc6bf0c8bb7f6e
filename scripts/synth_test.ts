import assert from "node:assert/strict";
import { join } from "node:path";
import { startReplayServer } from "./replay_server.ts";
import { parseSynthArgs, runSynth, type SynthRunOptions } from "./synth.ts";
import { parseJsonlRecording, parseSseRecording } from "./lib/replay_frames.ts";
import { auditLines } from "./lib/stream_audit.ts";
import type { SynthManifest } from "./lib/synth_manifest.ts";
import { readAllWithReconnects, readSse, within } from "./lib/sse_test_client.ts";

const decoder = new TextDecoder();
let DIR = "";

/** Registers a test that gets a fresh temporary directory in `DIR`, removed afterwards. */
function synthTest(name: string, body: () => Promise<void>) {
  Deno.test(name, async () => {
    DIR = await Deno.makeTempDir({ prefix: "synth_test_" });
    try {
      await within(60_000, body);
    } finally {
      await Deno.remove(DIR, { recursive: true });
    }
  });
}

function options(out: string, overrides: Partial<SynthRunOptions> = {}): SynthRunOptions {
  return {
    ...parseSynthArgs(["--out", join(DIR, out), "--events", "3000", "--seed", "42"]),
    quiet: true,
    ...overrides,
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Compares files without dumping megabytes into the failure message: names the first differing line. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, message: string): void {
  if (bytesEqual(actual, expected)) return;
  const a = decoder.decode(actual).split("\n");
  const e = decoder.decode(expected).split("\n");
  const line = a.findIndex((text, i) => text !== e[i]);
  assert.fail(
    `${message}: ${actual.length} vs ${expected.length} bytes, first difference on line ${line + 1}`,
  );
}

/** Recomputes a manifest's counts from the file alone. */
function recount(lines: Uint8Array[]) {
  const audited = auditLines(lines);
  const count = (kind: string) => audited.filter((a) => a.kind === kind).length;
  const valid = audited.filter((a) => a.kind === "valid");
  const times = valid.map((a) => a.eventTimeMs!);
  return {
    audited,
    lines: audited.length,
    valid: valid.length,
    canaries: count("canary"),
    duplicates: count("duplicate"),
    distinct: new Set(valid.map((a) => a.metaId)).size,
    bad: audited.length - valid.length - count("canary") - count("duplicate"),
    minTime: Math.min(...times),
    maxTime: Math.max(...times),
  };
}

synthTest("synth writes a .jsonl whose content matches its manifest and the requested shares", async () => {
  const manifest = await runSynth(options("a.jsonl"));
  const bytes = await Deno.readFile(join(DIR, "a.jsonl"));
  const lines = parseJsonlRecording(bytes).map((f) => f.data);
  const got = recount(lines);
  const sidecar: SynthManifest = JSON.parse(await Deno.readTextFile(join(DIR, "a.jsonl.manifest.json")));
  assert.deepEqual(sidecar, manifest);
  assert.equal(got.lines, 3000);
  assert.equal(got.lines, manifest.lines);
  assert.equal(got.valid, manifest.valid);
  assert.equal(got.distinct, manifest.distinct_valid_meta_ids);
  assert.equal(got.canaries, manifest.canaries);
  assert.equal(got.duplicates, manifest.duplicates);
  assert.equal(got.bad, manifest.bad.total);
  for (const [kind, n] of Object.entries(manifest.bad.by_kind)) {
    assert.equal(got.audited.filter((a) => a.kind === kind).length, n, kind);
  }
  // Requested shares, within rounding: 1 % duplicates, 0.5 % canaries, 0.5 % bad, 2 % late.
  assert.equal(manifest.duplicates, 30);
  assert.equal(manifest.canaries, 15);
  assert.equal(manifest.bad.total, 15);
  assert.equal(manifest.late, Math.round(manifest.valid * 0.02));
  assert.equal(new Date(got.minTime).toISOString(), manifest.event_time.min);
  assert.equal(new Date(got.maxTime).toISOString(), manifest.event_time.max);
  assert.ok(
    got.minTime >= Date.parse("2026-01-01T00:00:00Z") && got.maxTime < Date.parse("2026-01-01T02:00:00Z"),
  );
  assert.deepEqual(manifest.expected_health, {
    received: 3000,
    canary: 15,
    bronze: 2985,
    silver: manifest.valid,
    quarantine: 15,
    duplicate: 30,
  });
});

synthTest("the disorder bound holds in the file except for at most the late events", async () => {
  const manifest = await runSynth(options("d.jsonl", { disorderMs: 30_000 }));
  const { audited } = recount(
    parseJsonlRecording(await Deno.readFile(join(DIR, "d.jsonl"))).map((f) => f.data),
  );
  let maxSeen = -Infinity;
  let beyond = 0;
  for (const line of audited) {
    if (line.kind === "duplicate" || line.eventTimeMs === null) continue;
    const behind = maxSeen - line.eventTimeMs;
    if (behind > 30_000) {
      beyond++;
      assert.ok(behind <= 30_000 + 20 * 60_000, `never later than disorder + late-by (${behind} ms)`);
    }
    maxSeen = Math.max(maxSeen, line.eventTimeMs);
  }
  assert.ok(
    beyond <= manifest.late && beyond >= manifest.late * 0.8,
    `${beyond} beyond the bound, ${manifest.late} late`,
  );
});

synthTest("duplicates in the file repeat the meta.id of an earlier line under a later offset", async () => {
  await runSynth(options("dup.jsonl", { duplicates: 0.05 }));
  const { audited } = recount(
    parseJsonlRecording(await Deno.readFile(join(DIR, "dup.jsonl"))).map((f) => f.data),
  );
  const firstOffset = new Map<string, number>();
  let duplicates = 0;
  for (const line of audited) {
    if (line.kind === "valid") firstOffset.set(line.metaId!, line.offset!);
    if (line.kind !== "duplicate") continue;
    duplicates++;
    assert.ok(firstOffset.get(line.metaId!)! < line.offset!);
  }
  assert.equal(duplicates, 150);
});

synthTest("the same seed gives identical bytes, another seed other bytes, in both formats", async () => {
  for (const ext of ["jsonl", "sse"]) {
    await runSynth(options(`s1.${ext}`));
    await runSynth(options(`s2.${ext}`));
    await runSynth(options(`s3.${ext}`, { seed: "43" }));
    const [a, b, c] = await Promise.all(
      ["s1", "s2", "s3"].map((n) => Deno.readFile(join(DIR, `${n}.${ext}`))),
    );
    assertSameBytes(a, b, `${ext} is reproducible`);
    assert.ok(!bytesEqual(a, c), "another seed makes other bytes");
  }
});

synthTest(
  "a synthetic .sse has one frame per line with offset ids and the same events as the .jsonl",
  async () => {
    await runSynth(options("same.jsonl"));
    await runSynth(options("same.sse"));
    const jsonl = parseJsonlRecording(await Deno.readFile(join(DIR, "same.jsonl")));
    const sse = parseSseRecording(await Deno.readFile(join(DIR, "same.sse")));
    assert.equal(sse.length, 3000);
    assert.deepEqual(sse.map((f) => decoder.decode(f.data)), jsonl.map((f) => decoder.decode(f.data)));
    sse.forEach((frame, i) => {
      assert.equal(
        frame.id,
        `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${1_000_000 + i}}]`,
      );
    });
  },
);

synthTest("synthetic files are served whole by the replay server, across cuts", async () => {
  await runSynth(options("served.jsonl"));
  await runSynth(options("served.sse"));
  for (const name of ["served.jsonl", "served.sse"]) {
    const path = join(DIR, name);
    const server = await startReplayServer({
      files: [path],
      port: 0,
      quiet: true,
      closeAtEnd: true,
      cutEvery: 700,
    });
    try {
      const { events, connections } = await within(
        20_000,
        () => readAllWithReconnects(server.streamUrl, 3000),
      );
      assert.equal(connections.length, 5);
      const expected = name.endsWith(".sse")
        ? parseSseRecording(await Deno.readFile(path))
        : parseJsonlRecording(await Deno.readFile(path));
      assert.deepEqual(events.map((e) => e.id), expected.map((f) => f.id));
      assert.deepEqual(events.map((e) => e.data), expected.map((f) => decoder.decode(f.data)));
      assert.equal((await readSse(server.streamUrl, { lastEventId: events.at(-1)!.id })).events.length, 0);
    } finally {
      await server.close();
    }
  }
});

synthTest("the CLI writes the file and manifest, and refuses bad flags", async () => {
  const out = join(DIR, "cli.jsonl");
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./synth.ts", import.meta.url).pathname, ...args],
      stdout: "null",
      stderr: "piped",
    }).output();
  const ok = await within(
    30_000,
    () => run(["--out", out, "--events", "500", "--span", "10m", "--seed", "x"]),
  );
  assert.equal(ok.code, 0, decoder.decode(ok.stderr));
  const manifest = JSON.parse(await Deno.readTextFile(`${out}.manifest.json`));
  assert.equal(manifest.lines, 500);
  assert.equal(manifest.file, "cli.jsonl");
  for (
    const bad of [["--events", "10"], ["--out", join(DIR, "x.txt")], ["--out", out, "--span", "2 weeks"], [
      "--out",
      out,
      "--bad",
      "2",
    ]]
  ) {
    const failed = await within(30_000, () => run(bad));
    assert.equal(failed.code, 1, bad.join(" "));
    assert.match(decoder.decode(failed.stderr), /synth: /);
  }
});

synthTest("the testdata fixture is exactly what its documented command makes", async () => {
  const fixture = new URL("../testdata/synth-1000-seed7.jsonl", import.meta.url);
  const args = "--events 1000 --seed 7 --span 30m --disorder 30s --late-share 0.02 --late-by 15m " +
    "--duplicates 0.02 --canaries 0.01 --bad 0.03";
  const out = join(DIR, "synth-1000-seed7.jsonl");
  await runSynth({ ...parseSynthArgs(["--out", out, ...args.split(" ")]), quiet: true });
  assertSameBytes(
    await Deno.readFile(out),
    await Deno.readFile(fixture),
    "regenerate the fixture if synth changed on purpose",
  );
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(`${out}.manifest.json`)),
    JSON.parse(await Deno.readTextFile(new URL(`${fixture.href}.manifest.json`))),
  );
});
