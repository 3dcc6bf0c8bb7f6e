/**
 * `npm run reset -- --yes [--url http://127.0.0.1:8787] [--persist-to .wrangler/state]`
 *
 * Empties the local pipeline. When a local Worker answers at --url, it is reset through the
 * admin API (needs ADMIN_TOKEN in the environment); otherwise the persisted local state
 * directory (R2, queues, Durable Objects) is deleted.
 */
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PERSIST_DIR } from "./lib/local_lake.ts";

const { values } = parseArgs({
  options: {
    yes: { type: "boolean", default: false },
    url: { type: "string", default: "http://127.0.0.1:8787" },
    "persist-to": { type: "string", default: DEFAULT_PERSIST_DIR },
  },
});
const dir = resolve(values["persist-to"]);
if (!values.yes) {
  console.error(`This deletes every table and all local pipeline state (${dir}, or via ${values.url}).`);
  console.error("Repeat with --yes to confirm: npm run reset -- --yes");
  process.exit(2);
}
const running = await fetch(`${values.url}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
  (r) => r.ok,
  () => false,
);
if (running) {
  const token = process.env.ADMIN_TOKEN;
  if (!token) {
    console.error(`A Worker is running at ${values.url}; set ADMIN_TOKEN to reset it, or stop it first.`);
    process.exit(1);
  }
  const response = await fetch(`${values.url}/api/admin/reset?confirm=yes`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  console.log(await response.text());
  process.exit(response.ok ? 0 : 1);
}
await rm(dir, { recursive: true, force: true });
console.error(`Deleted local state ${dir}`);
