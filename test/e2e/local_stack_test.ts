import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import type { Buffer } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  cronMatches,
  type HealthReport,
  idleFingerprint,
  isReconciled,
  isReplayDone,
  parseCronTriggers,
  pendingWork,
  REPO_ROOT,
  spawnLogged,
  startLocalStack,
  stopChild,
} from "../../scripts/lib/local_stack.ts";

/** Alive and not a zombie (a container's pid 1 may never reap reparented children). */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
};

describe("parseCronTriggers()", () => {
  it("reads every cron of the [triggers] table, ignoring comments and other tables", () => {
    const toml = `
name = "x"
crons = ["0 0 * * *"]
[triggers]
# "not this one"
crons = [
  "* * * * *", # every minute
  '17 * * * *',
  "*/15 * * * *",
]
[vars]
A = "1"`;
    expect(parseCronTriggers(toml)).toEqual(["* * * * *", "17 * * * *", "*/15 * * * *"]);
  });

  it("returns nothing without a [triggers] table", () => {
    expect(parseCronTriggers(`name = "x"\n[vars]\nA = "1"`)).toEqual([]);
  });
});

describe("cronMatches()", () => {
  const at = (iso: string) => new Date(iso);
  it("matches wildcards, fixed minutes, steps and ranges in UTC", () => {
    expect(cronMatches("* * * * *", at("2026-01-01T10:17:59Z"))).toBe(true);
    expect(cronMatches("17 * * * *", at("2026-01-01T10:17:00Z"))).toBe(true);
    expect(cronMatches("17 * * * *", at("2026-01-01T10:18:00Z"))).toBe(false);
    expect(cronMatches("*/15 * * * *", at("2026-01-01T10:45:00Z"))).toBe(true);
    expect(cronMatches("*/15 * * * *", at("2026-01-01T10:46:00Z"))).toBe(false);
    expect(cronMatches("0 9-17 * * 1-5", at("2026-01-02T12:00:00Z"))).toBe(true); // a Friday
    expect(cronMatches("0 9-17 * * 1-5", at("2026-01-03T12:00:00Z"))).toBe(false); // a Saturday
    expect(cronMatches("0 0 * * 7", at("2026-01-04T00:00:00Z"))).toBe(true); // Sunday as 7
  });

  it("rejects syntax it does not understand", () => {
    expect(() => cronMatches("0 0 * * MON#2", new Date())).toThrow(RangeError);
    expect(() => cronMatches("* * * *", new Date())).toThrow(RangeError);
  });
});

describe("idle detection", () => {
  const events = { received: 110, canary: 10, bronze: 100, silver: 90, quarantine: 7, duplicate: 3 };
  it("reconciles received − canary = bronze = silver + quarantine + duplicate", () => {
    expect(isReconciled(events)).toBe(true);
    expect(isReconciled({ ...events, bronze: 99 })).toBe(false);
    expect(isReconciled({ ...events, duplicate: 2 })).toBe(false);
  });

  it("reads the replay server's progress in the shapes it may report", () => {
    expect(isReplayDone({ frames: 10, eventsServed: 12, position: { next: 9 } })).toBe(false);
    expect(isReplayDone({ frames: 10, eventsServed: 10, position: { next: 10 } })).toBe(true);
    expect(isReplayDone({ done: true })).toBe(true);
    expect(isReplayDone({ finished: false, served: 10, total: 10 })).toBe(false);
    expect(isReplayDone({ served: 10, total: 10 })).toBe(true);
    expect(isReplayDone({ events_served: 9, events_total: 10 })).toBe(false);
    expect(isReplayDone({ uptime: 3 })).toBeNull();
  });

  it("fingerprints counts, watermark and snapshot ids but not rates", () => {
    const h = (snap: number, rate: number): HealthReport => ({
      status: "ok",
      watermark: null,
      events,
      tables: { silver_wiki_events: { current_snapshot_id: snap, events_per_second: rate } },
    });
    expect(idleFingerprint(h(1, 5))).toBe(idleFingerprint(h(1, 9)));
    expect(idleFingerprint(h(1, 5))).not.toBe(idleFingerprint(h(2, 5)));
  });

  it("sums the rows still pending a commit", () => {
    const h = {
      status: "ok",
      watermark: null,
      events,
      queue: { rows_pending_commit: 3 },
      tables: { t: { pending_rows: 2 } },
    };
    expect(pendingWork(h)).toBe(5);
  });
});

describe("child processes", () => {
  it("stopChild() ends the whole process tree, grandchildren included", async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-")), "tree.log");
    const child = spawnLogged("tree", "bash", ["-c", "sleep 300 & sleep 300 & echo $! ; wait"], {
      cwd: REPO_ROOT,
      env: process.env,
      logFile: log,
    });
    let grandchild = 0;
    for (let i = 0; i < 50 && !grandchild; i++) {
      await sleep(100);
      grandchild = Number(/^(\d+)$/m.exec(fs.readFileSync(log, "utf8"))?.[1] ?? 0);
    }
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(true);
    await stopChild(child, 2_000);
    await sleep(200);
    expect(isAlive(child.proc.pid!)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
  });

  it("stops every child tree when the parent gets SIGTERM, then exits by that signal", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-sig-"));
    const script = path.join(dir, "parent.ts");
    fs.writeFileSync(
      script,
      `import { spawnLogged } from ${JSON.stringify(path.join(REPO_ROOT, "scripts/lib/local_stack.ts"))};
const c = spawnLogged("tree", "bash", ["-c", "sleep 300 & echo $! ; wait"], { cwd: "/", env: process.env, logFile: ${
        JSON.stringify(path.join(dir, "tree.log"))
      } });
console.log("child " + c.proc.pid);
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<string | null>((r) => parent.once("exit", (_code, signal) => r(signal)));
    let child = 0;
    let grandchild = 0;
    parent.stdout.on("data", (d: Buffer) => child ||= Number(/child (\d+)/.exec(String(d))?.[1] ?? 0));
    for (let i = 0; i < 100 && !(child && grandchild); i++) {
      await sleep(100);
      grandchild = Number(
        /^(\d+)$/m.exec(
          fs.existsSync(path.join(dir, "tree.log"))
            ? fs.readFileSync(path.join(dir, "tree.log"), "utf8")
            : "",
        )?.[1] ?? 0,
      );
    }
    expect(isAlive(grandchild)).toBe(true);
    parent.kill("SIGTERM");
    expect(await exited).toBe("SIGTERM");
    expect([isAlive(child), isAlive(grandchild)]).toEqual([false, false]);
  });

  it("startLocalStack() fails clearly, with the child's log, when the replay server dies", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-root-"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    fs.mkdirSync(path.join(root, "scripts"));
    fs.writeFileSync(
      path.join(root, "scripts", "replay_server.ts"),
      `console.error("replay: cannot open " + Deno.args.join(" ")); Deno.exit(3);\n`,
    );
    const start = startLocalStack({
      root,
      files: ["missing.jsonl"],
      speed: "max",
      persistDir: path.join(root, "state"),
      log: () => {},
    });
    await expect(start).rejects.toThrow(
      /replay server exited early; last log lines:\n[\s\S]*replay: cannot open/,
    );
    expect(fs.existsSync(path.join(root, "logs", "replay.log"))).toBe(true);
  });
});

/** A stand-in Worker and replay server, to exercise the launcher against real wrangler/workerd. */
function makeStubRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-stub-"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
  fs.mkdirSync(path.join(root, "scripts"));
  fs.writeFileSync(
    path.join(root, "wrangler.toml"),
    `name = "stub"\nmain = "worker.js"\ncompatibility_date = "2026-11-01"\n[triggers]\ncrons = ["*/5 * * * *"]\n`,
  );
  fs.writeFileSync(
    path.join(root, "worker.js"),
    `let started = false; const crons = [];
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/api/health") {
      const n = started ? 3 : 0;
      return Response.json({ status: "ok", watermark: null, crons, vars: { STREAM_URL: env.STREAM_URL, AUTO_START: env.AUTO_START },
        events: { received: n, canary: 0, bronze: n, silver: n, quarantine: 0, duplicate: 0 } });
    }
    if (pathname === "/api/admin/ingest/start" && request.method === "POST") {
      if (request.headers.get("authorization") !== "Bearer " + env.ADMIN_TOKEN) return new Response("no", { status: 401 });
      started = true;
      return Response.json({ ok: true });
    }
    return new Response("not found", { status: 404 });
  },
  async scheduled(controller) { crons.push(controller.cron); },
};
`,
  );
  fs.writeFileSync(
    path.join(root, "scripts", "replay_server.ts"),
    `const port = Number(Deno.args[Deno.args.indexOf("--port") + 1]);
Deno.serve({ port, hostname: "127.0.0.1" }, (r) => Response.json(new URL(r.url).pathname === "/stats"
  ? { frames: 3, eventsServed: 3, position: { next: 3, lastId: null } } : { status: "ok" }));
`,
  );
  return root;
}

/** Processes of the given groups that are still running (zombies excluded). */
function survivors(groups: number[]): string[] {
  const ps = spawnSync("ps", ["-eo", "pid=,pgid=,stat=,args="], { encoding: "utf8" }).stdout;
  return ps.split("\n").filter((l) => {
    const [, pgid, stat] = l.trim().split(/\s+/);
    return groups.includes(Number(pgid)) && !stat?.startsWith("Z");
  });
}

describe("startLocalStack() against real wrangler dev", () => {
  it("starts, passes vars, starts ingestion, fires crons, goes idle and stops every process", async () => {
    const root = makeStubRoot();
    const lines: string[] = [];
    const stack = await startLocalStack({
      root,
      files: [path.join(root, "wrangler.toml")],
      speed: "max",
      port: 0,
      persistDir: path.join(root, "state"),
      token: "t0k3n",
      log: (l) => lines.push(l),
    });
    try {
      const h = await stack.health();
      expect(h.vars).toEqual({
        STREAM_URL: `${stack.replayUrl}/v2/stream/recentchange`,
        AUTO_START: "false",
      });
      expect(h.events.received).toBe(3);
      expect((await stack.fireCron("*/5 * * * *")).status).toBe(200);
      expect((await stack.health()).crons).toEqual(["*/5 * * * *"]);
      const idle = await stack.waitIdle({ timeoutMs: 30_000, quietMs: 1_000 });
      expect(idle.events.bronze).toBe(3);
      expect(lines.join("\n")).toMatch(/driving crons "\*\/5 \* \* \* \*"/);
      expect(fs.existsSync(path.join(root, "logs", "wrangler.log"))).toBe(true);
    } finally {
      await stack.stop();
    }
    await sleep(300);
    expect(survivors(stack.pids)).toEqual([]);
  }, 120_000);
});
