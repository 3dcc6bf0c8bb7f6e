/** Worker secrets (set with `wrangler secret put`; locally via `--var` or `.dev.vars`). */
declare namespace Cloudflare {
  interface Env {
    /** Bearer token of the admin API; the admin API answers 503 while it is unset. */
    ADMIN_TOKEN?: string;
    /** Bearer token of the Iceberg REST catalog (/iceberg); the catalog is open while it is unset. */
    CATALOG_TOKEN?: string;
  }
}
