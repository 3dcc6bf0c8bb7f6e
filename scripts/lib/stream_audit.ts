/**
 * Classifies the lines of a recentchange stream by the validation rules of the design
 * (§3 silver/quarantine), independently of how the lines were made. Used to check synthetic
 * files against their manifests.
 * @module
 */

import { isPlainObject, parseIsoMs, readEventTimeMs } from "./replay_frames.ts";
import type { BadKind } from "./synth_bad.ts";

/** What one line is, judged from its content alone. */
export type AuditKind = "valid" | "duplicate" | "canary" | BadKind;

/** One audited line. */
export interface AuditedLine {
  kind: AuditKind;
  metaId?: string;
  offset?: number;
  eventTimeMs: number | null;
  event?: Record<string, any>;
}

const CHANGE_TYPES = new Set(["edit", "new", "log", "categorize", "external"]);
const decoder = new TextDecoder();

/** Audits lines in order; a valid event whose `meta.id` was seen before is a duplicate. */
export function auditLines(lines: Iterable<Uint8Array | string>): AuditedLine[] {
  const seen = new Set<string>();
  const out: AuditedLine[] = [];
  for (const line of lines) {
    const audited = auditLine(typeof line === "string" ? line : decoder.decode(line));
    if (audited.kind === "valid") {
      if (seen.has(audited.metaId!)) audited.kind = "duplicate";
      seen.add(audited.metaId!);
    }
    out.push(audited);
  }
  return out;
}

/** Classifies one line (duplicates aside). */
export function auditLine(text: string): AuditedLine {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { kind: "not_json", eventTimeMs: null };
  }
  if (!isPlainObject(event)) return { kind: "not_object", eventTimeMs: null };
  const meta = isPlainObject(event.meta) ? event.meta : {};
  const base = {
    event,
    eventTimeMs: readEventTimeMs(event),
    offset: typeof meta.offset === "number" ? meta.offset : undefined,
    metaId: typeof meta.id === "string" ? meta.id : undefined,
  };
  return { ...base, kind: classify(event, meta) };
}

function classify(event: Record<string, unknown>, meta: Record<string, unknown>): AuditKind {
  if (meta.domain === "canary") return "canary";
  if (typeof meta.id !== "string") return "missing_meta_id";
  if (!("type" in event)) return "missing_type";
  if (typeof event.type !== "string" || !CHANGE_TYPES.has(event.type)) return "unknown_type";
  if (!("wiki" in event)) return "missing_wiki";
  if (!("title" in event)) return "missing_title";
  if (!("user" in event)) return "missing_user";
  if (typeof event.user !== "string") return "number_user";
  if (!("dt" in meta) && !("timestamp" in event)) return "missing_time";
  if ("dt" in meta && (typeof meta.dt !== "string" || parseIsoMs(meta.dt) === null)) return "bad_dt";
  if (!Number.isInteger(event.namespace)) return "string_namespace";
  return "valid";
}
