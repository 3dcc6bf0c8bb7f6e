import fs from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { classifyEvent, editSizeOf, isIpAddress, parseEventTime, userTypeOf } from "./silver_rules.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);
const T0 = Date.UTC(2026, 0, 1, 0, 1, 0, 250); // 2026-01-01T00:01:00.250Z
const INGESTED = T0 + 5_500;
const DELETE = Symbol("delete");
const BASE = {
  $schema: "/mediawiki/recentchange/1.0.0",
  meta: {
    id: "id-1",
    dt: "2026-01-01T00:01:00.250Z",
    domain: "en.wikipedia.org",
    stream: "mediawiki.recentchange",
  },
  type: "edit",
  namespace: 0,
  title: "A",
  user: "Alice",
  bot: false,
  minor: true,
  length: { old: 100, new: 700 },
  revision: { old: 10, new: 11 },
  server_name: "en.wikipedia.org",
  wiki: "enwiki",
  comment: "grow",
  timestamp: 1767225659,
};

/** BASE as JSON text with dotted paths set (or deleted with DELETE). */
function variant(changes: Record<string, unknown>): string {
  const event = structuredClone(BASE) as Record<string, any>;
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce((o, k) => o[k], event);
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
  }
  return JSON.stringify(event);
}

const classify = (data: string) => classifyEvent(data, INGESTED);
const rowOf = (data: string) => {
  const result = classify(data);
  if (!result.ok) throw new Error(`expected a silver row, got ${JSON.stringify(result)}`);
  return result.row;
};

describe("classifyEvent() enrichment", () => {
  it("maps a full event to every silver column", () => {
    expect(rowOf(variant({}))).toEqual({
      event_id: "id-1",
      event_time: T0,
      wiki: "enwiki",
      server_name: "en.wikipedia.org",
      page_title: "A",
      namespace: 0,
      change_type: "edit",
      user_name: "Alice",
      is_bot: false,
      is_minor: true,
      bytes_diff: 600,
      processing_delay_seconds: 5,
      edit_size: "LARGE",
      user_type: "REGISTERED",
      comment: "grow",
      revision_new: 11,
      ingestion_time: INGESTED,
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["minor absent → false", { minor: DELETE }, { is_minor: false }],
    ["minor null → false", { minor: null }, { is_minor: false }],
    ["bot absent → false", { bot: DELETE, user: "1.2.3.4" }, { is_bot: false, user_type: "ANONYMOUS" }],
    ["bot null → false", { bot: null }, { is_bot: false, user_type: "REGISTERED" }],
    ["bot true wins over an IP", { bot: true, user: "1.2.3.4" }, { is_bot: true, user_type: "BOT" }],
    ["temporary account", { user: "~2025-31415-92" }, { user_type: "ANONYMOUS" }],
    ["IPv6 user", { user: "2A01:E0A:9EC:DEB0:6874:A0C6:EAFF:F512" }, { user_type: "ANONYMOUS" }],
    ["length absent → 0", { length: DELETE }, { bytes_diff: 0, edit_size: "SMALL" }],
    ["length {} → 0", { length: {} }, { bytes_diff: 0 }],
    ["new page: no old side", { "length.old": DELETE }, { bytes_diff: 700 }],
    ["null new side counts 0", { "length.new": null }, { bytes_diff: -100 }],
    ["diff 500 is SMALL", { "length.new": 600 }, { bytes_diff: 500, edit_size: "SMALL" }],
    ["diff 501 is LARGE", { "length.new": 601 }, { edit_size: "LARGE" }],
    ["diff −500 is SMALL", { "length.new": 0, "length.old": 500 }, { bytes_diff: -500, edit_size: "SMALL" }],
    ["diff −501 is LARGE_REMOVAL", { "length.new": 0, "length.old": 501 }, { edit_size: "LARGE_REMOVAL" }],
    ["namespace absent → null", { namespace: DELETE }, { namespace: null }],
    ["namespace −1", { namespace: -1 }, { namespace: -1 }],
    ["server_name absent → null", { server_name: DELETE }, { server_name: null }],
    ["comment absent → null", { comment: DELETE }, { comment: null }],
    ["comment null → null", { comment: null }, { comment: null }],
    ["empty comment kept", { comment: "" }, { comment: "" }],
    ["revision absent → null", { revision: DELETE }, { revision_new: null }],
    ["revision.new null → null", { "revision.new": null }, { revision_new: null }],
    ["no meta.dt → timestamp × 1000", { "meta.dt": DELETE }, { event_time: 1767225659000 }],
    ["null meta.dt → timestamp × 1000", { "meta.dt": null }, { event_time: 1767225659000 }],
    ["meta.dt wins over timestamp", { timestamp: 1 }, { event_time: T0 }],
    ["whole-second meta.dt", { "meta.dt": "2026-01-01T00:01:00Z" }, { event_time: T0 - 250 }],
    ["sub-ms digits truncated", { "meta.dt": "2026-01-01T00:01:00.250999Z" }, { event_time: T0 }],
    ["one fraction digit", { "meta.dt": "2026-01-01T00:01:00.2Z" }, { event_time: T0 - 50 }],
    ["+02:00 offset", { "meta.dt": "2026-01-01T02:01:00.250+02:00" }, { event_time: T0 }],
    ["−05:30 offset", { "meta.dt": "2025-12-31T18:31:00.250-05:30" }, { event_time: T0 }],
    ["lower-case t and z", { "meta.dt": "2026-01-01t00:01:00.250z" }, { event_time: T0 }],
    ["meta.dt without timestamp", { timestamp: DELETE }, { event_time: T0 }],
    ["unused fields are not checked", { "revision.old": "x", patrolled: 3, log_params: 1 }, {
      revision_new: 11,
    }],
    ["empty title and meta.id", { title: "", "meta.id": "" }, { page_title: "", event_id: "" }],
    ["integral 1.0 namespace", { namespace: 1.0 }, { namespace: 1 }],
  ])("%s", (_name, changes, expected) => {
    expect(rowOf(variant(changes))).toMatchObject(expected);
  });

  it.each(["edit", "new", "log", "categorize", "external"])("accepts change type %s", (type) => {
    expect(rowOf(variant({ type })).change_type).toBe(type);
  });

  it("floors the processing delay, which may be negative", () => {
    const delay = (ingested: number) =>
      (classifyEvent(variant({}), ingested) as { row: { processing_delay_seconds: number } }).row
        .processing_delay_seconds;
    expect([T0, T0 + 999, T0 + 1000, T0 - 1, T0 - 1000, T0 - 1001].map(delay)).toEqual([0, 0, 1, -1, -1, -2]);
    expect(Object.is(delay(T0), 0)).toBe(true);
  });

  it("tells canaries apart from invalid events, even broken ones", () => {
    expect(classify(variant({ "meta.domain": "canary" }))).toEqual({ ok: false, kind: "canary" });
    expect(classify(variant({ "meta.domain": "canary", user: DELETE }))).toEqual({
      ok: false,
      kind: "canary",
    });
  });

  it("throws on a non-finite ingestion time (a caller bug)", () => {
    expect(() => classifyEvent(variant({}), Number.NaN)).toThrow(RangeError);
  });
});

/** Whitespace-separated lists keep the tables below short. */
const words = (text: string) => text.trim().split(/\s+/);
const BAD_DATES = [
  ...words(`yesterday 2026-01-01 2026-01-01T00:00:00 2026-02-30T00:00:00Z 2025-02-29T00:00:00Z
    2026-04-31T00:00:00Z 2026-13-01T00:00:00Z 2026-00-10T00:00:00Z 2026-01-01T24:00:00Z 2026-01-01T00:60:00Z
    2026-01-01T00:00:60Z 2026-01-01T00:00:00+0100 2026-01-01T00:00:00+01 2026-01-01T00:00:00+24:00
    2026-01-01T00:00:00+01:60 2026-01-01T00:00:00.Z 2026-1-01T00:00:00Z +002026-01-01T00:00:00Z
    2026-01-01T00:00:00ZZ 2026-01-01T00:00Z ２０２６-01-01T00:00:00Z 2026-01-01T00:00:00.123`),
  "2026-01-01 00:00:00Z",
  " 2026-01-01T00:00:00Z",
  "Thu, 01 Jan 2026 00:00:00 GMT",
  "",
];

describe("classifyEvent() quarantine reasons", () => {
  it.each<[string, string, RegExp]>([
    ["truncated JSON", "{oops", /^not valid JSON: /],
    ["empty text", "", /^not valid JSON: /],
    ["an array", "[1,2]", /^not a JSON object: got an array$/],
    ["a number", "42", /^not a JSON object: got number 42$/],
    ["a string", '"x"', /^not a JSON object: got string "x"$/],
    ["null", "null", /^not a JSON object: got null$/],
    ["no meta", variant({ meta: DELETE }), /^missing field "meta.id"$/],
    ["meta a string", variant({ meta: "x" }), /^"meta" must be an object, got string "x"$/],
    ["meta an array", variant({ meta: [] }), /^"meta" must be an object, got an array$/],
    ["no meta.id", variant({ "meta.id": DELETE }), /^missing field "meta.id"$/],
    ["null meta.id", variant({ "meta.id": null }), /^missing field "meta.id" \(it is null\)$/],
    ["no type", variant({ type: DELETE }), /^missing field "type"$/],
    ["no wiki", variant({ wiki: DELETE }), /^missing field "wiki"$/],
    ["no title", variant({ title: DELETE }), /^missing field "title"$/],
    ["no user", variant({ user: DELETE }), /^missing field "user"$/],
    ["null user", variant({ user: null }), /^missing field "user" \(it is null\)$/],
    ["numeric meta.id", variant({ "meta.id": 5 }), /^"meta.id" must be a string, got number 5$/],
    ["numeric type", variant({ type: 0 }), /^"type" must be a string, got number 0$/],
    ["boolean wiki", variant({ wiki: true }), /^"wiki" must be a string, got boolean true$/],
    ["array title", variant({ title: ["A"] }), /^"title" must be a string, got an array$/],
    ["numeric user", variant({ user: 42 }), /^"user" must be a string, got number 42$/],
    [
      "unknown type",
      variant({ type: "Edit" }),
      /^unknown change type "Edit" \(expected one of edit, new, log/,
    ],
    ["empty type", variant({ type: "" }), /^unknown change type ""/],
    [
      "no time",
      variant({ "meta.dt": DELETE, timestamp: DELETE }),
      /^missing both "meta.dt" and "timestamp"$/,
    ],
    ["null times", variant({ "meta.dt": null, timestamp: null }), /^missing both/],
    ["numeric meta.dt", variant({ "meta.dt": 123 }), /^"meta.dt" must be a string, got number 123$/],
    ["string timestamp", variant({ timestamp: "1767225659" }), /^"timestamp" must be an integer, got string/],
    ["fractional timestamp", variant({ timestamp: 1.5 }), /^"timestamp" must be an integer, got number 1.5$/],
    [
      "huge timestamp",
      variant({ "meta.dt": DELETE, timestamp: 1e20 }),
      /^"timestamp" 100000000000000000000 is out/,
    ],
    ["string namespace", variant({ namespace: "0" }), /^"namespace" must be an integer, got string "0"$/],
    ["fractional namespace", variant({ namespace: 1.5 }), /^"namespace" must be an integer, got number 1.5$/],
    ["64-bit namespace", variant({ namespace: 2 ** 31 }), /^"namespace" 2147483648 does not fit 32 bits$/],
    ["string bot", variant({ bot: "true" }), /^"bot" must be a boolean, got string "true"$/],
    ["numeric bot", variant({ bot: 1 }), /^"bot" must be a boolean, got number 1$/],
    ["numeric minor", variant({ minor: 0 }), /^"minor" must be a boolean, got number 0$/],
    ["numeric server_name", variant({ server_name: 5 }), /^"server_name" must be a string, got number 5$/],
    ["object comment", variant({ comment: {} }), /^"comment" must be a string, got an object$/],
    ["string length", variant({ length: "100" }), /^"length" must be an object, got string "100"$/],
    ["array length", variant({ length: [1, 2] }), /^"length" must be an object, got an array$/],
    [
      "string length.new",
      variant({ "length.new": "700" }),
      /^"length.new" must be an integer, got string "700"$/,
    ],
    [
      "fractional length.old",
      variant({ "length.old": 1.5 }),
      /^"length.old" must be an integer, got number 1.5$/,
    ],
    [
      "unsafe length.new",
      variant({ "length.new": 2 ** 53 }),
      /^"length.new" 9007199254740992 is beyond the safe/,
    ],
    [
      "huge bytes_diff",
      variant({ "length.new": 3e9 }),
      /^"length" difference 2999999900 does not fit 32 bits$/,
    ],
    ["numeric revision", variant({ revision: 5 }), /^"revision" must be an object, got number 5$/],
    [
      "string revision.new",
      variant({ "revision.new": "11" }),
      /^"revision.new" must be an integer, got string "11"$/,
    ],
    ["unsafe revision.new", variant({ "revision.new": 2 ** 60 }), /^"revision.new" \d+ is beyond the safe/],
    ["title before user", variant({ user: 1, title: 2 }), /^"title" must be a string, got number 2$/],
    ...BAD_DATES.map((dt): [string, string, RegExp] => [
      `meta.dt ${JSON.stringify(dt)}`,
      variant({ "meta.dt": dt }),
      /^"meta.dt" is not an ISO-8601 date-time with Z or ±hh:mm offset: string /,
    ]),
  ])("quarantines %s", (_name, data, reason) => {
    const result = classify(data);
    expect(result).toMatchObject({ ok: false, kind: "invalid" });
    if (!result.ok && result.kind === "invalid") expect(result.reason).toMatch(reason);
  });

  it("shortens long values in reasons", () => {
    const result = classify(variant({ namespace: "x".repeat(500) }));
    expect(!result.ok && result.kind === "invalid" && result.reason.length).toBeLessThan(120);
  });
});

describe("parseEventTime()", () => {
  it("agrees with Date for every instant of years 0000–9999", () => {
    const date = fc.date({
      min: new Date("0000-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    });
    fc.assert(fc.property(date, (d) => parseEventTime(d.toISOString()) === d.getTime()), { numRuns: 5000 });
  });

  it("applies any ±hh:mm offset", () => {
    const date = fc.date({
      min: new Date("1000-01-01T00:00:00Z"),
      max: new Date("9000-01-01T00:00:00Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), (d, offset) => {
        const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, -1);
        const abs = Math.abs(offset);
        const suffix = `${offset < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
          String(abs % 60).padStart(2, "0")
        }`;
        return parseEventTime(local + suffix) === d.getTime();
      }),
      { numRuns: 3000 },
    );
  });

  it.each(BAD_DATES)("rejects %j", (text) => {
    expect(parseEventTime(text)).toBeNull();
  });

  it("accepts leap days and times before 1970", () => {
    expect(parseEventTime("2024-02-29T12:00:00Z")).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseEventTime("1969-12-31T23:59:59.999Z")).toBe(-1);
    expect(parseEventTime("2000-02-29T00:00:00-00:00")).toBe(Date.UTC(2000, 1, 29));
  });
});

describe("isIpAddress()", () => {
  it.each(words(`0.0.0.0 255.255.255.255 176.1.12.124 :: ::1 1:: 2001:db8::1 2001:DB8::1 fe80::1:2
    2001:0db8:0000:0000:0000:0000:0000:0001 2403:6200:8881:34CF:6C23:167E:21CA:9C1D a:b:c:d:e:f:0:1
    ::ffff:192.0.2.1 ::FFFF:1.2.3.4 64:ff9b::192.0.2.33 1:2:3:4:5:6:1.2.3.4 ::1.2.3.4 1:2:3:4:5:6:7::
    ::2:3:4:5:6:7:8 1::8 1:2:3:4:5::1.2.3.4`))("accepts %s", (text) => expect(isIpAddress(text)).toBe(true));

  it.each([
    ...words(
      `256.1.1.1 1.2.3 1.2.3.4.5 01.2.3.4 1.2.3.04 1.2.3.4/24 a.b.c.d : ::: 1:2:3:4:5:6:7:8:9 1:2:3:4:5:6:7
      1::2::3 12345:: g::1 2001:db8::1%eth0 [::1] ::1.2.3 1:2:3:4:5:6:7:1.2.3.4 ::ffff:256.1.1.1 1.2.3.4::
      :1:2:3:4:5:6:7 1:2:3:4:5:6:7: 1:2:3:4:5:6:7:8:: Alice ~2025-1 ١.٢.٣.٤ 1:2:3:4:5:6::1.2.3.4`,
    ),
    "",
    " 1.2.3.4",
    "1.2.3.4 ",
  ])("rejects %j", (text) => expect(isIpAddress(text)).toBe(false));

  it("agrees with node:net on random address-like strings", () => {
    const chars = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.::"), maxLength: 45 });
    const octet = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 255 }).map(String), weight: 20 },
      fc.constantFrom("256", "01", "00", ""),
    );
    const v4ish = fc.oneof(
      { arbitrary: fc.array(octet, { minLength: 4, maxLength: 4 }), weight: 5 },
      fc.array(octet, { minLength: 3, maxLength: 5 }),
    ).map((o) => o.join("."));
    const group = fc.oneof(
      { arbitrary: fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), weight: 30 },
      fc.stringMatching(/^[0-9a-fA-G]{0,5}$/),
    );
    const v6ish = fc.tuple(
      fc.array(group, { minLength: 1, maxLength: 9 }),
      fc.nat(9),
      fc.boolean(),
      fc.option(v4ish),
    )
      .map(([groups, at, compress, tail]) => {
        if (compress) groups.splice(at % (groups.length + 1), 0, "");
        return groups.join(":") + (tail === null ? "" : `:${tail}`);
      });
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.oneof(chars, v4ish, v6ish), (s) => {
        seen[net.isIP(s) !== 0 ? "valid" : "invalid"]++;
        return isIpAddress(s) === (net.isIP(s) !== 0);
      }),
      { numRuns: 30_000, endOnFailure: true }, // shrinking these strings takes minutes
    );
    expect(Math.min(seen.valid, seen.invalid)).toBeGreaterThan(5000);
  });

  it("accepts every address node:net formats", () => {
    const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) =>
      new URL(`http://[${g.map((x) => x.toString(16)).join(":")}]`).hostname.slice(1, -1)
    );
    const v4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((o) =>
      o.join(".")
    );
    fc.assert(
      fc.property(fc.oneof(v4, v6), fc.boolean(), (ip, upper) => isIpAddress(upper ? ip.toUpperCase() : ip)),
    );
  });
});

describe("userTypeOf() and editSizeOf()", () => {
  it("classifies users and sizes", () => {
    expect([userTypeOf("1.2.3.4", true), userTypeOf("~x", false), userTypeOf("Bob", false)]).toEqual([
      "BOT",
      "ANONYMOUS",
      "REGISTERED",
    ]);
    expect([501, 500, 0, -500, -501].map(editSizeOf)).toEqual([
      "LARGE",
      "SMALL",
      "SMALL",
      "SMALL",
      "LARGE_REMOVAL",
    ]);
  });
});

describe("classifyEvent() over the 578 recorded events", () => {
  const sse = fs.readFileSync(new URL("recentchange-2026-06-20.sse", DATA), "utf8").split("\n")
    .filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
  const jsonl = ["recentchange-2025-05-03.jsonl", "recentchange-2026-02-26.jsonl"]
    .flatMap((f) => fs.readFileSync(new URL(f, DATA), "utf8").split("\n").filter((l) => l.trim() !== ""));
  const texts = [...sse, ...jsonl];

  it("accepts them all, with the counts an independent count gives", () => {
    expect(texts).toHaveLength(578);
    const rows = texts.map(rowOf);
    const count = (key: "user_type" | "edit_size") =>
      Object.fromEntries(
        ["BOT", "ANONYMOUS", "REGISTERED", "SMALL", "LARGE", "LARGE_REMOVAL"].map((
          v,
        ) => [v, rows.filter((r) => r[key] === v).length]).filter(([, n]) => n),
      );
    expect(count("user_type")).toEqual({ BOT: 254, ANONYMOUS: 28, REGISTERED: 296 });
    expect(count("edit_size")).toEqual({ SMALL: 500, LARGE: 69, LARGE_REMOVAL: 9 });
    expect(rows.reduce((n, r) => n + r.bytes_diff, 0)).toBe(272190);
    expect(rows.filter((r) => r.revision_new === null)).toHaveLength(280);
    for (const [i, row] of rows.entries()) {
      const event = JSON.parse(texts[i]);
      expect(row.event_id).toBe(event.meta.id);
      expect(row.event_time).toBe(Date.parse(event.meta.dt));
    }
  });
});

describe("classifyEvent() on generated input", () => {
  const check = (data: string) => {
    const result = classify(data);
    if (result.ok) {
      expect(result.row.edit_size).toBe(editSizeOf(result.row.bytes_diff));
      expect(Number.isInteger(result.row.event_time) && Number.isInteger(result.row.bytes_diff)).toBe(true);
    } else if (result.kind === "invalid") expect(result.reason.length).toBeGreaterThan(5);
    else expect(result.kind).toBe("canary");
  };
  const paths = fc.constantFrom(
    ...words(`meta meta.id meta.dt meta.domain type title user wiki bot minor namespace length length.new
      length.old revision revision.new timestamp comment server_name`),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constant(DELETE),
    fc.constantFrom("canary", "edit", "1.2.3.4", "2026-01-01T00:00:00Z", 1e300, -0),
  );

  it("never throws on mutated events, and every event gets a verdict", () => {
    fc.assert(
      fc.property(fc.dictionary(paths, value, { maxKeys: 4 }), (changes) => {
        let data: string;
        try {
          data = variant(changes);
        } catch {
          return; // a path under a deleted or non-object parent
        }
        check(data);
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws on arbitrary JSON values or text", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => check(JSON.stringify(v))), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: "binary" }), check), { numRuns: 3000 });
  });
});
