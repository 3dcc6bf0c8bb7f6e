import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { PageCount } from "./rollup_query.ts";
import { type DayPages, topPagesAcrossDays } from "./top_pages_merge.ts";

/** A day as a plain list of (wiki, title, edits); lookups answered by brute force. */
function day(pages: Array<[string, string, number]>, calls: { top: Array<number | null> }): DayPages {
  const all: PageCount[] = pages.map(([wiki, page_title, edits]) => ({
    wiki,
    page_title,
    edits,
    server_name: null,
  }))
    .sort((a, b) =>
      b.edits - a.edits || (a.wiki < b.wiki ? -1 : a.wiki > b.wiki ? 1 : 0) ||
      (a.page_title < b.page_title ? -1 : a.page_title > b.page_title ? 1 : 0)
    );
  return {
    top: (k) => {
      calls.top.push(k);
      return Promise.resolve(k === null ? all : all.slice(0, k));
    },
    counts: (wanted) =>
      Promise.resolve(all.filter((p) => wanted.some(([w, t]) => w === p.wiki && t === p.page_title))),
  };
}

/** The expected answer, by summing everything (independent of the algorithm). */
function bruteForce(days: Array<Array<[string, string, number]>>, limit: number) {
  const sums = new Map<string, number>();
  for (const d of days) {
    for (const [w, t, e] of d) sums.set(`${w}\u0000${t}`, (sums.get(`${w}\u0000${t}`) ?? 0) + e);
  }
  return [...sums].map(([k, edits]) => ({
    wiki: k.split("\u0000")[0]!,
    page_title: k.split("\u0000")[1]!,
    edits,
  }))
    .sort((a, b) =>
      b.edits - a.edits || (a.wiki < b.wiki ? -1 : a.wiki > b.wiki ? 1 : 0) ||
      (a.page_title < b.page_title ? -1 : a.page_title > b.page_title ? 1 : 0)
    ).slice(0, limit);
}

const strip = (rows: PageCount[]) => rows.map(({ wiki, page_title, edits }) => ({ wiki, page_title, edits }));

describe("topPagesAcrossDays", () => {
  it("finds a page that is the top one overall but in no day's short list (second round)", async () => {
    const calls = { top: [] as Array<number | null> };
    // "x" has 3 + 3 = 6 edits overall, below each day's top 2 (5, 4), above every other total
    const d1: Array<[string, string, number]> = [["en", "a", 5], ["en", "b", 4], ["en", "x", 3]];
    const d2: Array<[string, string, number]> = [["en", "c", 5], ["en", "d", 4], ["en", "x", 3]];
    const { rows, rounds } = await topPagesAcrossDays([day(d1, calls), day(d2, calls)], 1, 2);
    expect(strip(rows)).toEqual([{ wiki: "en", page_title: "x", edits: 6 }]);
    expect(rounds).toBeGreaterThan(1);
  });

  it("answers in one round when the candidates clear the threshold", async () => {
    const calls = { top: [] as Array<number | null> };
    const d1: Array<[string, string, number]> = [["en", "a", 50], ["en", "b", 1], ["en", "c", 1]];
    const d2: Array<[string, string, number]> = [["en", "a", 40], ["en", "d", 1], ["en", "e", 1]];
    const { rows, rounds } = await topPagesAcrossDays([day(d1, calls), day(d2, calls)], 1, 2);
    expect(strip(rows)).toEqual([{ wiki: "en", page_title: "a", edits: 90 }]);
    expect(rounds).toBe(1);
    expect(calls.top).toEqual([2, 2]);
  });

  it("equals the brute-force sum for random days, limits and first k", async () => {
    const page = fc.tuple(
      fc.constantFrom("en", "de", "fr"),
      fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"),
    );
    const dayArb = fc.uniqueArray(fc.tuple(page, fc.integer({ min: 1, max: 30 })), {
      selector: ([p]) => p.join("/"),
      maxLength: 24,
    }).map((l) => l.map(([[w, t], e]) => [w, t, e] as [string, string, number]));
    await fc.assert(
      fc.asyncProperty(
        fc.array(dayArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 6 }),
        async (days, limit, firstK) => {
          const calls = { top: [] as Array<number | null> };
          const { rows } = await topPagesAcrossDays(days.map((d) => day(d, calls)), limit, firstK);
          expect(strip(rows)).toEqual(bruteForce(days, limit));
        },
      ),
      { numRuns: 500, seed: 42 },
    );
  });
});
