/**
 * Test support: deterministic rows of each lake table with awkward values mixed in (nulls,
 * non-ASCII and long strings, negative numbers, -0, NaN and infinities, extreme integers).
 * Timestamps stay inside the day that starts at `dayStartMs`.
 */
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow, BronzeRow, GoldRow, QuarantineRow, SilverRow } from "../tables/rows.ts";

const DAY_MS = 86_400_000;
const WORDS = ["Main_Page", "Zürich", "東京", "😀 emoji", "a'quote", "", "x".repeat(40), "Ωmega"];

/** `count` rows of `spec`'s table whose partition source lies in [dayStartMs, dayStartMs + 1 day). */
export function sampleRows(spec: TableSpec, count: number, dayStartMs: number, tag = "r"): AnyRow[] {
  return Array.from(
    { length: count },
    (_, i) => sampleRow(spec, i, dayStartMs + ((i * 7_919_993) % DAY_MS), tag),
  );
}

function sampleRow(spec: TableSpec, i: number, ts: number, tag: string): AnyRow {
  const word = WORDS[i % WORDS.length];
  switch (spec.name) {
    case "bronze_wiki_events":
      return {
        event_key: `${tag}-${i}`,
        raw_json: i % 5 === 4 ? `{"big":"${"é".repeat(3000)}"}` : JSON.stringify({ i, title: word }),
        topic: i % 3 === 0 ? null : "eqiad.mediawiki.recentchange",
        partition: i % 4 === 0 ? null : i % 2 === 0 ? 2 ** 31 - 1 : -(2 ** 31),
        offset: i % 3 === 1 ? null : i % 2 ? Number.MAX_SAFE_INTEGER - i : -i * 1_000_003,
        kafka_timestamp: i % 4 === 1 ? null : ts - 1_000 * i,
        ingestion_time: ts,
      } satisfies BronzeRow;
    case "silver_wiki_events":
      return {
        event_id: `${tag}-${i}`,
        event_time: ts,
        wiki: i % 2 ? "enwiki" : "dewiki",
        server_name: i % 3 === 0 ? null : "en.wikipedia.org",
        page_title: word,
        namespace: i % 5 === 0 ? null : i % 7,
        change_type: ["edit", "new", "log", "categorize"][i % 4],
        user_name: i % 6 === 0 ? "~2025-1234" : `User ${word}`,
        is_bot: i % 3 === 2,
        is_minor: i % 2 === 0,
        bytes_diff: (i % 2 ? -1 : 1) * i * 97,
        processing_delay_seconds: i % 4 === 0 ? -3 : i * 11,
        edit_size: "SMALL",
        user_type: i % 3 === 2 ? "BOT" : "REGISTERED",
        comment: i % 4 === 3 ? null : `comment ${word} ${i}`,
        revision_new: i % 2 ? null : 1_234_567_890_123 + i,
        ingestion_time: ts + 500,
      } satisfies SilverRow;
    case "quarantine_wiki_events":
      return {
        event_key: `${tag}-${i}`,
        raw_json: i % 2 ? "not json ü" : `{"partial": ${i}`,
        reason: `missing field ${word}`,
        ingestion_time: ts,
      } satisfies QuarantineRow;
    case "gold_wiki_kpis": {
      const start = ts - (((ts % 300_000) + 300_000) % 300_000);
      return {
        window_start: start,
        window_end: start + 300_000,
        total_edits: i,
        unique_editors: i % 5,
        active_pages: 2 ** 40 + i,
        bot_edits: 0,
        human_edits: i,
        net_bytes_added: -i * 1_000,
        avg_bytes_per_edit: [0.1, -0, Number.NaN, 1e300, -2.5, Infinity][i % 6],
        large_edits_count: 1,
        revert_like_edits: 2,
        volatility_score: 3,
        bot_edit_percentage: i % 6 === 2 ? Number.NaN : 100 / (i + 1),
        edits_per_minute: i / 5,
        knowledge_trend: ["GROWING", "SHRINKING", "STABLE"][i % 3] as GoldRow["knowledge_trend"],
      } satisfies GoldRow;
    }
  }
}
