/** Defaults of the late-data correction job (core constants, shared by the job and the admin API). */

/** Hours of bronze the correction re-reads by default. */
export const DEFAULT_LOOKBACK_HOURS = 24;
/** Bronze files one run re-reads at most (the rest wait for the next run). */
export const DEFAULT_MAX_FILES = 200;
