import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

const SHELL_TESTS = [
  "**/*_object_test.ts",
  "**/*_binding_test.ts",
  "**/*_handler_test.ts",
  "**/*_routes_test.ts",
];
const IGNORE = ["node_modules/**", ".wrangler/**", "dist/**", "scripts/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          environment: "node",
          include: ["{workers,durable-objects,r2,test/core}/**/*_test.ts"],
          exclude: [...IGNORE, ...SHELL_TESTS, "test/e2e/**"],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", COMMIT_INTERVAL_SECONDS: "1" } },
          }),
        ],
        test: {
          name: "workerd",
          globalSetup: ["test/workerd/global_setup.ts"],
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
