/**
 * Test support: the anomaly signals of DESIGN.md §6 as DuckDB SQL (window frames over the hour
 * before each window), written from the contract and never from the product's code. Its input
 * is a relation `(ws BIGINT ms, total, reverts)` of final windows.
 */

/** SQL answering `(ws, signal, value, mean, sd)` for the windows `ws ∈ [from, to)` of `windows`. */
export function anomalySignalsSql(windows: string, from: number, to: number): string {
  return `
    WITH w AS (SELECT ws, total, reverts FROM ${windows}),
    base AS (
      SELECT a.ws, a.total, a.reverts, count(*) AS n,
             avg(b.total) AS mt, stddev_pop(b.total) AS st,
             avg(b.reverts) AS mr, stddev_pop(b.reverts) AS sr
      FROM w a JOIN w b ON b.ws < a.ws AND b.ws >= a.ws - 3600000
      GROUP BY a.ws, a.total, a.reverts
    )
    SELECT ws, 'EDIT_SPIKE' AS signal, total AS value, mt AS mean, st AS sd FROM base
      WHERE n >= 6 AND st > 0 AND total >= mt + 3 * st AND ws >= ${from} AND ws < ${to}
    UNION ALL
    SELECT ws, 'REVERT_WAVE', reverts, mr, sr FROM base
      WHERE n >= 6 AND sr > 0 AND reverts >= 5 AND reverts >= mr + 3 * sr AND ws >= ${from} AND ws < ${to}
    ORDER BY ws, signal`;
}
