import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { feedEventsRollup } from "../events_feed_binding.ts";

const fetchJson = async (path: string) =>
  await (await (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`))).json() as any;

let n = 0;
/** `edits` rows of one page at `day` + 12:00 + i s. */
function edits(day: string, title: string, count: number, wiki = "enwiki"): SilverRow[] {
  const base = Date.parse(`${day}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) => ({
    event_id: `tp-${n++}`,
    event_time: base + i * 1_000,
    wiki,
    server_name: "en.wikipedia.org",
    page_title: title,
    namespace: 0,
    change_type: "edit",
    user_name: "U",
    is_bot: false,
    is_minor: false,
    bytes_diff: 1,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: "REGISTERED",
    comment: null,
    revision_new: null,
    ingestion_time: base + i * 1_000,
  }));
}

describe("GET /api/events/top-pages across days (threshold merge of the day rollups)", () => {
  it("counts a page listed by one day with its edits on the other day (keyed lookup)", async () => {
    // day 1: X 6, A 1; day 2: C 5, D 5, X 1. By hand: X 7, C 5, D 5, A 1.
    const rows = [
      ...edits("2037-03-01", "X", 6),
      ...edits("2037-03-01", "A", 1),
      ...edits("2037-03-02", "C", 5),
      ...edits("2037-03-02", "D", 5),
      ...edits("2037-03-02", "X", 1),
    ];
    await feedEventsRollup(env, [{ owner: "tp-test:1", rows }]);
    const range = "from=2037-03-01T00:00:00Z&to=2037-03-03T00:00:00Z";
    const one = await fetchJson(`/api/events/top-pages?limit=1&${range}`);
    expect(one.rows).toEqual([{
      wiki: "enwiki",
      page_title: "X",
      edits: 7,
      url: "https://en.wikipedia.org/wiki/X",
    }]);
    // the keyed lookup itself, on day 2: X has 1 edit there, A none
    const counts = await env.EVENTS_ROLLUP.getByName("2037-03-02").pageCounts(
      { from: Date.parse("2037-03-01T00:00:00Z"), to: Date.parse("2037-03-03T00:00:00Z"), filters: {} },
      [["enwiki", "X"], ["enwiki", "A"], ["dewiki", "X"]],
    );
    expect(counts).toEqual([{ wiki: "enwiki", page_title: "X", server_name: "en.wikipedia.org", edits: 1 }]);
    const all = await fetchJson(`/api/events/top-pages?limit=10&${range}`);
    expect(all.rows.map((r: any) => [r.page_title, r.edits])).toEqual([["X", 7], ["C", 5], ["D", 5], [
      "A",
      1,
    ]]);
  });

  it("finds the overall top page that neither day lists in its first short list", async () => {
    // day 1: A 5, B 4, Y 3; day 2: C 5, D 4, Y 3. By hand: Y 6 is the top page.
    const rows = [
      ...edits("2037-04-01", "A", 5),
      ...edits("2037-04-01", "B", 4),
      ...edits("2037-04-01", "Y", 3),
      ...edits("2037-04-02", "C", 5),
      ...edits("2037-04-02", "D", 4),
      ...edits("2037-04-02", "Y", 3),
    ];
    await feedEventsRollup(env, [{ owner: "tp-test:2", rows }]);
    const body = await fetchJson(
      "/api/events/top-pages?limit=1&from=2037-04-01T00:00:00Z&to=2037-04-03T00:00:00Z",
    );
    expect(body.rows.map((r: any) => [r.page_title, r.edits])).toEqual([["Y", 6]]);
    // and a filter that matches nothing on either day is an empty answer
    const none = await fetchJson(
      "/api/events/top-pages?limit=1&wiki=dewiki&from=2037-04-01T00:00:00Z&to=2037-04-03T00:00:00Z",
    );
    expect(none.rows).toEqual([]);
  });
});
