/**
 * Exact top pages over several days without shipping every page of every day (core): the
 * threshold algorithm. Each day answers its own top `k` (with its k-th count as a bound for
 * every page it left out); the candidates are the union of those lists; their exact totals
 * come from a second, keyed lookup on the days that did not list them. A page listed by no day
 * has at most Σ bound(day) edits, so the candidates' top `limit` is exact when its last total
 * is above that sum; otherwise `k` doubles (a day whose list is shorter than `k` is complete:
 * its bound is 0). Pure: the day lookups are passed in.
 * @module
 */
import { mergePages, type PageCount } from "./rollup_query.ts";

/** One day's lookups, as the EventsRollup serves them. */
export interface DayPages {
  /** The day's `k` most edited pages (edits desc, wiki asc, page_title asc); null: every page. */
  top(k: number | null): Promise<PageCount[]>;
  /** Exact counts of the given pages (`[wiki, page_title]`); pages without edits are absent. */
  counts(pages: ReadonlyArray<readonly [string, string]>): Promise<PageCount[]>;
}

/** Largest `k` asked of a day before falling back to its whole list (then always exact). */
const MAX_K = 20_000;

/** The exact top `limit` pages over the days, and how many rounds that took. */
export async function topPagesAcrossDays(
  days: readonly DayPages[],
  limit: number,
  firstK = limit * 2,
): Promise<{ rows: PageCount[]; rounds: number }> {
  if (days.length === 1) return { rows: await days[0]!.top(limit), rounds: 1 };
  let k: number | null = Math.max(limit, firstK);
  for (let rounds = 1;; rounds++) {
    const asked = k;
    const lists = await Promise.all(days.map((d) => d.top(asked)));
    const bounds = lists.map((l) => (asked === null || l.length < asked ? 0 : l.at(-1)!.edits));
    const threshold = bounds.reduce((a, b) => a + b, 0);
    const candidates = new Map<string, readonly [string, string]>();
    for (const l of lists) for (const p of l) candidates.set(keyOf(p), [p.wiki, p.page_title]);
    // The days that did not list a candidate give its exact count there.
    const extra = await Promise.all(days.map((d, i) => {
      const listed = new Set(lists[i]!.map(keyOf));
      const missing = [...candidates].filter(([key]) => !listed.has(key)).map(([, page]) => page);
      return missing.length ? d.counts(missing) : Promise.resolve([]);
    }));
    const rows = mergePages([...lists, ...extra], limit);
    const exact = threshold === 0 || (rows.length === limit && rows.at(-1)!.edits > threshold);
    if (exact) return { rows, rounds };
    k = k === null || k * 2 > MAX_K ? null : k * 2;
  }
}

function keyOf(p: { wiki: string; page_title: string }): string {
  return JSON.stringify([p.wiki, p.page_title]);
}
