/**
 * Parsers for command-line values shared by the Deno scripts (durations, shares, times).
 * @module
 */

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses a duration such as `90s`, `2h`, `1.5m`, `250ms` or `3d` (a bare number means seconds) into ms. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) {
    throw new RangeError(
      `Invalid duration "${text}": expected a number with unit ms, s, m, h or d (e.g. 2h)`,
    );
  }
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? "s"]);
}

/** Parses a share in [0, 1] such as `0.02`. */
export function parseShare(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`Invalid --${name} "${text}": expected a number between 0 and 1`);
  }
  return value;
}

/** Parses a non-negative integer flag value. */
export function parseCount(text: string, name: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
    throw new RangeError(`Invalid --${name} "${text}": expected a non-negative integer`);
  }
  return value;
}

/** Parses an ISO-8601 time or epoch milliseconds into epoch ms; `null` when it is neither. */
export function parseTimeMs(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms;
}
