import { DurableObject } from "cloudflare:workers";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { WATERMARK_NAME } from "../watermark/watermark_tracker_object.ts";
import { WINDOW_MS } from "../gold_window/kpi.ts";
import { render } from "../gold_window/window_render_binding.ts";
import type { WindowJson } from "../gold_window/window_json.ts";
import { silverEventJson } from "../events_rollup/silver_json.ts";
import { coalescer, offer, sseFrame, takeDue } from "./coalesce.ts";

/** The one hub's instance name. */
export const LIVE_HUB_NAME = "global";
/** A comment line at least this often keeps proxies and clients from timing out. */
export const HEARTBEAT_MS = 10_000;
/** After a notification the hub looks at the windows again (finalization runs right after admission). */
const RECHECK_MS = 2_500;

const encoder = new TextEncoder();

/**
 * LiveHub: the subscribers of `GET /api/live` (any number of SSE streams) and the latest
 * version of every open window. The pipeline notifies it (fire-and-forget) with the windows
 * that changed and the silver rows it admitted; the hub renders the windows as `/api/kpis`
 * does, sends each changed window at most once per second per window (the newest version last,
 * so the final one always goes out) and the rows at once. A new subscriber gets the open
 * windows first. Kept in memory only: after an eviction the next notification fills it again.
 */
export class LiveHub extends DurableObject<Env> {
  #subscribers = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  #windows = new Map<string, WindowJson>();
  #sentJson = new Map<string, string>();
  #coalesce = coalescer<WindowJson>(1_000);
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #recheckTimer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;

  /** `GET /api/live`: a new SSE stream, starting with the open windows. */
  override fetch(_request: Request): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const open = [...this.#windows.values()].filter((w) => !w.final)
      .sort((a, b) => a.window_start.localeCompare(b.window_start));
    const hello = `retry: 3000\n: connected\n\n${open.map((w) => sseFrame("window", w)).join("")}`;
    void writer.write(encoder.encode(hello)).catch(() => this.#subscribers.delete(writer));
    this.#subscribers.add(writer);
    this.#heartbeat ??= setInterval(() => this.#tick(), HEARTBEAT_MS);
    return new Response(readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  /** The pipeline's notification: windows (by start) that changed and newly admitted silver rows. */
  async notify(starts: number[], rows: SilverRow[]): Promise<void> {
    if (rows.length) this.#broadcast(sseFrame("recent", { events: rows.map(silverEventJson) }));
    await this.#refresh(starts);
    this.#recheckTimer ??= setTimeout(() => {
      this.#recheckTimer = null;
      void this.#refresh([]).catch(logError);
    }, RECHECK_MS);
  }

  /** Subscribers connected now (tests, health). */
  subscribers(): number {
    return this.#subscribers.size;
  }

  /** Renders `starts` and the windows still open, and offers the changed ones. */
  async #refresh(starts: number[]): Promise<void> {
    const wanted = new Set(starts);
    for (const w of this.#windows.values()) if (!w.final) wanted.add(Date.parse(w.window_start));
    if (!wanted.size) return;
    const min = Math.min(...wanted);
    const max = Math.max(...wanted);
    const entries = (await this.env.WATERMARK.getByName(WATERMARK_NAME).windows(min, max + WINDOW_MS))
      .filter((e) => wanted.has(e.start));
    const now = Date.now();
    for (const w of await render(this.env, entries)) {
      const json = JSON.stringify(w);
      if (this.#sentJson.get(w.window_start) === json && !this.#coalesce.pending.has(w.window_start)) {
        continue;
      }
      this.#windows.set(w.window_start, w);
      if (this.#windows.size > 64) this.#forgetOldest();
      const sendNow = offer(this.#coalesce, w.window_start, w, now);
      if (sendNow) this.#sendWindow(sendNow);
    }
    this.#scheduleFlush(now);
  }

  #scheduleFlush(now: number): void {
    if (this.#flushTimer) return;
    const { send, nextAt } = takeDue(this.#coalesce, now);
    for (const w of send) this.#sendWindow(w);
    if (nextAt === null) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      this.#scheduleFlush(Date.now());
    }, Math.max(0, nextAt - now));
  }

  #sendWindow(w: WindowJson): void {
    const json = JSON.stringify(w);
    if (this.#sentJson.get(w.window_start) === json) return;
    this.#sentJson.set(w.window_start, json);
    this.#broadcast(`event: window\ndata: ${json}\n\n`);
  }

  #forgetOldest(): void {
    const oldest = [...this.#windows.keys()].sort()[0]!;
    this.#windows.delete(oldest);
    this.#sentJson.delete(oldest);
  }

  #tick(): void {
    if (!this.#subscribers.size) {
      clearInterval(this.#heartbeat!);
      this.#heartbeat = null;
      return;
    }
    this.#broadcast(`: ping ${new Date().toISOString()}\n\n`);
    void this.#refresh([]).catch(logError);
  }

  #broadcast(frame: string): void {
    const bytes = encoder.encode(frame);
    for (const writer of this.#subscribers) {
      writer.write(bytes).catch(() => {
        this.#subscribers.delete(writer);
        writer.abort().catch(() => undefined);
      });
    }
  }
}

function logError(error: unknown): void {
  console.error(JSON.stringify({ msg: "Live hub refresh failed", error: String(error) }));
}
