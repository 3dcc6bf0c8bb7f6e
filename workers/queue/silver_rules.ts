/**
 * The silver_wiki_events rules of DESIGN.md §3 (core): validate one event's JSON text and
 * enrich it into a SilverRow, or say in words why it goes to quarantine.
 *
 * Decisions where DESIGN.md is silent:
 * - An explicit JSON `null` counts as absent, for required fields (→ "missing") and optional
 *   ones (→ the column's default: null, false or 0).
 * - `bot` absent → is_bot false (like `minor`): DESIGN does not list it among the required
 *   fields and the event schema does not require it. A non-boolean `bot` is quarantined.
 * - Only fields that feed a silver column are type-checked (plus `timestamp`, whenever
 *   present); other fields are bronze's business.
 * - `meta.dt` must be RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, a real calendar
 *   date, no leap second); digits beyond milliseconds are truncated. Nothing else is guessed.
 * - Integers must be JSON numbers with an integral value (so `1.0` counts, `"1"` does not);
 *   namespace and bytes_diff must fit 32 bits, other integers must be safe integers.
 * @module
 */
import type { SilverRow } from "../../r2/tables/rows.ts";
import { parseEventTime } from "../../r2/tables/event_time.ts";

/** The change types DESIGN.md §3 accepts. */
export const CHANGE_TYPES: readonly string[] = ["edit", "new", "log", "categorize", "external"];

/** Result of `classifyEvent`: a silver row, a canary (never analytics data) or a quarantine reason. */
export type ClassifyResult =
  | { ok: true; row: SilverRow }
  | { ok: false; kind: "canary" }
  | { ok: false; kind: "invalid"; reason: string };

type JsonObject = Record<string, unknown>;
type Kind = "string" | "boolean" | "integer" | "object";

const REQUIRED = ["meta.id", "type", "wiki", "title", "user"] as const;
const OPTIONAL: ReadonlyArray<readonly [string, Kind]> = [
  ["namespace", "integer"],
  ["bot", "boolean"],
  ["minor", "boolean"],
  ["server_name", "string"],
  ["comment", "string"],
  ["length", "object"],
  ["length.new", "integer"],
  ["length.old", "integer"],
  ["revision", "object"],
  ["revision.new", "integer"],
];
const INT32_MAX = 2 ** 31 - 1;
const MAX_TIME_MS = 8.64e15;

export { parseEventTime };

/** Validates and enriches one event (DESIGN.md §3 silver_wiki_events); never throws on bad data. */
export function classifyEvent(data: string, ingestionTime: number): ClassifyResult {
  if (!Number.isFinite(ingestionTime)) {
    throw new RangeError(`ingestionTime must be finite, got ${ingestionTime}`);
  }
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch (error) {
    return invalid(`not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(event)) return invalid(`not a JSON object: got ${describe(event)}`);
  if (isObject(event.meta) && event.meta.domain === "canary") return { ok: false, kind: "canary" };
  const problem = findProblem(event);
  if (problem !== null) return invalid(problem);

  const dt = valueAt(event, "meta.dt");
  const eventTime = dt !== undefined ? parseEventTime(dt as string)! : (event.timestamp as number) * 1000;
  const isBot = (valueAt(event, "bot") as boolean | undefined) ?? false;
  const user = event.user as string;
  const bytesDiff = bytesDiffOf(event);
  return {
    ok: true,
    row: {
      event_id: valueAt(event, "meta.id") as string,
      event_time: eventTime,
      wiki: event.wiki as string,
      server_name: (valueAt(event, "server_name") as string | undefined) ?? null,
      page_title: event.title as string,
      namespace: plusZero(valueAt(event, "namespace") as number | undefined) ?? null,
      change_type: event.type as string,
      user_name: user,
      is_bot: isBot,
      is_minor: (valueAt(event, "minor") as boolean | undefined) ?? false,
      bytes_diff: bytesDiff,
      processing_delay_seconds: plusZero(Math.floor((ingestionTime - eventTime) / 1000)),
      edit_size: editSizeOf(bytesDiff),
      user_type: userTypeOf(user, isBot),
      comment: (valueAt(event, "comment") as string | undefined) ?? null,
      revision_new: plusZero(valueAt(event, "revision.new") as number | undefined) ?? null,
      ingestion_time: ingestionTime,
    },
  };
}

/** The first rule `event` breaks, as a sentence; null when it is valid. */
function findProblem(event: JsonObject): string | null {
  for (const path of REQUIRED) {
    if (valueAt(event, path) !== undefined) continue;
    if (path === "meta.id" && event.meta != null && !isObject(event.meta)) {
      return `"meta" must be an object, got ${describe(event.meta)}`;
    }
    return `missing field "${path}"${rawAt(event, path) === null ? " (it is null)" : ""}`;
  }
  for (const path of REQUIRED) {
    const problem = checkKind(path, valueAt(event, path), "string");
    if (problem) return problem;
  }
  if (!CHANGE_TYPES.includes(event.type as string)) {
    return `unknown change type ${JSON.stringify(event.type)} (expected one of ${CHANGE_TYPES.join(", ")})`;
  }
  const timeProblem = findTimeProblem(event);
  if (timeProblem) return timeProblem;
  for (const [path, kind] of OPTIONAL) {
    const problem = checkKind(path, valueAt(event, path), kind);
    if (problem) return problem;
  }
  return findRangeProblem(event);
}

function findTimeProblem(event: JsonObject): string | null {
  const dt = valueAt(event, "meta.dt");
  const ts = valueAt(event, "timestamp");
  if (dt === undefined && ts === undefined) return `missing both "meta.dt" and "timestamp"`;
  if (dt !== undefined) {
    const problem = checkKind("meta.dt", dt, "string");
    if (problem) return problem;
    if (parseEventTime(dt as string) === null) {
      return `"meta.dt" is not an ISO-8601 date-time with Z or ±hh:mm offset: ${describe(dt)}`;
    }
  }
  if (ts !== undefined) {
    const problem = checkKind("timestamp", ts, "integer");
    if (problem) return problem;
    if (dt === undefined && Math.abs(ts as number) * 1000 > MAX_TIME_MS) {
      return `"timestamp" ${ts} is out of range`;
    }
  }
  return null;
}

function findRangeProblem(event: JsonObject): string | null {
  const ns = valueAt(event, "namespace");
  if (ns !== undefined && Math.abs(ns as number) > INT32_MAX) return `"namespace" ${ns} does not fit 32 bits`;
  for (const path of ["length.new", "length.old", "revision.new"]) {
    const v = valueAt(event, path);
    if (v !== undefined && !Number.isSafeInteger(v)) return `"${path}" ${v} is beyond the safe integer range`;
  }
  const diff = bytesDiffOf(event);
  if (Math.abs(diff) > INT32_MAX) return `"length" difference ${diff} does not fit 32 bits`;
  return null;
}

/** `length.new − length.old`; a missing (or null) side counts as 0, as does a missing `length`. */
function bytesDiffOf(event: JsonObject): number {
  const newLen = (valueAt(event, "length.new") as number | undefined) ?? 0;
  const oldLen = (valueAt(event, "length.old") as number | undefined) ?? 0;
  return plusZero(newLen - oldLen);
}

/** True when `text` is an IPv4 address (dotted quad, no leading zeros) or an IPv6 address. */
export function isIpAddress(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}

/** BOT if the edit is a bot's; ANONYMOUS for an IP address or a temporary account (`~…`); else REGISTERED. */
export function userTypeOf(user: string, isBot: boolean): SilverRow["user_type"] {
  if (isBot) return "BOT";
  return user.startsWith("~") || isIpAddress(user) ? "ANONYMOUS" : "REGISTERED";
}

/** LARGE above +500 bytes, LARGE_REMOVAL below −500 bytes, else SMALL. */
export function editSizeOf(bytesDiff: number): SilverRow["edit_size"] {
  if (bytesDiff > 500) return "LARGE";
  if (bytesDiff < -500) return "LARGE_REMOVAL";
  return "SMALL";
}

const IPV4_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** RFC 4291 text forms: 8 groups, `::` compression (once), an embedded IPv4 tail; no zone id. */
function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const lastColon = text.lastIndexOf(":");
  if (lastColon === -1) return false;
  let body = text;
  let groups = 8;
  if (text.includes(".", lastColon)) {
    if (!isIpv4(text.slice(lastColon + 1))) return false;
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith("::")) body = body.slice(0, -1);
    groups = 6;
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const parts = halves.map((h) => (h === "" ? [] : h.split(":")));
  const explicit = parts.flat();
  if (!explicit.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? explicit.length <= groups - 1 : explicit.length === groups;
}

const KIND_TESTS: Record<Kind, (value: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  integer: (v) => Number.isInteger(v),
  object: isObject,
};

function checkKind(path: string, value: unknown, kind: Kind): string | null {
  if (value === undefined) return null;
  if (KIND_TESTS[kind](value)) return null;
  const article = kind === "integer" || kind === "object" ? "an" : "a";
  return `"${path}" must be ${article} ${kind}, got ${describe(value)}`;
}

/** The value at a dotted path; undefined when absent, null, or under a non-object. */
function valueAt(event: JsonObject, path: string): unknown {
  const value = rawAt(event, path);
  return value === null ? undefined : value;
}

function rawAt(event: JsonObject, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split(".")) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const quoted = JSON.stringify(value);
    return `string ${quoted.length > 60 ? `${quoted.slice(0, 57)}…"` : quoted}`;
  }
  return `${typeof value} ${String(value)}`;
}

function invalid(reason: string): ClassifyResult {
  return { ok: false, kind: "invalid", reason };
}

function plusZero<T extends number | undefined>(value: T): T {
  return (value === 0 ? 0 : value) as T;
}
