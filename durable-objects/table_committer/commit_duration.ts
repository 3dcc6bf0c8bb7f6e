/**
 * Pure core: the commit-duration histogram a TableCommitter keeps durably (in its meta table) for
 * `wikiflare_commit_duration_seconds` — cumulative-ready bucket counts, sum and count.
 */

/** Upper bounds (seconds) of the buckets; `+Inf` is implied by `count`. */
export const COMMIT_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** Non-cumulative counts per bucket (`counts[i]`: durations in (bound[i-1], bound[i]]), plus the overflow. */
export interface DurationHistogram {
  counts: number[];
  sum: number;
  count: number;
}

export function emptyHistogram(): DurationHistogram {
  return { counts: COMMIT_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
}

/** Adds one observation (seconds) to a copy of `h`. */
export function observe(h: DurationHistogram, seconds: number): DurationHistogram {
  const counts = [...h.counts];
  const i = COMMIT_DURATION_BUCKETS.findIndex((b) => seconds <= b);
  if (i >= 0) counts[i] = (counts[i] ?? 0) + 1;
  return { counts, sum: h.sum + seconds, count: h.count + 1 };
}

/** Parses the stored JSON; anything malformed starts empty. */
export function parseHistogram(raw: string | null): DurationHistogram {
  if (raw === null) return emptyHistogram();
  try {
    const v = JSON.parse(raw) as DurationHistogram;
    if (Array.isArray(v.counts) && v.counts.length === COMMIT_DURATION_BUCKETS.length) return v;
  } catch { /* fall through */ }
  return emptyHistogram();
}
