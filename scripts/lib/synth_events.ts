/**
 * Makes realistic synthetic recentchange events from recorded ones: fresh ids, new times,
 * plausible revisions and lengths, occasional anonymous/temporary users, and canaries.
 * Pure: randomness comes from the `Rng` argument.
 * @module
 */

import type { Rng } from "./prng.ts";
import { isPlainObject, type ReplayFrame } from "./replay_frames.ts";

/** A recorded event used as a template. */
export interface Template {
  /** The event as compact JSON (parsed again for every copy). */
  json: string;
  wiki: string;
  bot: boolean;
}

/** Where a synthetic event lands in the stream. */
export interface EventContext {
  timeMs: number;
  topic: string;
  partition: number;
}

const decoder = new TextDecoder();

/** Picks the recorded JSON-object events with a `wiki` and `meta` out of replay frames. */
export function loadTemplates(frames: readonly ReplayFrame[]): Template[] {
  const templates: Template[] = [];
  for (const frame of frames) {
    let event: unknown;
    try {
      event = JSON.parse(decoder.decode(frame.data));
    } catch {
      continue;
    }
    if (!isPlainObject(event) || !isPlainObject(event.meta) || typeof event.wiki !== "string") continue;
    if (event.meta.domain === "canary") continue;
    templates.push({ json: JSON.stringify(event), wiki: event.wiki, bot: event.bot === true });
  }
  if (templates.length === 0) throw new RangeError("No usable template events in the inputs");
  return templates;
}

/** Per-wiki rcid/revision counters and a pool of anonymous users, shared across events. */
export class SynthState {
  readonly #rng: Rng;
  readonly #rcids = new Map<string, number>();
  readonly #revisions = new Map<string, number>();
  readonly #anonUsers: string[];

  constructor(templates: readonly Template[], rng: Rng, anonPoolSize: number) {
    this.#rng = rng;
    for (const template of templates) {
      const event = JSON.parse(template.json);
      raiseTo(this.#rcids, template.wiki, typeof event.id === "number" ? event.id : 0);
      raiseTo(this.#revisions, template.wiki, Number(event.revision?.new) || 0);
    }
    this.#anonUsers = Array.from({ length: Math.max(1, anonPoolSize) }, () => makeAnonymousUser(rng));
  }

  /** The next recent-changes id (rcid) of a wiki. */
  nextRcid(wiki: string): number {
    return bump(this.#rcids, wiki, 1 + this.#rng.int(3));
  }

  /** The next revision id of a wiki. */
  nextRevision(wiki: string): number {
    return bump(this.#revisions, wiki, 1 + this.#rng.int(4));
  }

  /** An IP or temporary-account user from the pool (such users make several edits). */
  anonymousUser(): string {
    return this.#rng.pick(this.#anonUsers);
  }
}

function raiseTo(map: Map<string, number>, key: string, value: number): void {
  map.set(key, Math.max(map.get(key) ?? 1_000, value));
}

function bump(map: Map<string, number>, key: string, step: number): number {
  const value = (map.get(key) ?? 1_000) + step;
  map.set(key, value);
  return value;
}

/** Makes an IPv4, IPv6 or temporary-account (`~YYYY-NNNNN-NN`) user name like MediaWiki shows them. */
export function makeAnonymousUser(rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.5) return `~${rng.pick([2025, 2026])}-${10_000 + rng.int(90_000)}-${1 + rng.int(99)}`;
  if (roll < 0.75) {
    const first = rng.pick([24, 31, 37, 46, 60, 78, 81, 92, 103, 114, 120, 176, 185, 197, 203, 213]);
    return `${first}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
  }
  const groups = [rng.pick(["2001", "2A01", "2A02", "2403", "2600", "2804"])];
  for (let i = 0; i < 7; i++) groups.push(rng.int(65_536).toString(16).toUpperCase());
  return groups.join(":");
}

/** Makes a fresh event from a template: new meta ids and time, rcid, revisions, lengths, links. */
export function makeValidEvent(
  template: Template,
  state: SynthState,
  rng: Rng,
  context: EventContext,
): Record<string, any> {
  const event = JSON.parse(template.json);
  const meta = event.meta;
  meta.id = rng.uuid();
  if ("request_id" in meta) meta.request_id = rng.uuid();
  meta.dt = new Date(context.timeMs).toISOString();
  meta.topic = context.topic;
  meta.partition = context.partition;
  meta.offset = 0;
  // Recorded meta.dt trails `timestamp` by 0–3 s (the `timestamp` is MediaWiki's, in seconds).
  if ("timestamp" in event) event.timestamp = Math.floor((context.timeMs - rng.int(3_000)) / 1000);
  if (typeof event.id === "number") event.id = state.nextRcid(template.wiki);
  if (isPlainObject(event.revision) && typeof event.revision.new === "number") {
    event.revision.new = state.nextRevision(template.wiki);
    if (typeof event.revision.old === "number") {
      event.revision.old = Math.max(1, event.revision.new - 1 - rng.int(50_000));
    }
  }
  if (isPlainObject(event.length)) adjustLength(event.length, rng);
  if (typeof event.notify_url === "string") event.notify_url = rewriteNotifyUrl(event);
  if (!template.bot && typeof event.user === "string" && rng.next() < 0.04) {
    event.user = state.anonymousUser();
  }
  return event;
}

function adjustLength(length: Record<string, unknown>, rng: Rng): void {
  const { old: oldLength, new: newLength } = length;
  if (typeof newLength !== "number") return;
  if (typeof oldLength === "number") {
    const delta = Math.round((newLength - oldLength) * (0.5 + rng.next()));
    length.old = Math.max(0, Math.round(oldLength * (0.8 + 0.4 * rng.next())));
    length.new = Math.max(0, (length.old as number) + delta);
  } else {
    length.new = Math.max(1, Math.round(newLength * (0.5 + rng.next())));
  }
}

function rewriteNotifyUrl(event: Record<string, any>): string {
  let url: string = event.notify_url;
  const revision = isPlainObject(event.revision) ? event.revision : {};
  if (typeof revision.new === "number") url = url.replace(/([?&]diff=)\d+/, `$1${revision.new}`);
  if (typeof revision.old === "number") url = url.replace(/([?&]oldid=)[1-9]\d*/, `$1${revision.old}`);
  if (typeof revision.new === "number" && !/[?&]diff=/.test(url)) {
    url = url.replace(/([?&]oldid=)\d+/, `$1${revision.new}`);
  }
  if (typeof event.id === "number") url = url.replace(/([?&]rcid=)\d+/, `$1${event.id}`);
  return url;
}

/**
 * Makes a canary event the way Wikimedia's EventGate does: the schema's example event
 * (`$schema` and `meta` only) with `meta.domain` set to `"canary"`.
 */
export function makeCanaryEvent(rng: Rng, context: EventContext): Record<string, any> {
  return {
    $schema: "/mediawiki/recentchange/1.0.1",
    meta: {
      stream: "mediawiki.recentchange",
      dt: new Date(context.timeMs).toISOString(),
      domain: "canary",
      id: rng.uuid(),
      topic: context.topic,
      partition: context.partition,
      offset: 0,
    },
  };
}
