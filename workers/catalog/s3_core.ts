/**
 * The read-only S3 surface over the lake's table files (issue 15): which object keys may be read,
 * how a `Range` header maps onto an object, and S3's XML error bodies. Pure functions.
 */
import { NAMESPACE, TABLES } from "../../r2/tables/schemas.ts";

/** What a `Range` header asks of an object of `size` bytes. */
export type RangeAsk =
  | { readonly kind: "full" }
  | { readonly kind: "partial"; readonly offset: number; readonly length: number }
  | { readonly kind: "unsatisfiable" };

const SINGLE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * RFC 9110 single byte ranges: `bytes=a-b`, `bytes=a-` and `bytes=-n`. An absent, malformed or
 * multi-range header is ignored (the whole object, as S3 does); a range starting past the end
 * or an empty suffix is unsatisfiable (416); `b` past the end is clamped.
 */
export function parseRange(header: string | undefined | null, size: number): RangeAsk {
  if (!header) return { kind: "full" };
  const m = SINGLE_RANGE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    const length = Math.min(n, size);
    return { kind: "partial", offset: size - length, length };
  }
  const first = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < first) return { kind: "full" }; // invalid syntax: ignored
  if (first >= size) return { kind: "unsatisfiable" };
  const last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return { kind: "partial", offset: first, length: last - first + 1 };
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=+-]{0,254}$/;
const MAX_KEY = 1024;
const TABLE_NAMES: ReadonlySet<string> = new Set(TABLES.map((t) => t.name));

/**
 * The R2 key a path-style object path names (`rest` is the path after `/<bucket>/`, still
 * percent-encoded), or null unless it is a table file under the warehouse:
 * `<warehouse>/wiki/<table>/(metadata|data)/…` with a table of the fixed list and every segment
 * a plain file name (no empty, `.`/`..`, hidden or encoded-separator segment).
 */
export function lakeObjectKey(rest: string, warehouse: string): string | null {
  let key: string;
  try {
    key = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (key.length === 0 || key.length > MAX_KEY) return null;
  const parts = key.split("/");
  const home = warehouse.split("/");
  if (parts.length < home.length + 4 || !parts.every((p) => SEGMENT.test(p))) return null;
  if (home.some((h, i) => parts[i] !== h)) return null;
  const [ns, table, area] = parts.slice(home.length, home.length + 3);
  if (ns !== NAMESPACE || !TABLE_NAMES.has(table) || (area !== "metadata" && area !== "data")) return null;
  return parts.join("/");
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** An S3 `<Error>` document. */
export function s3ErrorXml(code: string, message: string, resource: string, requestId: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${
    esc(message)
  }</Message><Resource>${esc(resource.slice(0, 1100))}</Resource><RequestId>${
    esc(requestId)
  }</RequestId></Error>`;
}
