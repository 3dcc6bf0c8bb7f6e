import assert from "node:assert/strict";
import {
  backfillProgress,
  describeFailure,
  EXIT,
  isLocalUrl,
  parseOpsArgs,
  planRequest,
  statusVerdict,
  UsageError,
} from "./ops_cli.ts";
import { runOps } from "./ops_run.ts";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseOpsArgs(argv, env);
  if ("help" in r) throw new Error("help");
  return r;
};

Deno.test("parses commands, options, the URL and the token (flag over env)", () => {
  const a = parse(["start", "--since", "2026-01-01T00:00:00Z", "--url=http://w.example/"], {
    ADMIN_TOKEN: "e",
  });
  assert.equal(a.command, "start");
  assert.equal(a.url, "http://w.example");
  assert.equal(a.token, "e");
  assert.equal(parse(["stop", "--token", "t"], { ADMIN_TOKEN: "e" }).token, "t");
  assert.equal(parse(["status"], {}).url, "http://127.0.0.1:8787");
  assert.deepEqual(parseOpsArgs([], {}), { help: true });
  assert.deepEqual(parseOpsArgs(["status", "--help"], {}), { help: true });
});

Deno.test("rejects bad usage with a UsageError", () => {
  for (
    const argv of [
      ["frobnicate"],
      ["reset"],
      ["dead-letters", "purge"],
      ["status", "--bogus"],
      ["status", "--url"],
      ["status", "--url", "ftp://x"],
      ["start", "--since", "yesterday"],
      ["dead-letters", "list", "--limit", "-1"],
      ["stop", "--token", "a", "--token", "b"],
      ["stop", "extra"],
    ]
  ) {
    assert.throws(() => parseOpsArgs(argv, {}), UsageError, argv.join(" "));
  }
  assert.throws(() => planRequest(parse(["backfill"])), UsageError);
});

Deno.test("plans the request of each command", () => {
  const p = (argv: string[]) => planRequest(parse(argv));
  assert.deepEqual(p(["status"]), { method: "GET", path: "/api/health", admin: false });
  assert.deepEqual(p(["start", "--stream-url", "http://127.0.0.1:9/s"]), {
    method: "POST",
    path: "/api/admin/ingest/start?url=http%3A%2F%2F127.0.0.1%3A9%2Fs",
    admin: true,
  });
  assert.equal(
    p(["backfill", "--since", "2026-01-01T00:00:00Z"])!.path,
    "/api/admin/ingest/start?since=2026-01-01T00%3A00%3A00Z",
  );
  assert.equal(p(["maintenance", "--job", "compact"])!.path, "/api/admin/maintenance?job=compact");
  assert.equal(p(["dead-letters"])!.path, "/api/admin/dead-letters");
  assert.deepEqual(p(["dead-letters", "replay", "--limit", "5"]), {
    method: "POST",
    path: "/api/admin/dead-letters/replay?limit=5",
    admin: true,
  });
  assert.equal(p(["reset", "--yes"])!.path, "/api/admin/reset?confirm=yes");
  assert.equal(p(["init"]), null);
});

Deno.test("maps failures to messages and exit codes", () => {
  const u = "http://w";
  const body = JSON.stringify({ error: { status: 403, message: "Invalid admin token" } });
  assert.equal(describeFailure(u, { status: 401, body: "" }).exitCode, EXIT.auth);
  assert.match(describeFailure(u, { status: 403, body }).message, /wrong \(Invalid admin token\)/);
  assert.equal(describeFailure(u, { status: 503, body: "{}" }).exitCode, EXIT.disabled);
  assert.equal(describeFailure(u, { status: 500, body: "boom" }).exitCode, EXIT.failed);
  const refused = describeFailure(u, {
    error: Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }),
  });
  assert.equal(refused.exitCode, EXIT.unreachable);
  assert.match(refused.message, /cannot reach http:\/\/w \(ECONNREFUSED\)/);
});

Deno.test("runOps against a small local server: ok, 401, 403, 503, unreachable", async () => {
  let adminToken: string | null = "right";
  const seen: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === "/api/health") return Response.json({ status: "ok", reasons: [] });
    const err = (status: number, message: string) =>
      Response.json({ error: { status, message } }, { status });
    if (adminToken === null) return err(503, "Admin API disabled: no ADMIN_TOKEN secret is configured");
    const auth = req.headers.get("authorization");
    if (!auth) return err(401, "Missing bearer token");
    if (auth !== `Bearer ${adminToken}`) return err(403, "Invalid admin token");
    return Response.json({ ok: true });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps([...argv, "--url", base], env, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  try {
    const status = await run(["status"]);
    assert.equal(status.code, EXIT.ok);
    assert.equal(JSON.parse(status.out).status, "ok");
    assert.equal((await run(["stop"], { ADMIN_TOKEN: "right" })).code, EXIT.ok);
    assert.equal((await run(["stop"])).code, EXIT.auth); // no token: refused before any request
    const wrong = await run(["dead-letters", "replay", "--limit", "3"], { ADMIN_TOKEN: "nope" });
    assert.equal(wrong.code, EXIT.auth);
    assert.match(wrong.err, /403 .*wrong/);
    adminToken = null;
    const off = await run(["reset", "--yes", "--token", "x"]);
    assert.equal(off.code, EXIT.disabled);
    assert.match(off.err, /wrangler secret put ADMIN_TOKEN/);
    assert.equal((await run(["frobnicate"])).code, EXIT.usage);
    assert.deepEqual(seen, [
      "GET /api/health",
      "POST /api/admin/ingest/stop",
      "POST /api/admin/dead-letters/replay?limit=3",
      "POST /api/admin/reset?confirm=yes",
    ]);
  } finally {
    await server.shutdown();
  }
  const gone = await runOps(["status", "--url", base], {}, { out: () => {}, err: () => {} });
  assert.equal(gone, EXIT.unreachable);
});

Deno.test("status exit codes follow the verdict: 0 ok, 6 degraded, 7 down", () => {
  assert.deepEqual(statusVerdict({ status: "ok", reasons: [] }), { exitCode: 0, line: "status: ok" });
  assert.deepEqual(
    statusVerdict({ status: "degraded", reasons: ["1 dead letter(s) waiting for a replay"] }),
    {
      exitCode: 6,
      line: "status: degraded — 1 dead letter(s) waiting for a replay",
    },
  );
  assert.equal(statusVerdict({ status: "down", reasons: ["a", "b"] }).line, "status: down — a; b");
  assert.equal(statusVerdict({ status: "down" }).exitCode, EXIT.down);
  assert.equal(statusVerdict({}).exitCode, EXIT.failed);
});

Deno.test("backfill progress: counts, delta, lag, caught up under 60 s of lag while connected", () => {
  const first = backfillProgress({
    events: { received: 100, silver: 90 },
    ingestor: { lag_seconds: 3600, connected: true },
  }, null);
  assert.equal(first.line, "  backfill: 100 events received, 90 in silver, lag 3600 s, connected");
  assert.equal(first.caughtUp, false);
  const next = backfillProgress({
    events: { received: 250, silver: 240 },
    ingestor: { lag_seconds: 12.4, connected: true },
  }, 100);
  assert.equal(next.line, "  backfill: 250 events received (+150), 240 in silver, lag 12 s, connected");
  assert.equal(next.caughtUp, true);
  assert.equal(backfillProgress({ ingestor: { lag_seconds: 5, connected: false } }, 0).caughtUp, false);
  assert.equal(backfillProgress({ ingestor: { lag_seconds: null, connected: true } }, 0).caughtUp, false);
});

Deno.test("init runs locally only for a loopback --url", async () => {
  assert.equal(isLocalUrl("http://127.0.0.1:8787"), true);
  assert.equal(isLocalUrl("http://localhost:8787"), true);
  assert.equal(isLocalUrl("https://wikiflare.example.workers.dev"), false);
  const err: string[] = [];
  const code = await runOps(["init", "--url", "https://wikiflare.example.workers.dev"], {}, {
    out: () => {},
    err: (s) => err.push(s),
  });
  assert.equal(code, EXIT.ok);
  assert.match(err.join("\n"), /deployed Worker: it creates its tables on its first commit/);
});
