/**
 * Vitest globalSetup of the workerd project (runs in Node): starts the Deno replay server on
 * 127.0.0.1 with the real recordings, cutting the connection every 100 events so the
 * ingestor's Last-Event-ID resume is exercised, and provides its stream URL to the tests.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    replayStreamUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    }).on("error", fail);
  });
}

export default async function setup(project: TestProject) {
  const port = await freePort();
  const root = resolve(import.meta.dirname, "../..");
  const child = spawn(
    resolve(root, "node_modules/.bin/deno"),
    [
      "run",
      "-A",
      "scripts/replay_server.ts",
      "--port",
      String(port),
      "--speed",
      "max",
      "--cut-every",
      "100",
      "--quiet",
    ],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (true) {
    const up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`replay server did not start on ${base}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  project.provide("replayStreamUrl", `${base}/v2/stream/recentchange`);
  return () => {
    child.kill("SIGTERM");
  };
}
