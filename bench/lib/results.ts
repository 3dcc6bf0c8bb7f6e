/**
 * Shared helpers of the benchmark suites: the machine and versions line, the load average seen,
 * medians and percentiles, Markdown tables, and appending a dated section to bench/RESULTS.md.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of bench/RESULTS.md. */
export const RESULTS_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "RESULTS.md");

/** "2 × AMD EPYC …, 24 GiB": the machine a run was measured on. */
export function describeMachine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${
    Math.round(totalmem() / 2 ** 30)
  } GiB`;
}

/** "node 22.x, wrangler 4.x, workerd …": the versions that shaped the numbers. */
export function describeVersions(
  packages = ["wrangler", "miniflare", "parquet-wasm", "@duckdb/node-api"],
): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const versions = packages.map((name) => {
    try {
      const pkg = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8"));
      return `${name} ${pkg.version}`;
    } catch {
      return `${name} (not installed)`;
    }
  });
  return [`node ${process.versions.node}`, ...versions].join(", ");
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100, nearest rank) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("percentile of an empty list");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** A Markdown table from a header row and body rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * Appends a section to bench/RESULTS.md: a heading with the suite and date, the machine and
 * versions, the table, and free-form notes. Prints the same text to stdout.
 */
export function appendResults(suite: string, table: string, notes: readonly string[] = []): void {
  const text = [
    "",
    `## ${suite} — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Machine: ${describeMachine()}. Versions: ${describeVersions()}.`,
    "",
    table,
    ...(notes.length > 0 ? ["", ...notes.map((n) => `- ${n}`)] : []),
    "",
  ].join("\n");
  console.log(text);
  appendFileSync(RESULTS_PATH, text);
}

/** The lowest and highest 1-minute load average seen at `note()` calls (the machine is shared). */
export class LoadRange {
  #min = Infinity;
  #max = 0;

  /** Samples the load average now. */
  note(): void {
    const l = loadavg()[0]!;
    this.#min = Math.min(this.#min, l);
    this.#max = Math.max(this.#max, l);
  }

  /** `"1.20–3.40"`. */
  toString(): string {
    return `${this.#min.toFixed(2)}–${this.#max.toFixed(2)}`;
  }
}
