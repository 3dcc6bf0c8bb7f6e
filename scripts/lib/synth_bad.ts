/**
 * Makes the bad events a pipeline must quarantine, one kind at a time, from a valid event.
 * @module
 */

import type { Rng } from "./prng.ts";

/** Every kind of bad event the synth script writes. */
export const BAD_KINDS = [
  "not_json",
  "not_object",
  "missing_meta_id",
  "missing_type",
  "missing_wiki",
  "missing_title",
  "missing_user",
  "missing_time",
  "bad_dt",
  "string_namespace",
  "number_user",
  "unknown_type",
] as const;

/** One kind of bad event. */
export type BadKind = typeof BAD_KINDS[number];

/** A bad event: an object that breaks a rule (gets a stream offset), or raw text/bytes. */
export type BadEvent =
  | { kind: BadKind; event: Record<string, any> }
  | { kind: BadKind; raw: string | Uint8Array };

const NOT_OBJECT = ["[1,2]", '"x"', "42", "null", "true", "[]"];
const GARBAGE = [
  "{broken",
  "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
  "{'meta': {'id': 'single-quoted'}}",
  "undefined",
  "NaN",
];
const BAD_DT = ["not-a-date", "2026-13-45T25:61:00Z", "yesterday", ""];
const UNKNOWN_TYPES = ["purge", "upload", "move"];
const encoder = new TextEncoder();

/**
 * Turns a freshly made valid event into a bad event of the given kind; `serial` (how many of
 * this kind came before) rotates the variants so that a few bad events already show them all.
 */
export function makeBadEvent(kind: BadKind, valid: Record<string, any>, rng: Rng, serial = 0): BadEvent {
  switch (kind) {
    case "not_json":
      return { kind, raw: makeNotJson(valid, rng, serial) };
    case "not_object":
      return { kind, raw: rng.pick(NOT_OBJECT) };
    case "missing_meta_id":
      delete valid.meta.id;
      break;
    case "missing_type":
      delete valid.type;
      break;
    case "missing_wiki":
      delete valid.wiki;
      break;
    case "missing_title":
      delete valid.title;
      break;
    case "missing_user":
      delete valid.user;
      break;
    case "missing_time":
      delete valid.meta.dt;
      delete valid.timestamp;
      break;
    case "bad_dt":
      valid.meta.dt = rng.pick(BAD_DT);
      break;
    case "string_namespace":
      valid.namespace = String(valid.namespace ?? 0);
      break;
    case "number_user":
      valid.user = 1 + rng.int(1_000_000);
      break;
    case "unknown_type":
      valid.type = rng.pick(UNKNOWN_TYPES);
      break;
  }
  return { kind, event: valid };
}

/** In turn: a truncated event with invalid UTF-8 bytes, a truncated event, other garbage. */
function makeNotJson(valid: Record<string, any>, rng: Rng, serial: number): string | Uint8Array {
  delete valid.meta.offset; // a broken line carries no stream offset (the placeholder would mislead)
  const text = JSON.stringify(valid);
  // Any strict prefix of an object's JSON lacks the closing brace, so it never parses.
  const prefix = text.slice(0, 1 + rng.int(text.length - 1));
  const variant = serial % 3;
  if (variant === 1) return prefix;
  if (variant === 0) {
    const head = encoder.encode(prefix);
    const bytes = new Uint8Array(head.length + 5);
    bytes.set(head);
    bytes.set([0xc3, 0x28, 0xff, 0x20, 0x7d], head.length);
    return bytes;
  }
  return rng.pick(GARBAGE);
}
