/** Queue names as declared in wrangler.toml. */
export const RAW_EVENTS_QUEUE = "wiki-raw-events";
export const DEAD_LETTER_QUEUE = "wiki-raw-events-dlq";
