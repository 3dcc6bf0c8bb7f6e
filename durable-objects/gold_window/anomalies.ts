/**
 * Anomaly signals over final gold windows (DESIGN.md §6): for each window, the up to 12 final
 * windows before it within the previous 60 minutes form its baseline; with at least 6 of them,
 * `EDIT_SPIKE` when σ > 0 and total_edits ≥ μ + 3σ, `REVERT_WAVE` when σ > 0,
 * revert_like_edits ≥ 5 and revert_like_edits ≥ μ + 3σ (μ, σ: mean and population deviation).
 */

/** The two columns a signal looks at, of one final window. */
export interface AnomalyInput {
  window_start: number;
  total_edits: number;
  revert_like_edits: number;
}

/** One signal raised for one window. */
export interface AnomalySignal {
  window_start: number;
  signal: "EDIT_SPIKE" | "REVERT_WAVE";
  value: number;
  mean: number;
  stddev: number;
  z: number;
}

const BASELINE_MS = 60 * 60_000;
const MAX_BASELINE = 12;
const MIN_BASELINE = 6;

function meanAndDeviation(values: number[]): { mean: number; stddev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, stddev: Math.sqrt(variance) };
}

/**
 * The signals of the windows whose start is in `[from, to)`, ordered by window_start then signal.
 * `finals` holds final windows in any order, including the hour before `from` (the baselines).
 */
export function detectAnomalies(finals: AnomalyInput[], from: number, to: number): AnomalySignal[] {
  const sorted = [...finals].sort((a, b) => a.window_start - b.window_start);
  const out: AnomalySignal[] = [];
  sorted.forEach((w, i) => {
    if (w.window_start < from || w.window_start >= to) return;
    const baseline = sorted.slice(0, i)
      .filter((b) => b.window_start >= w.window_start - BASELINE_MS)
      .slice(-MAX_BASELINE);
    if (baseline.length < MIN_BASELINE) return;
    const checks = [
      {
        signal: "EDIT_SPIKE" as const,
        value: w.total_edits,
        pick: (b: AnomalyInput) => b.total_edits,
        min: 0,
      },
      {
        signal: "REVERT_WAVE" as const,
        value: w.revert_like_edits,
        pick: (b: AnomalyInput) => b.revert_like_edits,
        min: 5,
      },
    ];
    for (const check of checks) {
      const { mean, stddev } = meanAndDeviation(baseline.map(check.pick));
      if (stddev > 0 && check.value >= check.min && check.value >= mean + 3 * stddev) {
        out.push({
          window_start: w.window_start,
          signal: check.signal,
          value: check.value,
          mean,
          stddev,
          z: (check.value - mean) / stddev,
        });
      }
    }
  });
  return out;
}
