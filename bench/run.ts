/**
 * `npm run bench -- <suite> [options]`: runs one benchmark suite, `bench/<suite>_bench.ts`.
 *
 * Benchmarks measure; they never pass or fail on a number. Each suite prints a table and appends
 * its rows to bench/RESULTS.md with the date, the machine and the versions (bench/lib/results.ts).
 * `npm run bench -- --help` lists the suites. Runs on Node 22 (the `node` devDependency).
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** The suite names: every `bench/<suite>_bench.ts`. */
export function listSuites(dir = BENCH_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith("_bench.ts"))
    .map((f) => f.slice(0, -"_bench.ts".length))
    .sort();
}

const [suite, ...rest] = process.argv.slice(2);
if (suite === undefined || suite === "--help" || suite === "-h") {
  console.log(`usage: npm run bench -- <suite> [options]\nsuites: ${listSuites().join(", ")}`);
  process.exit(suite === undefined ? 2 : 0);
}
if (!/^[a-z][a-z0-9_]{0,40}$/.test(suite) || !existsSync(join(BENCH_DIR, `${suite}_bench.ts`))) {
  console.error(`unknown bench suite ${JSON.stringify(suite)}; suites: ${listSuites().join(", ")}`);
  process.exit(2);
}
// The suite parses its own options from process.argv, as if run directly.
process.argv = [process.argv[0]!, join(BENCH_DIR, `${suite}_bench.ts`), ...rest];
await import(pathToFileURL(join(BENCH_DIR, `${suite}_bench.ts`)).href);
