/**
 * The operator CLI (`node scripts/ops.ts`, what `npm run ops` runs) as a subprocess against a real
 * local stack (`wrangler dev` fed by the replay server): each command's exit code, output and
 * effect, and the clear errors (401/403, a Worker 400, unreachable, usage). On the same stack,
 * the security headers of what a browser opens: the dashboards (static assets with `_headers`),
 * /docs and the JSON API, as `wrangler dev` serves them.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import type { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, REPO_ROOT, startLocalStack } from "../../scripts/lib/local_stack.ts";

const NODE = path.join(REPO_ROOT, "node_modules/.bin/node");
const STREAM = path.join(REPO_ROOT, "test/e2e/fixtures/mini_stream.jsonl");

let stack: LocalStack;
let dir: string;

/** Runs `node scripts/ops.ts …` and resolves with its exit code and output (bounded to 120 s). */
function ops(argv: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const base = { ...process.env };
    delete base.ADMIN_TOKEN;
    delete base.WIKIFLARE_URL;
    const child = spawn(NODE, [path.join(REPO_ROOT, "scripts/ops.ts"), ...argv], {
      cwd: REPO_ROOT,
      env: { ...base, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    child.stderr.on("data", (b: Buffer) => (err += b));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ops ${argv.join(" ")} ran over 120 s`));
    }, 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
const admin = (argv: string[]) => ops([...argv, "--url", stack.url], { ADMIN_TOKEN: stack.token });

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wikiflare-ops-cli-"));
  stack = await startLocalStack({
    files: [STREAM],
    speed: "max",
    port: 0,
    persistDir: path.join(dir, "state"),
    crons: false,
    log: () => {},
  });
  await stack.waitIdle({ timeoutMs: 240_000, quietMs: 3_000 });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("npm run ops against the local stack", () => {
  it("--help lists every command; a bad command or reset without --yes is a usage error (2)", async () => {
    const help = await ops(["--help"]);
    expect(help.code).toBe(0);
    for (
      const c of [
        "status",
        "start",
        "stop",
        "backfill",
        "correction",
        "maintenance",
        "dead-letters",
        "reset",
        "init",
      ]
    ) {
      expect(help.out).toContain(`  ${c}`);
    }
    expect((await ops(["frobnicate", "--url", stack.url])).code).toBe(2);
    const reset = await admin(["reset"]);
    expect(reset.code).toBe(2);
    expect(reset.err).toMatch(/--yes/);
  });

  it("status prints the health and exits with its verdict (0 ok, 6 degraded, 7 down)", async () => {
    const r = await ops(["status", "--url", stack.url]);
    const health = await (await fetch(`${stack.url}/api/health`)).json() as { status: string };
    const expected = { ok: 0, degraded: 6, down: 7 }[health.status];
    expect(r.code).toBe(expected);
    expect(JSON.parse(r.out).events.received).toBe((await stack.health()).events.received);
    expect(r.err).toContain(`status: ${health.status}`);
  });

  it("stop, start and backfill drive the ingestor", async () => {
    const stop = await admin(["stop"]);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.out).control.desired).toBe("stopped");
    expect(stop.err).toMatch(/stop: POST http:\/\/127\.0\.0\.1:\d+\/api\/admin\/ingest\/stop/);
    const start = await admin(["start", "--stream-url", stack.streamUrl]);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.out).control).toMatchObject({ desired: "running", streamUrl: stack.streamUrl });
    const backfill = await admin(["backfill", "--since", "2026-01-01T00:00:00Z"]);
    expect(backfill.code).toBe(0);
    expect(JSON.parse(backfill.out).control.desired).toBe("running");
    expect((await admin(["backfill"])).code).toBe(2); // --since is required
  });

  it("dead-letters, maintenance and correction answer their reports", async () => {
    const list = await admin(["dead-letters", "list", "--limit", "5"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toBeTypeOf("object");
    const maintenance = await admin([
      "maintenance",
      "--job",
      "expire_snapshots",
      "--table",
      "gold_wiki_kpis",
    ]);
    expect(maintenance.code).toBe(0);
    const jobs = JSON.parse(maintenance.out).jobs as { table: string; job: string }[];
    expect(jobs.map((j) => `${j.table}/${j.job}`)).toEqual(["gold_wiki_kpis/expire_snapshots"]);
    const bad = await admin(["maintenance", "--job", "defragment"]);
    expect(bad.code).toBe(1); // the Worker's 400, shown with its message
    expect(bad.err).toMatch(/^HTTP 400 from .*job/m);
    const correction = await admin(["correction"]);
    expect(correction.code).toBe(0);
    expect(JSON.parse(correction.out)).toHaveProperty("bronze");
  });

  it("no token, a wrong token and an unreachable Worker are clear errors with their exit codes", async () => {
    const none = await ops(["stop", "--url", stack.url]);
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/needs the admin token/);
    const wrong = await ops(["stop", "--url", stack.url, "--token", "not-the-token"]);
    expect(wrong.code).toBe(4);
    expect(wrong.err).toMatch(/^403 from .*wrong/m);
    const gone = await ops(["status", "--url", `http://127.0.0.1:${await freePort()}`]);
    expect(gone.code).toBe(3);
    expect(gone.err).toMatch(/cannot reach .*ECONNREFUSED/);
  });

  it("reset --yes empties the pipeline", async () => {
    const stop = await admin(["stop"]);
    expect(stop.code).toBe(0);
    const reset = await admin(["reset", "--yes"]);
    expect(reset.code).toBe(0);
    const after = await stack.health();
    expect(after.events.received).toBe(0);
    expect(after.events.silver).toBe(0);
  });
});

describe("security headers on the pages and the API as wrangler dev serves them", () => {
  it.each([
    ["/", "text/html"],
    ["/kpis", "text/html"],
    ["/docs", "text/html"],
    ["/api/health", "application/json"],
    ["/metrics", "text/plain"],
  ])("%s (%s): CSP with frame-ancestors 'none', nosniff, Referrer-Policy", async (route, type) => {
    const response = await fetch(`${stack.url}${route}`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(type);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/default-src '(self|none)'/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });
});
