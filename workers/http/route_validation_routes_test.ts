/**
 * Table-driven validation suite over every route of the Hono app (`app.routes`): each route has
 * an entry below naming its parameters (or none), and every parameter gets path traversal, an
 * overlong value, a NUL byte, injection-shaped strings, a repeated parameter (query ones), and
 * out-of-range numbers / bad enums / bad times by kind — each must answer 400 with the JSON error
 * shape (the Iceberg catalog answers its REST spec's ErrorModel with code 400). A route of the app
 * without an entry fails the suite, so a new route cannot skip validation. Admin routes are
 * called with the right token; no case reaches a handler's action (every value is invalid).
 */
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { app } from "./app.ts";

type Kind = "time" | "int" | "enum" | "wiki" | "table" | "namespace" | "url" | "snapshot" | "confirm";
interface Param {
  name: string;
  in: "query" | "path";
  kind: Kind;
  /** A valid value (used for the repeated-parameter case and for path parameters left intact). */
  valid: string;
  /** Out-of-range or not-in-the-list values of this kind. */
  bad?: string[];
}
interface RouteCase {
  params: Param[];
  /** Error shape: ours (`{error:{status,message}}`) or the Iceberg REST ErrorModel. */
  shape?: "api" | "iceberg";
}

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T01:00:00Z";
const int = (name: string, min: number, max: number): Param => ({
  name,
  in: "query",
  kind: "int",
  valid: String(min),
  bad: [String(min - 1), String(max + 1), "-1", "1.5", "1e3", "0x10", "99999999999999999999", "NaN", " 1"],
});
const enumOf = (name: string, values: string[]): Param => ({
  name,
  in: "query",
  kind: "enum",
  valid: values[0],
  bad: [
    values[0].toUpperCase() === values[0] ? values[0].toLowerCase() : values[0].toUpperCase(),
    "NOPE",
    "",
  ],
});
const time = (name: string): Param => ({
  name,
  in: "query",
  kind: "time",
  valid: name === "to" ? T1 : T0,
  bad: [
    "2026-13-01T00:00:00Z",
    "2026-01-01",
    "1",
    "yesterday",
    "2026-01-01T00:00:00",
    "+275760-09-13T00:00:00Z",
  ],
});
const RANGE = [time("from"), time("to")];
const FILTERS: Param[] = [
  { name: "wiki", in: "query", kind: "wiki", valid: "enwiki", bad: ["EN", "en-wiki", "a".repeat(65), ""] },
  enumOf("user_type", ["BOT", "REGISTERED", "ANONYMOUS"]),
  enumOf("edit_size", ["LARGE", "SMALL", "LARGE_REMOVAL"]),
  enumOf("change_type", ["edit", "new", "log", "categorize", "external"]),
];
const NONE: RouteCase = { params: [] };
const TABLE: Param = {
  name: "table",
  in: "path",
  kind: "table",
  valid: "silver_wiki_events",
  bad: ["SILVER_WIKI_EVENTS", "wiki.", ".hidden"],
};
// A well-formed unknown namespace stays a 404 NoSuchNamespaceException (REST spec; iceberg test).
const NS: Param = {
  name: "ns",
  in: "path",
  kind: "namespace",
  valid: "wiki",
  bad: ["wiki.x", "a".repeat(256)],
};

// A catalog table name: a well-formed unknown one stays a 404 NoSuchTableException (REST spec).
const ICEBERG_TABLE: Param = {
  name: "table",
  in: "path",
  kind: "table",
  valid: "silver_wiki_events",
  bad: ["wiki.silver_wiki_events", "a".repeat(256)],
};

/** Every route of the app, by `METHOD path` as Hono lists it. */
const ROUTES: Record<string, RouteCase> = {
  "GET /api/health": NONE,
  "GET /api/tables": NONE,
  "GET /api/tables/:table/snapshots": { params: [TABLE] },
  "GET /api/kpis/latest": NONE,
  "GET /api/kpis": {
    params: [...RANGE, time("as_of"), {
      name: "snapshot_id",
      in: "query",
      kind: "snapshot",
      valid: "1",
      bad: ["-1", "1.5", "0x10", "1".repeat(30)],
    }],
  },
  "GET /api/events/timeseries": { params: [...RANGE, ...FILTERS, enumOf("bucket", ["1m", "5m", "1h"])] },
  "GET /api/events/breakdown": {
    params: [
      ...RANGE,
      ...FILTERS,
      enumOf("by", ["user_type", "edit_size", "change_type", "wiki"]),
      int("limit", 1, 100),
    ],
  },
  "GET /api/events/top-pages": { params: [...RANGE, ...FILTERS, int("limit", 1, 100)] },
  "GET /api/events/recent": { params: [...RANGE, ...FILTERS, int("limit", 1, 500)] },
  "GET /api/anomalies": { params: RANGE },
  "GET /api/openapi.json": NONE,
  "GET /docs": NONE,
  "GET /api/live": NONE,
  "GET /api/admin/dead-letters": { params: [int("limit", 1, 1000)] },
  "POST /api/admin/dead-letters/replay": { params: [int("limit", 1, 1000)] },
  "POST /api/admin/maintenance": {
    params: [
      enumOf("job", ["compact", "rewrite_manifests", "expire_snapshots", "remove_orphans"]),
      {
        name: "table",
        in: "query",
        kind: "table",
        valid: "silver_wiki_events",
        bad: ["wiki.silver_wiki_events", "x"],
      },
    ],
  },
  "POST /api/admin/ingest/start": {
    params: [
      {
        name: "url",
        in: "query",
        kind: "url",
        valid: "http://127.0.0.1:9/stream",
        bad: ["file:///etc/passwd", "javascript:alert(1)", "//evil.example", `http://x/${"a".repeat(2100)}`],
      },
      { ...time("since"), bad: [...time("since").bad!, "2999-01-01T00:00:00Z"] },
    ],
  },
  "POST /api/admin/ingest/stop": NONE,
  "POST /api/admin/correction": { params: [int("lookback_hours", 1, 168), int("max_files", 1, 1000)] },
  "POST /api/admin/reset": {
    params: [{
      name: "confirm",
      in: "query",
      kind: "confirm",
      valid: "yes",
      bad: ["YES", "no", "true", "1"],
    }],
  },
  "GET /iceberg/v1/config": NONE,
  "GET /iceberg/v1/namespaces": NONE,
  "GET /iceberg/v1/namespaces/:ns": { params: [NS], shape: "iceberg" },
  "HEAD /iceberg/v1/namespaces/:ns": { params: [NS], shape: "iceberg" },
  "GET /iceberg/v1/namespaces/:ns/tables": { params: [NS], shape: "iceberg" },
  "GET /iceberg/v1/namespaces/:ns/tables/:table": {
    params: [NS, ICEBERG_TABLE, { ...enumOf("snapshots", ["all", "refs"]) }],
    shape: "iceberg",
  },
  "HEAD /iceberg/v1/namespaces/:ns/tables/:table": { params: [NS, ICEBERG_TABLE], shape: "iceberg" },
  "POST /iceberg/v1/*": NONE, // writes are refused (405) whatever the path
  "PUT /iceberg/v1/*": NONE,
  "DELETE /iceberg/v1/*": NONE,
  "PATCH /iceberg/v1/*": NONE,
  "GET /metrics": NONE,
};

/** Values every parameter of every kind must reject. */
const HOSTILE: [string, string][] = [
  ["path traversal", "../../../etc/passwd"],
  ["encoded traversal", "..%2F..%2Fetc%2Fpasswd"],
  ["overlong", "a".repeat(5_000)],
  ["NUL byte", "wiki\u0000.x"],
  ["SQL injection", "' OR '1'='1' --"],
  ["statement injection", "1; DROP TABLE silver_wiki_events"],
  ["markup", "<script>alert(1)</script>"],
  ["template", "${jndi:ldap://127.0.0.1/x}"],
  ["CRLF", "x\r\nSet-Cookie: a=b"],
];

/** Handlers of the app (middleware entries are method ALL), deduplicated. */
function appRoutes(): string[] {
  return [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))];
}

function buildRequest(
  route: string,
  c: RouteCase,
  override: { param: Param; query?: string; value?: string },
) {
  const [method, pattern] = route.split(" ");
  let path = pattern;
  for (const p of c.params.filter((p) => p.in === "path")) {
    const value = p === override.param && override.value !== undefined ? override.value : p.valid;
    path = path.replace(`:${p.name}`, encodeURIComponent(value));
  }
  const query = override.query ?? "";
  const headers = route.includes("/api/admin") ? { Authorization: `Bearer ${env.ADMIN_TOKEN}` } : undefined;
  return { method, url: `${path}${query ? `?${query}` : ""}`, headers };
}

function casesOf(route: string, c: RouteCase) {
  const cases: { label: string; req: ReturnType<typeof buildRequest> }[] = [];
  for (const p of c.params) {
    const values: [string, string][] = [
      ...HOSTILE,
      ...(p.bad ?? []).map((v) => [`bad ${p.kind}`, v] as [string, string]),
    ];
    for (const [what, value] of values) {
      const req = p.in === "path"
        ? buildRequest(route, c, { param: p, value })
        : buildRequest(route, c, { param: p, query: `${p.name}=${encodeURIComponent(value)}` });
      cases.push({ label: `${p.name}: ${what} ${JSON.stringify(value.slice(0, 40))}`, req });
    }
    if (p.in === "query") {
      const one = `${p.name}=${encodeURIComponent(p.valid)}`;
      cases.push({
        label: `${p.name}: repeated`,
        req: buildRequest(route, c, { param: p, query: `${one}&${one}` }),
      });
    }
  }
  return cases;
}

describe("route validation suite", () => {
  // Should a regression let an invalid ingest/start through, leave no ingestor running.
  afterAll(async () => {
    await app.request("/api/admin/ingest/stop", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` },
    }, env);
  });

  it("has a validation entry for every route of the app (a new route must add one)", () => {
    const missing = appRoutes().filter((r) => !(r in ROUTES));
    expect(missing).toEqual([]);
    const stale = Object.keys(ROUTES).filter((r) => !appRoutes().includes(r));
    expect(stale).toEqual([]);
  });

  for (const [route, c] of Object.entries(ROUTES)) {
    if (c.params.length === 0) continue;
    it(`${route}: every hostile, malformed and out-of-range parameter is a 400 with the error shape`, async () => {
      const failures: string[] = [];
      for (const { label, req } of casesOf(route, c)) {
        const response = await app.request(req.url, { method: req.method, headers: req.headers }, env);
        const text = req.method === "HEAD" ? "" : await response.text();
        let ok = response.status === 400;
        if (ok && req.method !== "HEAD") {
          try {
            const body = JSON.parse(text);
            ok = c.shape === "iceberg"
              ? body.error?.code === 400 && typeof body.error.message === "string"
              : body.error?.status === 400 && typeof body.error.message === "string" &&
                body.error.message !== "";
          } catch {
            ok = false;
          }
        }
        if (!ok) failures.push(`${label} → ${response.status} ${text.slice(0, 120)}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
