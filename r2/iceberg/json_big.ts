/**
 * JSON text with 64-bit integers: `JSON.parse` rounds 63-bit snapshot ids, so integer literals
 * beyond 2^53 are read as BigInt, and BigInt values are written as bare digits.
 */

const MARK = "\u0000bigint:";
const MARKED = /"\\u0000bigint:(-?\d+)"/g;
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Parses JSON; integers that are not safe become BigInt, and so does every number under a key
 * in `bigKeys` (so ids have one type whatever their size).
 */
export function parseJsonBig(text: string, bigKeys: ReadonlySet<string> = new Set()): unknown {
  return JSON.parse(markUnsafeIntegers(text), (key, value) => {
    if (typeof value === "string" && value.startsWith(MARK)) return BigInt(value.slice(MARK.length));
    if (typeof value === "number" && bigKeys.has(key) && Number.isInteger(value)) return BigInt(value);
    return value;
  });
}

/** Stringifies like JSON.stringify, writing BigInt values as bare integer literals. */
export function stringifyJsonBig(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? MARK + v.toString() : v), space);
  return text.replace(MARKED, "$1");
}

/** Wraps integer literals outside the safe range in marked strings; string literals are kept. */
function markUnsafeIntegers(text: string): string {
  return text.replace(TOKENS, (token) => {
    if (token[0] === '"' || Number.isSafeInteger(Number(token)) || !/^-?\d+$/.test(token)) return token;
    return `"\\u0000bigint:${token}"`; // the escaped form of MARK inside JSON text
  });
}
