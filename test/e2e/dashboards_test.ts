/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * End to end, issue 10: the two pages in a real browser (playwright-core driving Debian's
 * chromium) against the local stack fed by a replay at a slow speed. Both pages load without a
 * console error; a new window and new recent events appear without a reload while the replay
 * runs; once idle every chart's numbers equal the API's answers for the same query; every
 * filter changes every chart and the URL, and loading that URL restores the view; a failing API
 * shows the error state. Screenshots at 1440 px and 390 px go to test-output/screenshots/; the
 * tracked copies in dashboards/screenshots/ (the README's) are refreshed only on purpose, with
 * `UPDATE_SCREENSHOTS=1` (`npm run screenshots`), so `npm test` never dirties the work tree.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium, type Page } from "playwright-core";
import { type LocalStack, REPO_ROOT, startLocalStack } from "../../scripts/lib/local_stack.ts";
import { createRunDir, synthStream } from "./lib/e2e_steps.ts";

const RUN_DIR = createRunDir("dashboards");
const STREAM = path.join(RUN_DIR, "stream.jsonl");
// 30 minutes of event time replayed at 6× (≈ 5 min): new windows open while the browser watches.
const SYNTH_ARGS = [
  ...["--events", "3000", "--start", "2026-04-01T08:00:00Z", "--span", "30m", "--disorder", "10s"],
  ...["--late-share", "0", "--duplicates", "0", "--canaries", "0", "--bad", "0", "--seed", "21"],
];
const SHOTS = path.join(REPO_ROOT, "test-output", "screenshots");
const README_SHOTS = path.join(REPO_ROOT, "dashboards", "screenshots");
/** `UPDATE_SCREENSHOTS=1`: also copy the screenshots over the tracked ones of the README. */
const UPDATE_README_SHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let stack: LocalStack | undefined;
let browser: Browser;
const consoleErrors: string[] = [];

async function api(route: string): Promise<any> {
  const res = await fetch(`${stack!.url}${route}`);
  expect(res.status, route).toBe(200);
  return res.json();
}

async function openPage(route: string, width = 1440): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${route}: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${route}: ${e.message}`));
  await page.goto(`${stack!.url}${route}`);
  await waitSettled(page);
  return page;
}

/** Waits until `<main>` left the loading state. */
async function waitSettled(page: Page): Promise<string> {
  await page.waitForFunction(() => document.querySelector("main")?.dataset.state !== "loading", null, {
    timeout: 30_000,
  });
  return page.$eval("main", (m) => (m as HTMLElement).dataset.state ?? "");
}

/** What the monitor shows: the numbers of every chart (from the charts' own markup and tables). */
function readMonitor(page: Page) {
  return page.evaluate(() => {
    const bars = (name: string) =>
      [...document.querySelectorAll(`figure[data-chart="${name}"] .bar-list li[data-key]`)].map((li) => ({
        key: (li as HTMLElement).dataset.key,
        events: Number((li as HTMLElement).dataset.value),
      }));
    const overTime = [
      ...document.querySelectorAll('figure[data-chart="events_over_time"] table.data-table tbody tr'),
    ].map((
      tr,
    ) => [...tr.querySelectorAll("td.num")].map((td) => Number((td as HTMLElement).dataset.value)));
    const topPages = [...document.querySelectorAll("#top-pages tbody tr")].filter((tr) =>
      tr.querySelector("a")
    )
      .map((tr) => ({
        wiki: tr.children[0].textContent,
        page_title: tr.querySelector("a")!.textContent,
        url: tr.querySelector("a")!.getAttribute("href"),
        edits: Number((tr.children[2] as HTMLElement).dataset.value),
      }));
    const recent = [...document.querySelectorAll("#recent tbody tr")].map((tr) =>
      (tr as HTMLElement).dataset.eventId
    );
    return {
      charts: [...document.querySelectorAll("figure[data-chart]")].map((f) =>
        (f as HTMLElement).dataset.chart
      ),
      captions: [...document.querySelectorAll("figure[data-chart] > figcaption")].length,
      overTime,
      user_type: bars("user_type"),
      edit_size: bars("edit_size"),
      change_type: bars("change_type"),
      wiki: bars("top_wikis"),
      topPages,
      recent,
    };
  });
}

/** The monitor's numbers as the API gives them for `query` (the page's own parameters). */
async function apiMonitor(query: string) {
  const q = new URLSearchParams(query);
  const range = Date.parse(q.get("to")!) - Date.parse(q.get("from")!);
  const bucket = range <= 3 * 3_600_000 ? "1m" : range <= 48 * 3_600_000 ? "5m" : "1h";
  const ts = await api(`/api/events/timeseries?${query}&bucket=${bucket}`);
  const bd = async (by: string, limit: number) =>
    (await api(`/api/events/breakdown?${query}&by=${by}&limit=${limit}`)).rows;
  return {
    overTime: ts.points.map((p: any) => [p.human, p.bot]),
    user_type: await bd("user_type", 20),
    edit_size: await bd("edit_size", 20),
    change_type: await bd("change_type", 20),
    wiki: await bd("wiki", 10),
    topPages: (await api(`/api/events/top-pages?${query}&limit=10`)).rows,
    recent: (await api(`/api/events/recent?${query}&limit=50`)).events.map((e: any) => e.event_id),
  };
}

function expectMonitorEqualsApi(
  shown: Awaited<ReturnType<typeof readMonitor>>,
  want: Awaited<ReturnType<typeof apiMonitor>>,
) {
  expect(shown.overTime).toEqual(want.overTime);
  expect(shown.user_type).toEqual(want.user_type);
  expect(shown.edit_size).toEqual(want.edit_size);
  expect(shown.change_type).toEqual(want.change_type);
  expect(shown.wiki).toEqual(want.wiki);
  expect(shown.topPages).toEqual(want.topPages);
  expect(shown.recent).toEqual(want.recent);
}

function readKpis(page: Page) {
  return page.evaluate(() => ({
    big: Object.fromEntries(
      [...document.querySelectorAll("[data-kpi]")].map((el) => [
        (el as HTMLElement).dataset.kpi,
        {
          value: Number((el as HTMLElement).dataset.value),
          delta: (el.querySelector("[data-delta]") as HTMLElement | null)?.dataset.delta ?? null,
        },
      ]),
    ),
    // The window bounds show compact UTC minutes; their `<time datetime>` keeps the API's ISO string.
    windows: [...document.querySelectorAll("#windows tbody tr")].map((tr) =>
      [...tr.children].map((td) => td.querySelector("time")?.getAttribute("datetime") ?? td.textContent)
    ),
    botHuman: [...document.querySelectorAll('figure[data-chart="bot_vs_human"] table.data-table tbody tr')]
      .map((tr) => [...tr.querySelectorAll("td.num")].map((td) => Number((td as HTMLElement).dataset.value))),
    botShare: [...document.querySelectorAll('figure[data-chart="bot_share"] table.data-table tbody tr')]
      .map((tr) => [...tr.querySelectorAll("td.num")].map((td) => Number((td as HTMLElement).dataset.value))),
    volatility: [...document.querySelectorAll('figure[data-chart="volatility"] table.data-table tbody tr')]
      .map((tr) => [...tr.querySelectorAll("td.num")].map((td) => Number((td as HTMLElement).dataset.value))),
    trend: Object.fromEntries(
      [...document.querySelectorAll('figure[data-chart="knowledge_trend"] .bar-list li[data-key]')].map((
        li,
      ) => [
        (li as HTMLElement).dataset.key,
        Number((li as HTMLElement).dataset.value),
      ]),
    ),
    anomalies: [...document.querySelectorAll("#anomalies tbody tr")].filter((tr) => tr.children.length === 5)
      .map((tr) => [tr.children[1]!.textContent, Number((tr.children[2] as HTMLElement).dataset.value)]),
    gauge: Number(
      (document.querySelector('figure[data-chart="edits_per_minute"] .plot') as HTMLElement)?.dataset.value,
    ),
    charts: [...document.querySelectorAll("figure[data-chart]")].map((f) => (f as HTMLElement).dataset.chart),
    provisional: document.querySelector("#newest [data-final]")?.getAttribute("data-final") ?? null,
  }));
}

/**
 * Runs in the page: every visible text node's element whose WCAG 2 contrast ratio against the
 * background behind it (the ancestors' backgrounds composited, the page white below) is under
 * 4.5:1 (3:1 for large text). Computed from the browser's resolved colours, not from our palette.
 */
function textContrastFailures(): string[] {
  const parse = (c: string): [number, number, number, number] | null => {
    const srgb = c.match(/^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)$/);
    if (srgb) {
      return [+srgb[1]! * 255, +srgb[2]! * 255, +srgb[3]! * 255, srgb[4] === undefined ? 1 : +srgb[4]];
    }
    const rgb = c.match(/^rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:[,/] ?([\d.]+))?\)$/);
    if (rgb) return [+rgb[1]!, +rgb[2]!, +rgb[3]!, rgb[4] === undefined ? 1 : +rgb[4]];
    return null;
  };
  const over = (top: number[], below: number[]) =>
    top.slice(0, 3).map((v, i) => v * top[3]! + below[i]! * (1 - top[3]!));
  const luminance = (rgb: number[]) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const background = (el: Element | null): number[] => {
    const layers: number[][] = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    return layers.reverse().reduce((acc, layer) => over(layer, acc), [255, 255, 255]);
  };
  const failures: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set<Element>();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent!.trim() || el.closest("svg, script, style, .skip")) continue;
    seen.add(el);
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!rect.width || !rect.height || style.visibility === "hidden") continue;
    const fg = parse(style.color);
    if (!fg) {
      failures.push(`unparsed colour ${style.color}`);
      continue;
    }
    const bg = background(el);
    const [l1, l2] = [luminance(over(fg, bg)), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1! + 0.05) / (l2! + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      failures.push(
        `${ratio.toFixed(2)}:1 "${n.textContent!.trim().slice(0, 30)}" (${el.tagName}.${el.className})`,
      );
    }
  }
  return failures;
}

/** A custom range URL query covering every window of the replay. */
async function fullRangeQuery(): Promise<string> {
  const latest = (await api("/api/kpis/latest")).windows[0];
  const to = Date.parse(latest.window_end);
  return new URLSearchParams({
    from: new Date(to - 3_600_000).toISOString(),
    to: new Date(to).toISOString(),
  }).toString();
}

beforeAll(async () => {
  synthStream(STREAM, SYNTH_ARGS);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  stack = await startLocalStack({
    files: [STREAM],
    speed: 15,
    port: 0,
    persistDir: path.join(RUN_DIR, "state"),
    logsDir: path.join(RUN_DIR, "logs"),
    vars: { RATE_LIMIT_READ_API: "off" }, // the closed-loop clients below all come from 127.0.0.1
  });
  for (let i = 0; i < 120; i++) {
    const h = await stack.health();
    if (h.events.silver > 200) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error("no silver rows after 120 s");
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the dashboards in a browser", () => {
  it("show a new window and new recent events without a reload while the replay runs", async () => {
    const monitor = await openPage("/");
    const kpis = await openPage("/kpis");
    expect(await waitSettled(monitor)).toBe("ready");
    expect(await waitSettled(kpis)).toBe("ready");
    const firstEvent = (await readMonitor(monitor)).recent[0];
    const firstWindows = (await readKpis(kpis)).windows.length;
    const firstNewest = (await readKpis(kpis)).windows[0]?.[0];
    await monitor.waitForFunction(
      (id) => document.querySelector("#recent tbody tr")?.getAttribute("data-event-id") !== id,
      firstEvent,
      { timeout: 120_000 },
    );
    await kpis.waitForFunction(
      ([n, start]) => {
        const rows = document.querySelectorAll("#windows tbody tr");
        const newest = rows[0]?.querySelector("time")?.getAttribute("datetime");
        return rows.length > (n as number) || newest !== start;
      },
      [firstWindows, firstNewest],
      { timeout: 180_000 },
    );
    expect(await kpis.$eval("#newest [data-final]", (el) => el.getAttribute("data-final"))).toBe("false");
    await monitor.close();
    await kpis.close();
  });

  it("answers 50 closed-loop clients on each read route the pages use while ingesting, every request its own 200", async () => {
    // The routes share one read among concurrent requests (workers/http/shared_read_routes.ts); every
    // request must still get its own 200 (a response built in another request's I/O context fails
    // with "Cannot perform I/O on behalf of a different request").
    const latest = (await api("/api/kpis/latest")).windows[0];
    const to = Date.parse(latest.window_end);
    const range = `from=${new Date(to - 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`;
    const routes = [
      "/api/kpis/latest",
      `/api/kpis?${range}`,
      `/api/events/timeseries?${range}&bucket=5m`,
      `/api/events/breakdown?${range}&by=user_type`,
      `/api/events/top-pages?${range}&limit=10`,
      `/api/events/recent?${range}&limit=50`,
    ];
    for (const route of routes) {
      const until = Date.now() + 2_000;
      const failures: string[] = [];
      let answered = 0;
      await Promise.all(Array.from({ length: 50 }, async () => {
        while (Date.now() < until) {
          const res = await fetch(`${stack!.url}${route}`);
          const body = await res.text();
          answered++;
          if (res.status !== 200 || res.headers.get("content-type") !== "application/json") {
            failures.push(`${res.status} ${res.headers.get("content-type")} ${body.slice(0, 120)}`);
          } else if (typeof JSON.parse(body) !== "object") {
            failures.push(`not a JSON object: ${body.slice(0, 120)}`);
          }
        }
      }));
      expect(failures.slice(0, 3), `${route}: ${failures.length} of ${answered} failed`).toEqual([]);
      expect(answered).toBeGreaterThan(50);
    }
    const log = fs.readFileSync(path.join(RUN_DIR, "logs", "wrangler.log"), "utf8");
    expect(log).not.toContain("on behalf of a different request");
  });

  it("once idle, every chart of the monitor shows the API's numbers", async () => {
    await stack!.waitIdle({ timeoutMs: 600_000 });
    const query = await fullRangeQuery();
    const page = await openPage(`/?${query}`);
    expect(await waitSettled(page)).toBe("ready");
    const shown = await readMonitor(page);
    expect(shown.charts).toEqual(["events_over_time", "user_type", "edit_size", "change_type", "top_wikis"]);
    expect(shown.captions).toBe(5);
    expectMonitorEqualsApi(shown, await apiMonitor(query));
    expect(shown.recent.length).toBe(50);
    await page.close();
  });

  it("once idle, the KPI page shows every gold window, its big numbers and the bot/human series", async () => {
    const query = await fullRangeQuery();
    const page = await openPage(`/kpis?${query}`);
    expect(await waitSettled(page)).toBe("ready");
    const shown = await readKpis(page);
    const windows = (await api(`/api/kpis?${query}`)).windows;
    const newest = windows.at(-1);
    const before = windows.at(-2);
    for (const col of ["total_edits", "unique_editors", "active_pages", "net_bytes_added"]) {
      expect(shown.big[col], col).toEqual({ value: newest[col], delta: String(newest[col] - before[col]) });
    }
    expect(shown.windows.map((r) => r[0])).toEqual(windows.map((w: any) => w.window_start).reverse());
    expect(shown.windows.map((r) => Number(r[5]))).toEqual(windows.map((w: any) => w.total_edits).reverse());
    expect(shown.botHuman).toEqual(windows.map((w: any) => [w.human_edits, w.bot_edits]));
    // The bot share line is drawn to one decimal of the API's percentage.
    expect(shown.botShare).toEqual(
      windows.map((w: any) => [w.bot_edits, Math.round(w.bot_edit_percentage * 10) / 10]),
    );
    expect(shown.volatility).toEqual(windows.map((w: any) => [w.volatility_score]));
    const trends = { GROWING: 0, STABLE: 0, SHRINKING: 0 } as Record<string, number>;
    for (const w of windows) trends[w.knowledge_trend]++;
    expect(shown.trend).toEqual(trends);
    const anomalies = (await api(`/api/anomalies?${query}`)).anomalies;
    expect(shown.anomalies).toEqual(anomalies.map((a: any) => [a.signal, a.value]));
    expect(shown.gauge).toBe(newest.edits_per_minute);
    expect(shown.provisional).toBe(newest.final ? "true" : "false");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
    const csv = fs.readFileSync(await download.path(), "utf8");
    expect(download.suggestedFilename()).toBe("gold_wiki_kpis.csv");
    expect(csv.trimEnd().split("\r\n")).toHaveLength(windows.length + 1);
    await page.close();
  });

  it("applies each filter to every chart and the URL, and the URL restores the view", async () => {
    const base = await fullRangeQuery();
    const page = await openPage(`/?${base}`);
    const unfiltered = await readMonitor(page);
    const topWiki = unfiltered.wiki[0].key!;
    const cases: Array<[string, string, string]> = [
      ["f-user_type", "user_type", "BOT"],
      ["f-edit_size", "edit_size", "LARGE"],
      ["f-change_type", "change_type", "new"],
      ["f-wiki", "wiki", topWiki],
    ];
    for (const [id, name, value] of cases) {
      await page.goto(`${stack!.url}/?${base}`);
      await waitSettled(page);
      if (id === "f-wiki") {
        await page.fill(`#${id}`, value);
        await page.press(`#${id}`, "Enter");
      } else await page.selectOption(`#${id}`, value);
      await page.waitForFunction((n) => new URL(location.href).searchParams.has(n), name);
      await page.waitForFunction(() => document.querySelector("main")?.dataset.state !== "loading");
      await page.waitForTimeout(300);
      const url = page.url();
      expect(new URL(url).searchParams.get(name), name).toBe(value);
      const shown = await readMonitor(page);
      const query = new URL(url).search.slice(1);
      expectMonitorEqualsApi(shown, await apiMonitor(query));
      expect(shown.overTime, `${name} changes the timeseries`).not.toEqual(unfiltered.overTime);
      expect(shown.recent, `${name} changes the log`).not.toEqual(unfiltered.recent);
      const filteredBreakdowns = [shown.user_type, shown.edit_size, shown.change_type, shown.wiki];
      const unfilteredBreakdowns = [
        unfiltered.user_type,
        unfiltered.edit_size,
        unfiltered.change_type,
        unfiltered.wiki,
      ];
      filteredBreakdowns.forEach((b, i) =>
        expect(b, `${name} changes breakdown ${i}`).not.toEqual(unfilteredBreakdowns[i])
      );
      // Loading the URL restores the view.
      const again = await openPage(new URL(url).pathname + new URL(url).search);
      expect(await again.$eval(`#${id}`, (el) => (el as HTMLInputElement).value)).toBe(value);
      expect(await readMonitor(again)).toEqual(shown);
      await again.close();
    }
    // The time range: a preset writes range=, a custom range from/to.
    await page.goto(`${stack!.url}/?${base}`);
    await waitSettled(page);
    await page.selectOption("#f-range", "15m");
    await page.waitForFunction(() => new URL(location.href).searchParams.get("range") === "15m");
    await waitSettled(page);
    await page.waitForTimeout(300);
    const short = await readMonitor(page);
    expect(short.overTime.length).toBe(15);
    expect(short.overTime).not.toEqual(unfiltered.overTime);
    const again = await openPage("/?range=15m");
    expect(await again.$eval("#f-range", (el) => (el as HTMLSelectElement).value)).toBe("15m");
    expect((await readMonitor(again)).overTime).toEqual(short.overTime);
    await again.close();
    await page.close();
  });

  it("shows the error state when the API fails", async () => {
    for (const route of ["/", "/kpis"]) {
      const page = await browser.newPage();
      await page.route(
        "**/api/**",
        (r) =>
          r.request().url().includes("/api/live") ? r.abort() : r.fulfill({
            status: 503,
            contentType: "application/json",
            body: '{"error":{"status":503,"message":"down for test"}}',
          }),
      );
      await page.goto(`${stack!.url}${route}`);
      expect(await waitSettled(page)).toBe("error");
      expect(await page.textContent("#status")).toContain("down for test");
      await page.close();
    }
  });

  it("serves both pages and /docs with a CSP that allows no inline script, nosniff and no framing", async () => {
    for (const route of ["/", "/kpis", "/docs"]) {
      const res = await fetch(`${stack!.url}${route}`);
      expect(res.status, route).toBe(200);
      await res.arrayBuffer();
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0]!, d.slice(1)]),
      );
      const scripts = directives.get("script-src") ?? directives.get("default-src");
      expect(scripts, `${route}: script-src or default-src in ${csp}`).toBeDefined();
      expect(scripts, route).not.toContain("'unsafe-inline'");
      expect(scripts, route).not.toContain("'unsafe-eval'");
      expect(scripts, route).not.toContain("*");
      expect(directives.get("frame-ancestors"), route).toEqual(["'none'"]);
      expect(res.headers.get("x-frame-options"), route).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), route).toBe("nosniff");
    }
  });

  it("is usable by keyboard, labels every control, honours reduced motion and keeps text contrast ≥ 4.5:1", async () => {
    const query = await fullRangeQuery();
    const page = await openPage(`/?${query}`);
    // Every form control has a label (or an accessible name of its own).
    for (const route of [`/?${query}`, `/kpis?${query}`]) {
      await page.goto(`${stack!.url}${route}`);
      await waitSettled(page);
      const unlabelled = await page.$$eval(
        "input, select, textarea, button",
        (els) =>
          els.filter((el) =>
            !((el as HTMLInputElement).labels?.length || el.getAttribute("aria-label") ||
              (el.tagName === "BUTTON" && el.textContent!.trim()))
          ).map((el) => el.outerHTML),
      );
      expect(unlabelled, route).toEqual([]);
    }
    // Keyboard: the first Tab reaches the skip link; the filters follow in order and apply on Enter.
    await page.goto(`${stack!.url}/?${query}`);
    await waitSettled(page);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("skip");
    expect((await page.locator("a.skip").boundingBox())!.x).toBeGreaterThanOrEqual(0); // shown when focused
    const order: string[] = [];
    // (a datetime-local input takes one Tab per field: month, day, year, hour, …)
    for (let i = 0; i < 40 && !order.includes("f-change_type"); i++) {
      await page.keyboard.press("Tab");
      const id = await page.evaluate(() => document.activeElement?.id ?? "");
      if (id && order.at(-1) !== id) order.push(id);
    }
    expect(order.filter((id) => id.startsWith("f-"))).toEqual([
      "f-range",
      "f-from",
      "f-to",
      "f-wiki",
      "f-user_type",
      "f-edit_size",
      "f-change_type",
    ]);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline, "the focused control shows a focus ring").not.toBe("none");
    await page.focus("#f-wiki");
    await page.keyboard.type("enwiki");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => new URL(location.href).searchParams.get("wiki") === "enwiki");
    expect(await waitSettled(page)).not.toBe("error");
    // A chart's data table opens from the keyboard.
    await page.focus('figure[data-chart="user_type"] summary');
    await page.keyboard.press("Enter");
    expect(await page.$eval('figure[data-chart="user_type"] details', (d) => (d as HTMLDetailsElement).open))
      .toBe(true);
    // Motion: the live log's flash and the bars' transition run normally, not with reduced motion.
    const motion = () =>
      page.evaluate(() => ({
        flash: getComputedStyle(document.querySelector("#recent tbody tr")!).animationName,
        bar: getComputedStyle(document.querySelector(".bar-fill")!).transitionDuration,
      }));
    await page.goto(`${stack!.url}/?${query}`);
    await waitSettled(page);
    expect(await motion()).toEqual({ flash: "flash", bar: "0.3s" });
    await page.emulateMedia({ reducedMotion: "reduce" });
    expect(await motion()).toEqual({ flash: "none", bar: "0s" });
    // Contrast of every visible text against its (composited) background, light and dark.
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
      for (const route of [`/?${query}`, `/kpis?${query}`]) {
        await page.goto(`${stack!.url}${route}`);
        expect(await waitSettled(page)).toBe("ready");
        const low = await page.evaluate(textContrastFailures);
        expect(low, `${colorScheme} ${route}`).toEqual([]);
      }
    }
    await page.close();
  });

  it("takes screenshots at 1440 px and 390 px, and no page logged a console error", async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const query = await fullRangeQuery();
    for (const width of [1440, 390]) {
      for (const [name, route] of [["monitor", `/?${query}`], ["kpis", `/kpis?${query}`]]) {
        const page = await openPage(route, width);
        expect(await waitSettled(page)).toBe("ready");
        await page.waitForTimeout(500);
        const file = path.join(SHOTS, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        await page.screenshot({ path: path.join(SHOTS, `${name}-${width}-top.png`) });
        // Every chart is looked at, so the README shows the whole page, not only its top.
        if (UPDATE_README_SHOTS) fs.copyFileSync(file, path.join(README_SHOTS, `${name}-${width}.png`));
        // Nothing is wider than the viewport (a table or a chart pushed out of a phone's screen).
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at ${width}`).toBe(
          width,
        );
        await page.close();
      }
    }
    expect(consoleErrors).toEqual([]);
  });
});
