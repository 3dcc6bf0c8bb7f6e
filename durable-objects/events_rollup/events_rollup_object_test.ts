import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { EventsRollup } from "./events_rollup_object.ts";

const DAY = "2038-05-01";
const T = Date.parse(`${DAY}T10:00:00Z`);

function row(i: number, minutes: number, wiki: string, bot: boolean, title: string): SilverRow {
  return {
    event_id: `agg-${i}`,
    event_time: T + minutes * 60_000 + i,
    wiki,
    server_name: `${wiki}.example`,
    page_title: title,
    namespace: 0,
    change_type: "edit",
    user_name: `U${i}`,
    is_bot: bot,
    is_minor: false,
    bytes_diff: 1,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: bot ? "BOT" : "REGISTERED",
    comment: null,
    revision_new: null,
    ingestion_time: T,
  };
}

// 10:00 enwiki bot P, 10:30 enwiki human P, 11:15 dewiki human Q, 12:00 enwiki bot Q, 12:59 dewiki bot P
const ROWS = [
  row(0, 0, "enwiki", true, "P"),
  row(1, 30, "enwiki", false, "P"),
  row(2, 75, "dewiki", false, "Q"),
  row(3, 120, "enwiki", true, "Q"),
  row(4, 179, "dewiki", true, "P"),
];

describe("EventsRollup aggregates", () => {
  it("builds the per-minute and per-hour aggregates of rows stored before they existed", async () => {
    const stub = env.EVENTS_ROLLUP.getByName(DAY);
    expect((await stub.add("agg-test", ROWS)).added).toBe(5);
    await runInDurableObject(stub, (_instance: EventsRollup, state) => {
      // an object written before the aggregates: only the rows (and owners) are there
      for (const t of ["agg_m", "agg_h", "pages_h", "rollup_meta"]) {
        state.storage.sql.exec(`DELETE FROM ${t}`);
      }
      const fresh = new EventsRollup(state, env); // the next start of the object
      const all = { from: T, to: T + 4 * 3_600_000, filters: {} };
      // by hand: hours 10:00 → 2 (1 bot), 11:00 → 1 (0), 12:00 → 2 (2)
      const hours = new Map<number, [number, number]>();
      for (const b of fresh.timeseries(all, 3_600_000)) {
        const prev = hours.get(b.t) ?? [0, 0];
        hours.set(b.t, [prev[0] + b.events, prev[1] + b.bot]);
      }
      expect([...hours].sort((a, b) => a[0] - b[0])).toEqual([
        [T, [2, 1]],
        [T + 3_600_000, [1, 0]],
        [T + 7_200_000, [2, 2]],
      ]);
      // 10:15–12:30 (unaligned: raw edges, minutes and one whole hour): rows 1, 2, 3
      const mid = { from: T + 15 * 60_000, to: T + 150 * 60_000, filters: {} };
      const byWiki = new Map<string, number>();
      for (const r of fresh.breakdown(mid, "wiki")) byWiki.set(r.key, (byWiki.get(r.key) ?? 0) + r.events);
      expect(Object.fromEntries(byWiki)).toEqual({ enwiki: 2, dewiki: 1 });
      // pages over the whole range: P 3 (rows 0, 1, 4 — in two wikis), Q 2
      expect(fresh.topPages(all, null).map((p) => [p.wiki, p.page_title, p.edits])).toEqual([
        ["enwiki", "P", 2],
        ["dewiki", "P", 1],
        ["dewiki", "Q", 1],
        ["enwiki", "Q", 1],
      ]);
      expect(fresh.topPages({ ...all, filters: { user_type: "BOT" } }, 1)).toEqual([
        { wiki: "dewiki", page_title: "P", server_name: "dewiki.example", edits: 1 },
      ]);
    });
  });

  it("rebuilds a day stored under the first layout (event_id as the key) with its rows and answers", async () => {
    const stub = env.EVENTS_ROLLUP.getByName("2038-05-02");
    const day = ROWS.map((r) => ({
      ...r,
      event_time: r.event_time + 86_400_000,
      event_id: `old-${r.event_id}`,
    }));
    expect((await stub.add("old-layout", day)).added).toBe(5);
    await runInDurableObject(stub, (_instance: EventsRollup, state) => {
      const sql = state.storage.sql;
      // the first layout: the same columns keyed by event_id alone
      const table =
        sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'events'").one().sql;
      sql.exec("ALTER TABLE events RENAME TO events_new");
      sql.exec(
        table.replace(", PRIMARY KEY (event_time, event_id)", "").replace(
          "event_id TEXT NOT NULL",
          "event_id TEXT PRIMARY KEY",
        ),
      );
      sql.exec("INSERT INTO events SELECT * FROM events_new");
      sql.exec("DROP TABLE events_new");
      const fresh = new EventsRollup(state, env); // the next start of the object migrates
      const layout =
        sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'events'").one().sql;
      expect(layout).toContain("PRIMARY KEY (event_time, event_id)");
      const all = { from: T + 86_400_000, to: T + 86_400_000 + 4 * 3_600_000, filters: {} };
      expect(fresh.recent(all, 10).map((r) => r.event_id)).toEqual(day.map((r) => r.event_id).reverse());
      // a row already there is not added twice; a new one is
      expect(fresh.add("old-layout-2", [day[0]!, { ...day[0]!, event_id: "old-new" }]).added).toBe(1);
    });
  });
});
