/**
 * Iceberg's single-value binary serialisation (spec Appendix D) for column bounds, code-point
 * order for strings (= UTF-8 byte order, what readers compare), and the truncation of string
 * bounds to 16 code points (a lower bound is a prefix; an upper bound is rounded up).
 */
import type { IcebergPrimitive } from "../tables/schemas.ts";

/** Code points kept in a string bound (Java's default `truncate(16)` metrics mode). */
export const STRING_BOUND_LENGTH = 16;

const encoder = new TextEncoder();

/** Appendix D bytes of one non-null value (timestamptz given as epoch ms, stored as µs). */
export function encodeSingleValue(
  type: IcebergPrimitive,
  value: string | number | bigint | boolean,
): Uint8Array {
  switch (type) {
    case "string":
      return encoder.encode(String(value));
    case "boolean":
      return new Uint8Array([value ? 1 : 0]);
    case "int": {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, Number(value), true);
      return out;
    }
    case "double": {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, Number(value), true);
      return out;
    }
    case "long":
    case "timestamptz": {
      const out = new Uint8Array(8);
      const micros = type === "timestamptz"
        ? BigInt(value as number) * 1000n
        : BigInt(value as number | bigint);
      new DataView(out.buffer).setBigInt64(0, micros, true);
      return out;
    }
  }
}

/** Compares strings by Unicode code point (UTF-16 order differs above U+D7FF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (code points ≥ U+10000) must sort after U+E000–U+FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Compares doubles with -0 before +0 (NaN is never compared: callers skip it). */
export function compareDoubles(a: number, b: number): number {
  if (a !== b) return a < b ? -1 : 1;
  if (a === 0) return (Object.is(a, -0) ? 0 : 1) - (Object.is(b, -0) ? 0 : 1);
  return 0;
}

/** Replaces lone surrogates with U+FFFD, as UTF-8 encoding does, so stats match stored bytes. */
export function toWellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** A lower bound for `text`: its first `length` code points. */
export function truncateLowerBound(text: string, length = STRING_BOUND_LENGTH): string {
  const points = Array.from(text);
  return points.length <= length ? text : points.slice(0, length).join("");
}

/**
 * An upper bound for `text` of at most `length` code points: the text itself when short enough,
 * else its prefix with the last code point incremented (dropping code points that cannot be
 * incremented); null when no such bound exists.
 */
export function truncateUpperBound(text: string, length = STRING_BOUND_LENGTH): string | null {
  const points = Array.from(text);
  if (points.length <= length) return text;
  for (let i = length - 1; i >= 0; i--) {
    let next = points[i].codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next > 0x10ffff) continue;
    return points.slice(0, i).join("") + String.fromCodePoint(next);
  }
  return null;
}
