/**
 * `npm run build:pages`: bundles the dashboards (dashboards/*_page.ts, the stylesheet with
 * uPlot's CSS, the HTML and `_headers`) with esbuild into `dist/assets/`, the Worker's static
 * assets directory (wrangler.toml `[assets]`). Runs on Node 22 (type stripping).
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "dist", "assets");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "assets"), { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: ["dashboards/monitor_page.ts", "dashboards/kpis_page.ts", "dashboards/styles.css"],
  outdir: path.join(out, "assets"),
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  sourcemap: true,
  target: "es2022",
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
const staticDir = path.join(root, "dashboards", "static");
fs.copyFileSync(path.join(staticDir, "index.html"), path.join(out, "index.html"));
fs.copyFileSync(path.join(staticDir, "kpis.html"), path.join(out, "kpis.html"));
fs.copyFileSync(path.join(staticDir, "_headers"), path.join(out, "_headers"));
const bytes = fs.readdirSync(path.join(out, "assets")).reduce(
  (s, f) => s + fs.statSync(path.join(out, "assets", f)).size,
  0,
);
console.log(`build:pages → ${path.relative(root, out)} (${Math.round(bytes / 1024)} KiB incl. source maps)`);
