import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { execFileSync } from "node:child_process";

// itty-durable ships ESM in `.js` files with extensionless imports, in a package without
// "type": "module"; wrangler's esbuild bundles it fine, the workerd module runner does not.
// Bundle the real package once into one ESM file (what wrangler does) and alias it for tests.
const ITTY_DURABLE_ESM = "node_modules/.cache/wikiflare/itty-durable.mjs";
buildSync({
  stdin: {
    contents: [
      'export { createDurable } from "itty-durable/itty-durable.js";',
      'export { proxyDurable } from "itty-durable/proxy-durable.js";',
      'export { withDurables } from "itty-durable/with-durables.js";',
    ].join("\n"),
    resolveDir: ".",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: ITTY_DURABLE_ESM,
  logLevel: "error",
});

// wrangler.toml's [assets] directory must exist for the workerd and e2e projects: build the pages.
execFileSync(process.execPath, ["scripts/build_pages.ts"], { stdio: "ignore" });

const SHELL_TESTS = [
  "**/*_object_test.ts",
  "**/*_binding_test.ts",
  "**/*_handler_test.ts",
  "**/*_routes_test.ts",
];
const IGNORE = ["node_modules/**", ".wrangler/**", "dist/**", "scripts/**"];

export default defineConfig({
  test: {
    // Output is failures only: a passing test's console (e.g. the Worker's JSON request logs) is
    // dropped, a failing one's is printed with it. The e2e stages print their one summary line
    // each past this filter (test/e2e/lib/e2e_steps.ts `stageSummary`).
    silent: "passed-only",
    projects: [
      {
        test: {
          name: "core",
          environment: "node",
          include: ["{workers,durable-objects,r2,dashboards,test/core}/**/*_test.ts"],
          exclude: [...IGNORE, ...SHELL_TESTS, "test/e2e/**"],
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias: { "itty-durable": new URL(ITTY_DURABLE_ESM, import.meta.url).pathname } },
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The read API's rate limit is off here (every request shares one client key);
              // rate_limit_routes_test.ts turns it on.
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                COMMIT_INTERVAL_SECONDS: "1",
                RATE_LIMIT_READ_API: "off",
              },
            },
          }),
        ],
        test: {
          name: "workerd",
          globalSetup: [
            "test/workerd/global_setup.ts",
            "test/workerd/drilldown_setup.ts",
            "test/workerd/anomalies_setup.ts",
            "test/workerd/duckdb_oracle_setup.ts",
          ],
          include: [
            ...SHELL_TESTS.map((g) => `{workers,durable-objects,r2}/${g}`),
            "test/workerd/**/*_test.ts",
          ],
          exclude: IGNORE,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*_test.ts"],
          exclude: IGNORE,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
