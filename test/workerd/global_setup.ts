/**
 * Vitest globalSetup of the workerd project (runs in Node): starts two Deno replay servers on
 * 127.0.0.1 and provides their stream URLs to the tests:
 * - `replayStreamUrl`: the real recordings, cutting the connection every 100 events so the
 *   ingestor's Last-Event-ID resume is exercised;
 * - `replayRandomCutUrl`: the synth fixture `testdata/synth-600-seed11.jsonl`, cutting each
 *   connection after a seeded random number of bytes in [1, 50,000] (mid-event, mid-line).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    replayStreamUrl: string;
    replayRandomCutUrl: string;
  }
}

/** Input, byte bound and seed of the random-cut replay server. */
const RANDOM_CUT = { file: "testdata/synth-600-seed11.jsonl", maxBytes: 50_000, seed: "6" };

const root = resolve(import.meta.dirname, "../..");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    }).on("error", fail);
  });
}

/** Spawns the replay server with `args`; resolves to its stream URL and a stop function once it answers. */
async function startReplayServer(args: string[]): Promise<{ streamUrl: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(
    resolve(root, "node_modules/.bin/deno"),
    ["run", "-A", "scripts/replay_server.ts", "--port", String(port), "--speed", "max", "--quiet", ...args],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (true) {
    const up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGTERM");
      throw new Error(`replay server did not start on ${base}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { streamUrl: `${base}/v2/stream/recentchange`, stop: () => child.kill("SIGTERM") };
}

export default async function setup(project: TestProject) {
  const recordings = await startReplayServer(["--cut-every", "100"]);
  let randomCut;
  try {
    randomCut = await startReplayServer([
      "--file",
      RANDOM_CUT.file,
      "--cut-random-bytes",
      String(RANDOM_CUT.maxBytes),
      "--seed",
      RANDOM_CUT.seed,
    ]);
  } catch (error) {
    recordings.stop();
    throw error;
  }
  project.provide("replayStreamUrl", recordings.streamUrl);
  project.provide("replayRandomCutUrl", randomCut.streamUrl);
  return () => {
    recordings.stop();
    randomCut.stop();
  };
}
