import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Relative import specifiers of a file, resolved against the repo root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:import|export)[^"';]*?from\s+"(\.[^"]+)"/g)]
    .map((m) => relative(ROOT, resolve(ROOT, file, "..", m[1])));
}

describe("import direction", () => {
  it("the Durable Objects never import the Worker's shells (workers/pipeline.ts, workers/lake_writer.ts, workers/http)", () => {
    const upward = sources("durable-objects").flatMap((f) =>
      importsOf(f)
        .filter((to) =>
          to === "workers/pipeline.ts" || to === "workers/lake_writer.ts" || to.startsWith("workers/http/")
        )
        .map((to) => `${f} → ${to}`)
    );
    expect(sources("durable-objects").length).toBeGreaterThan(10);
    expect(upward).toEqual([]);
  });
});
