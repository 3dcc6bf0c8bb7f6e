/**
 * The queue consumer's decisions for one batch (core). Rows are owned by the message that
 * carried them (owner = batch_id), so a redelivered message claims exactly its own rows again.
 * Two claims happen in the shell between these steps: bronze identities, then silver event ids.
 *
 * Accounting invariant, per owner: bronze-new rows = silver + quarantine + duplicates.
 * @module
 */
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import type { BronzeRow, QuarantineRow, SilverRow } from "../../r2/tables/rows.ts";
import { bronzeIdentity, toBronzeRow } from "./bronze.ts";
import { classifyEvent } from "./silver_rules.ts";

/** A bronze row and the identity the bronze claim index decides on. */
export interface BronzeCandidate {
  identity: string;
  row: BronzeRow;
}

/** The bronze candidates of one owner, in message order. */
export interface BronzePlan {
  owner: string;
  candidates: BronzeCandidate[];
}

/** What the rows that were new to bronze become. */
export interface SilverPlan {
  silverCandidates: SilverRow[];
  quarantine: QuarantineRow[];
}

/** Silver candidates split by the silver claim. */
export interface ClaimSplit {
  rows: SilverRow[];
  duplicates: number;
}

/** Reason text of a canary that reached the consumer (the ingestor should have dropped it). */
export const CANARY_REASON =
  "canary event (canaries are not analytics data; the ingestor should have dropped it)";

/**
 * Plans bronze per owner (messages with the same batch_id are one owner): one candidate per
 * event, in order; a repeated identity within an owner keeps its first occurrence. Event data
 * must already be loaded (spilled text read back into `data`).
 */
export function planBronze(messages: readonly RawEventsMessage[]): BronzePlan[] {
  const plans = new Map<string, { plan: BronzePlan; seen: Set<string> }>();
  for (const message of messages) {
    let entry = plans.get(message.batch_id);
    if (!entry) {
      entry = { plan: { owner: message.batch_id, candidates: [] }, seen: new Set() };
      plans.set(message.batch_id, entry);
    }
    for (const event of message.events) {
      if (event.spilled_key !== undefined && event.data === "") {
        throw new RangeError(`Event ${event.spilled_key} was spilled to R2 and its data was not loaded`);
      }
      const row = toBronzeRow(event, event.data);
      const identity = bronzeIdentity(event, row.event_key);
      if (entry.seen.has(identity)) continue;
      entry.seen.add(identity);
      entry.plan.candidates.push({ identity, row });
    }
  }
  return [...plans.values()].map((e) => e.plan);
}

/**
 * Classifies one owner's bronze-new rows: valid events become silver candidates, the rest
 * quarantine rows with a reason (a canary, which should never get this far, is quarantined
 * too: never dropped silently, never in silver).
 */
export function planSilver(rows: readonly BronzeRow[]): SilverPlan {
  const silverCandidates: SilverRow[] = [];
  const quarantine: QuarantineRow[] = [];
  for (const row of rows) {
    const result = classifyEvent(row.raw_json, row.ingestion_time);
    if (result.ok) {
      silverCandidates.push(result.row);
      continue;
    }
    quarantine.push({
      event_key: row.event_key,
      raw_json: row.raw_json,
      reason: result.kind === "canary" ? CANARY_REASON : result.reason,
      ingestion_time: row.ingestion_time,
    });
  }
  return { silverCandidates, quarantine };
}

/**
 * Keeps the candidates whose event_id the silver claim found new (the first of several with
 * the same id); every other candidate is a duplicate.
 */
export function splitClaimed(
  candidates: readonly SilverRow[],
  newIds: Iterable<string>,
): ClaimSplit {
  const open = new Set(newIds);
  const rows: SilverRow[] = [];
  for (const row of candidates) {
    if (!open.delete(row.event_id)) continue;
    rows.push(row);
  }
  return { rows, duplicates: candidates.length - rows.length };
}
