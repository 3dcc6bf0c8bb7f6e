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
  it("the Durable Objects never import from workers/ (the Worker's rooms sit above them)", () => {
    const upward = sources("durable-objects").flatMap((f) =>
      importsOf(f).filter((to) => to.startsWith("workers/")).map((to) => `${f} → ${to}`)
    );
    expect(sources("durable-objects").length).toBeGreaterThan(10);
    expect(upward).toEqual([]);
  });

  it("the lake (r2/, its test support aside) imports neither the Durable Objects nor the Worker", () => {
    const lake = sources("r2").filter((f) => !f.startsWith("r2/testing/"));
    const upward = lake.flatMap((f) =>
      importsOf(f)
        .filter((to) => to.startsWith("workers/") || to.startsWith("durable-objects/"))
        .map((to) => `${f} → ${to}`)
    );
    expect(sources("r2").length).toBeGreaterThan(10);
    expect(upward).toEqual([]);
  });
});
