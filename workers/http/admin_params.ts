/**
 * Pure validation of the admin API's numeric query parameters.
 */
import { DEFAULT_LOOKBACK_HOURS } from "../correction_defaults.ts";

/** A parsed parameter or the message of a 400. */
export type ParamResult = { ok: true; value: number } | { ok: false; message: string };

/** Parses an optional integer in [min, max]; absent → `fallback`. */
export function parseBoundedInt(
  raw: string | undefined,
  name: string,
  bounds: { min: number; max: number; fallback: number },
): ParamResult {
  if (raw === undefined) return { ok: true, value: bounds.fallback };
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    return {
      ok: false,
      message: `"${name}" must be an integer from ${bounds.min} to ${bounds.max}; got "${raw.slice(0, 32)}"`,
    };
  }
  return { ok: true, value };
}

/** The configured lookback (CORRECTION_LOOKBACK_HOURS), falling back to 24 h when unset or invalid. */
export function correctionLookbackHours(configured: string | undefined): number {
  const parsed = parseBoundedInt(configured, "CORRECTION_LOOKBACK_HOURS", {
    min: 1,
    max: 168,
    fallback: DEFAULT_LOOKBACK_HOURS,
  });
  return parsed.ok ? parsed.value : DEFAULT_LOOKBACK_HOURS;
}
