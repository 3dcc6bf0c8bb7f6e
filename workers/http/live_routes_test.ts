import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { EventSourceMessage } from "eventsource-parser";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { admitToGold } from "../queue/ingest_messages.ts";
import { readSse, type SseStream } from "../../test/workerd/sse_client.ts";

const BASE = "http://wikiflare.test";
const open = async (path = "/api/live", headers?: Record<string, string>) =>
  readSse(await (exports as any).default.fetch(new Request(`${BASE}${path}`, { headers })));

// 2035-01-01T00:00Z: no other test of this file admits rows there; its window starts at T0.
const T0 = Date.UTC(2035, 0, 1);
const WINDOW = new Date(T0).toISOString();

function row(i: number, wiki: string, user: string): SilverRow {
  const t = T0 + 1_000 * i;
  return {
    event_id: `live-${i}`,
    event_time: t,
    wiki,
    server_name: `${wiki.slice(0, 2)}.wikipedia.org`,
    page_title: `Page ${i % 3}`,
    namespace: 0,
    change_type: "edit",
    user_name: user,
    is_bot: false,
    is_minor: false,
    bytes_diff: 10,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: "REGISTERED",
    comment: null,
    revision_new: 1_000 + i,
    ingestion_time: t + 1_000,
  };
}

const recentIds = (frames: EventSourceMessage[]) =>
  frames.filter((f) => f.event === "recent").flatMap((f) =>
    JSON.parse(f.data).events.map((e: any) => e.event_id)
  );
const windowWith = (edits: number) => (f: EventSourceMessage) =>
  f.event === "window" && JSON.parse(f.data).window_start === WINDOW &&
  JSON.parse(f.data).total_edits === edits;

const streams: SseStream[] = [];
const track = (s: SseStream) => (streams.push(s), s);
afterEach(async () => {
  for (const s of streams.splice(0)) await s.close();
});

describe("GET /api/live", () => {
  it("pushes an admitted batch and its window to two subscribers and resumes by Last-Event-ID", async () => {
    const a = track(await open());
    const b = track(await open());
    const dewiki = track(await open("/api/live?wiki=dewiki"));
    for (const s of [a, b, dewiki]) {
      expect(s.status).toBe(200);
      expect(JSON.parse((await s.waitFor((f) => f.event === "ready")).data).resumed).toBe(false);
    }

    // batch 1 through the pipeline's admission (rollups, tracker, windows, hub): 6 rows, 3 editors
    const batch1 = [0, 1, 2, 3, 4, 5].map((i) => row(i, i < 4 ? "enwiki" : "dewiki", `U${i % 3}`));
    await admitToGold(env, [{ owner: "live-test:1", rows: batch1 }]);
    for (const s of [a, b]) {
      await s.waitFor((f) => f.event === "recent");
      const w = JSON.parse((await s.waitFor(windowWith(6))).data);
      // by hand: enwiki Page 0,1,2 + dewiki Page 1,2 = 5 pages; users U0,U1,U2
      expect(w).toMatchObject({ total_edits: 6, unique_editors: 3, active_pages: 5, final: false });
      expect(recentIds(s.frames)).toEqual(batch1.map((r) => r.event_id));
    }
    // the filtered subscriber got only the dewiki rows, and the (unfiltered) window
    await dewiki.waitFor(windowWith(6));
    expect(recentIds(dewiki.frames)).toEqual(["live-4", "live-5"]);

    // a drops; batch 2 lands while it is away
    const lastSeen = a.frames.filter((f) => f.id !== undefined).at(-1)!.id!;
    await a.close();
    const batch2 = [6, 7, 8, 9].map((i) => row(i, "enwiki", `U${i}`));
    await admitToGold(env, [{ owner: "live-test:2", rows: batch2 }]);
    const bFinal = await b.waitFor(windowWith(10));
    expect(JSON.parse(bFinal.data).unique_editors).toBe(7);

    // a comes back with its Last-Event-ID: the current open windows first (DESIGN §6), then
    // the recent frames it missed (the missed versions of the still-open window are superseded)
    const a2 = track(await open("/api/live", { "Last-Event-ID": lastSeen }));
    const ready = await a2.waitFor((f) => f.event === "ready");
    expect(JSON.parse(ready.data).resumed).toBe(true);
    const missed = b.frames.slice(b.frames.findIndex((f) => f.id === lastSeen) + 1)
      .filter((f) => f.event !== "ready" && Number(f.id!.split("-")[1]) <= Number(ready.id!.split("-")[1]));
    const replayed = a2.frames.filter((f) => f.event !== "ready");
    const firstIdd = replayed.findIndex((f) => f.id !== undefined);
    const openFirst = replayed.slice(0, firstIdd === -1 ? replayed.length : firstIdd);
    expect(openFirst.length).toBeGreaterThan(0);
    expect(openFirst.every((f) => f.event === "window" && !JSON.parse(f.data).final)).toBe(true);
    expect(JSON.parse(openFirst.find(windowWith(10))!.data)).toEqual(JSON.parse(bFinal.data));
    const afterOpen = replayed.slice(openFirst.length);
    expect(afterOpen.map((f) => [f.id, f.event, f.data])).toEqual(
      missed.filter((f) => f.event === "recent").map((f) => [f.id, f.event, f.data]),
    );
    const allIds = [...recentIds(a.frames), ...recentIds(a2.frames)];
    expect(allIds).toEqual([...batch1, ...batch2].map((r) => r.event_id)); // no gap, no duplicate
    expect(new Set(afterOpen.map((f) => f.id)).size).toBe(afterOpen.length);
  });

  it("answers an id it cannot resume from with a reset frame and the open windows", async () => {
    const s = track(await open("/api/live", { "Last-Event-ID": "zzzzzz-12" }));
    const ready = await s.waitFor((f) => f.event === "ready");
    expect(JSON.parse(ready.data).resumed).toBe(false);
    expect(s.frames[0]!.event).toBe("reset");
    expect(JSON.parse(s.frames[0]!.data)).toEqual({ reason: "other_epoch" });
    expect(s.frames.slice(1, -1).every((f) => f.event === "window" && !JSON.parse(f.data).final)).toBe(true);
  });

  it("rejects bad filters, repeated parameters and a malformed Last-Event-ID with a JSON 400", async () => {
    const cases: Array<[string, Record<string, string>?]> = [
      ["/api/live?user_type=ROBOT"],
      ["/api/live?wiki=EN%20WIKI"],
      ["/api/live?wiki=enwiki&wiki=dewiki"],
      ["/api/live?change_type=delete"],
      ["/api/live", { "Last-Event-ID": "../../etc" }],
    ];
    for (const [path, headers] of cases) {
      const response: Response = await (exports as any).default.fetch(
        new Request(`${BASE}${path}`, { headers }),
      );
      expect(response.status, path).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/json");
      const body = await response.json() as any;
      expect(body.error.status).toBe(400);
      expect(body.error.message.length).toBeGreaterThan(5);
    }
  });
});
