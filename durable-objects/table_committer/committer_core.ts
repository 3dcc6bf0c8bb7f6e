/**
 * Pure helpers of the TableCommitter: deterministic ids, the JSON codec for staged data-file
 * descriptors (Uint8Array bounds and bigints survive SQLite text), and the status shape.
 */
import type { DurationHistogram } from "./commit_duration.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** The committer instance name of a table: one object per table. */
export function committerName(table: string): string {
  return `table:${table}`;
}

/** A short stable hex id of a list of strings (order-sensitive: sort first when it must not be). */
export function stableId(parts: readonly string[]): string {
  return bytesToHex(sha256(new TextEncoder().encode(parts.join("\u0000")))).slice(0, 32);
}

/** Serialises a value holding Uint8Arrays and bigints to JSON text. */
export function encodeStaged(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v instanceof Uint8Array) return { $b64: bytesToBase64(v) };
    if (typeof v === "bigint") return { $big: v.toString() };
    return v;
  });
}

/** Parses what `encodeStaged` wrote. */
export function decodeStaged<T>(text: string): T {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === "object" && typeof v.$b64 === "string") return base64ToBytes(v.$b64);
    if (v && typeof v === "object" && typeof v.$big === "string") return BigInt(v.$big);
    return v;
  }) as T;
}

function bytesToBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function base64ToBytes(b64: string): Uint8Array {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** One owner's keys to claim (owner = the queue message's batch id). */
export interface ClaimRequest {
  owner: string;
  keys: string[];
}

/** Which keys each owner may write, and which owners already staged files for this table. */
export interface ClaimResult {
  newKeys: Record<string, string[]>;
  stagedOwners: string[];
}

/** What a writer hands the committer: data files plus the row/duplicate counts they stand for. */
export interface StageInput<F = unknown> {
  table: string;
  stageId: string;
  owners: string[];
  files: F[];
  rows: number;
  duplicates: number;
}

/** The committer's report over RPC and in /api/health. */
export interface TableStatus {
  table: string;
  version: number | null;
  snapshot_id: string | null;
  last_commit_at: string | null;
  rows: number;
  duplicates: number;
  commits: number;
  data_files_committed: number;
  pending_stages: number;
  pending_rows: number;
  /** When the oldest stage still waiting for a commit arrived (null when none waits). */
  oldest_pending_at: string | null;
  last_error: string | null;
  /** Durations of this table's commits (durable; `wikiflare_commit_duration_seconds`). */
  commit_duration?: DurationHistogram;
}

/** A partition replacement (the late-data correction): new files for whole partition days. */
export interface ReplaceInput<F = unknown> {
  table: string;
  commitId: string;
  days: number[];
  files: F[];
  /** Rows each day must hold before the replacement (the caller's view of the table). */
  expectedRows: Record<number, number>;
}

/** What a replacement did, or why it refused. */
export type ReplaceResult =
  | { ok: true; kind: "committed" | "already_committed" | "noop"; deleted: number; added: number }
  | { ok: false; reason: string };
