/**
 * Shell: one consumer batch through the lake. Every step is idempotent per message batch id
 * (the "owner"): bronze keys and silver event ids are claimed in the tables' committers, so a
 * redelivered message writes exactly the rows it owns and nothing twice.
 */
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import type { BronzeRow, SilverRow } from "../../r2/tables/rows.ts";
import { BRONZE, QUARANTINE, SILVER } from "../../r2/tables/schemas.ts";
import { planBronze, planSilver, splitClaimed } from "./process_raw_events.ts";
import { toGoldInput } from "../../durable-objects/gold_window/gold_input.ts";
import {
  type AdmitReport,
  WATERMARK_NAME,
} from "../../durable-objects/watermark/watermark_tracker_object.ts";
import type { SequenceTag } from "../../durable-objects/watermark/sequencing.ts";
import { writeAndStage } from "../lake_writer.ts";
import { committerStub } from "../pipeline.ts";
import { feedEventsRollup } from "../events_feed_binding.ts";
import { notifyLive } from "../live_feed_binding.ts";
import { type StageTimer, stageTimer } from "./stage_timer.ts";

/** Counts of one batch. */
export interface IngestReport {
  bronze: number;
  silver: number;
  quarantine: number;
  duplicates: number;
  windows: number;
  late: number;
  /** Wall-clock milliseconds per stage of this batch (its profile in the log). */
  stage_ms: Record<string, number>;
}

/** Writes one batch of messages into bronze, silver, quarantine and the gold windows. */
export async function ingestMessages(env: Env, messages: RawEventsMessage[]): Promise<IngestReport> {
  const timer = stageTimer();
  await loadSpilled(env, messages);
  const bronze = await claimBronze(env, messages);
  timer.lap("bronze_claim");
  await writeAndStage(env, BRONZE, bronze.owners, bronze.stagedOwners);
  timer.lap("bronze_write");

  const layers = bronze.owners.map((b) => ({ owner: b.owner, ...planSilver(b.rows) }));
  const silver = await claimSilver(env, layers);
  timer.lap("silver_claim");
  await writeAndStage(env, SILVER, silver.owners, silver.stagedOwners);
  timer.lap("silver_write");
  await writeAndStage(
    env,
    QUARANTINE,
    layers.map((l) => ({ owner: l.owner, rows: l.quarantine, duplicates: 0 })),
  );
  timer.lap("quarantine_write");

  const tags = new Map(messages.map((m) => [m.batch_id, sequenceTagOf(m)]));
  const gold = await admitToGold(env, silver.owners.map((s) => ({ ...s, tag: tags.get(s.owner) })), timer);
  return {
    bronze: bronze.owners.reduce((n, b) => n + b.rows.length, 0),
    silver: silver.owners.reduce((n, s) => n + s.rows.length, 0),
    quarantine: layers.reduce((n, l) => n + l.quarantine.length, 0),
    duplicates: silver.owners.reduce((n, s) => n + s.duplicates, 0),
    windows: gold.windows,
    late: gold.late,
    stage_ms: timer.spans,
  };
}

/** Each owner's rows new to a table, and the owners its committer has staged already. */
interface Claimed<R> {
  owners: Array<{ owner: string; rows: R[]; duplicates: number }>;
  stagedOwners: string[];
}

/**
 * Plans bronze and claims its identities; keeps each owner's rows that won. The plan and the
 * claim's answer (a hash per event, twice) are dropped on return: the batch's later stages do not
 * hold them.
 */
async function claimBronze(env: Env, messages: RawEventsMessage[]): Promise<Claimed<BronzeRow>> {
  const plan = planBronze(messages);
  const claim = await committerStub(env, BRONZE.name).claim(
    BRONZE.name,
    plan.map((p) => ({ owner: p.owner, keys: p.candidates.map((c) => c.identity) })),
  );
  const owners = plan.map((p) => {
    const won = new Set(claim.newKeys[p.owner] ?? []);
    return {
      owner: p.owner,
      rows: p.candidates.filter((c) => won.has(c.identity)).map((c) => c.row),
      duplicates: 0,
    };
  });
  return { owners, stagedOwners: claim.stagedOwners };
}

/** Claims the silver candidates' event ids; splits each owner's into new rows and duplicates. */
async function claimSilver(
  env: Env,
  layers: ReadonlyArray<{ owner: string; silverCandidates: SilverRow[] }>,
): Promise<Claimed<SilverRow>> {
  const claim = await committerStub(env, SILVER.name).claim(
    SILVER.name,
    layers.map((l) => ({ owner: l.owner, keys: l.silverCandidates.map((r) => r.event_id) })),
  );
  const owners = layers.map((l) => ({
    owner: l.owner,
    ...splitClaimed(l.silverCandidates, claim.newKeys[l.owner] ?? []),
  }));
  return { owners, stagedOwners: claim.stagedOwners };
}

/** A message's ordered-admission number, when it has one. */
export function sequenceTagOf(message: RawEventsMessage): SequenceTag | undefined {
  return message.epoch !== undefined && message.seq !== undefined
    ? { epoch: message.epoch, seq: message.seq }
    : undefined;
}

/** Replaces spilled events' data with the text kept in R2 by the ingestor. */
async function loadSpilled(env: Env, messages: RawEventsMessage[]): Promise<void> {
  for (const event of messages.flatMap((m) => m.events)) {
    if (!event.spilled_key) continue;
    const object = await env.LAKE.get(event.spilled_key);
    if (!object) throw new Error(`spilled event ${event.spilled_key} is missing from R2`);
    event.data = await object.text();
  }
}

/**
 * Hands each owner's new silver rows, in processing order, to the WatermarkTracker, which judges
 * them on time or late and adds them to their GoldWindows (idempotent per owner and event_id).
 */
export async function admitToGold(
  env: Env,
  owners: Array<{ owner: string; rows: SilverRow[]; tag?: SequenceTag }>,
  timer?: StageTimer,
): Promise<AdmitReport> {
  // A numbered message is handed over even without new rows: its number must be passed.
  const admitted = owners.filter((o) => o.rows.length || o.tag);
  if (!admitted.length) return { windows: 0, late: 0 };
  await feedEventsRollup(env, owners); // drill-down rollups (idempotent per owner)
  timer?.lap("rollup_feed");
  // The KPI inputs are made in the call: not held during the rollup feed or the live notification.
  const report = await env.WATERMARK.getByName(WATERMARK_NAME).admit(admitted.map((o) => ({
    owner: o.owner,
    rows: o.rows.map((r) => ({ ...toGoldInput(r), event_time: r.event_time })),
    ...(o.tag ? { tag: o.tag } : {}),
  })));
  timer?.lap("gold_admit");
  notifyLive(env, owners.flatMap((o) => o.rows)); // fire-and-forget
  return report;
}
