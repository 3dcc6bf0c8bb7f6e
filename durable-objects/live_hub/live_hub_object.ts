import { DurableObject } from "cloudflare:workers";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { WATERMARK_NAME } from "../watermark/watermark_tracker_object.ts";
import { WINDOW_MS } from "../gold_window/kpi.ts";
import { render } from "../gold_window/window_render_binding.ts";
import type { WindowJson } from "../gold_window/window_json.ts";
import { silverEventJson } from "../events_rollup/silver_json.ts";
import { coalescer, offer, sseFrame, takeDue } from "./coalesce.ts";
import {
  filtersKey,
  framesAfterOpenWindows,
  type LiveFilters,
  type LiveLog,
  type LoggedFrame,
  logRecent,
  logWindow,
  newLiveLog,
  parseEventId,
  planResume,
  renderFrame,
} from "./live_log.ts";

/** The one hub's instance name. */
export const LIVE_HUB_NAME = "global";
/** A comment line at least this often keeps proxies and clients from timing out. */
export const HEARTBEAT_MS = 10_000;
/** After a notification the hub looks at the windows again (finalization runs right after admission). */
const RECHECK_MS = 2_500;

const encoder = new TextEncoder();

/** One open `/api/live` stream. */
interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  filters: LiveFilters;
  key: string;
}

/** The filters and resume id the route validated, read back from the forwarded request. */
function subscriptionOf(request: Request): { filters: LiveFilters; lastEventId: string | null } {
  const q = new URL(request.url).searchParams;
  const filters: LiveFilters = {};
  for (const k of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const v = q.get(k);
    if (v !== null) filters[k] = v;
  }
  return { filters, lastEventId: request.headers.get("last-event-id") };
}

/**
 * LiveHub: the subscribers of `GET /api/live` (any number of SSE streams) and the latest
 * version of every open window. The pipeline notifies it (fire-and-forget) with the windows
 * that changed and the silver rows it admitted; the hub renders the windows as `/api/kpis`
 * does, sends each changed window at most once per second per window (the newest version last,
 * so the final one always goes out) and the rows at once (filtered per subscriber). Every
 * pushed frame has an id `<epoch>-<seq>` and stays in a bounded log (live_log.ts), so a client
 * reconnecting with `Last-Event-ID` gets the current open windows first, then the `recent`
 * frames it missed and the newest missed version of each window that closed meanwhile; an id the
 * log cannot serve (another epoch: the hub was evicted or reset; or too old) gets `event: reset`
 * and the open windows, and reloads. A new subscriber gets the open windows, then `event: ready`
 * carrying the current id. Kept in memory only.
 */
export class LiveHub extends DurableObject<Env> {
  #subscribers = new Set<Subscriber>();
  #log: LiveLog = newLiveLog(newEpoch());
  #windows = new Map<string, WindowJson>();
  #sentJson = new Map<string, string>();
  #coalesce = coalescer<WindowJson>(1_000);
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #recheckTimer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;

  /** `GET /api/live` (validated by the route): a new SSE stream, resumed or starting fresh. */
  override fetch(request: Request): Response {
    const { filters, lastEventId } = subscriptionOf(request);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub: Subscriber = { writer: writable.getWriter(), filters, key: filtersKey(filters) };
    const last = lastEventId === null ? null : parseEventId(lastEventId);
    const plan = planResume(this.#log, lastEventId !== null && last === null ? { epoch: "", seq: 0 } : last);
    let hello = "retry: 3000\n: connected\n\n";
    if (plan.kind === "reset") hello += sseFrame("reset", { reason: plan.reason });
    // Every subscriber, resuming or not, gets the current open windows first (DESIGN §6).
    const open = [...this.#windows.values()].filter((w) => !w.final)
      .sort((a, b) => a.window_start.localeCompare(b.window_start));
    hello += open.map((w) => sseFrame("window", w)).join("");
    if (plan.kind === "resume") {
      const openStarts = new Set(open.map((w) => w.window_start));
      for (const f of framesAfterOpenWindows(plan.frames, openStarts)) {
        hello += renderFrame(this.#log, f, filters) ?? "";
      }
    }
    const ready = { epoch: this.#log.epoch, seq: this.#log.seq, resumed: plan.kind === "resume" };
    hello += `id: ${this.#log.epoch}-${this.#log.seq}\n${sseFrame("ready", ready)}`;
    void sub.writer.write(encoder.encode(hello)).catch(() => this.#subscribers.delete(sub));
    this.#subscribers.add(sub);
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
    if (rows.length) {
      const events = rows.map(silverEventJson);
      this.#push(logRecent(this.#log, events, JSON.stringify(events).length));
    }
    await this.#refresh(starts);
    this.#recheckTimer ??= setTimeout(() => {
      this.#recheckTimer = null;
      void this.#refresh([]).catch(logError);
    }, RECHECK_MS);
  }

  /**
   * Admin reset: forgets every window and the log (a new epoch), and tells every subscriber
   * `event: reset` so pages reload; a later resume with an old id is answered a reset too.
   */
  reset(): { subscribers: number } {
    this.#log = newLiveLog(newEpoch());
    this.#windows.clear();
    this.#sentJson.clear();
    this.#coalesce = coalescer<WindowJson>(1_000);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const frame = `id: ${this.#log.epoch}-0\n${sseFrame("reset", { reason: "pipeline_reset" })}`;
    this.#broadcast(() => frame);
    return { subscribers: this.#subscribers.size };
  }

  /** Subscribers connected now (tests, health). */
  subscribers(): number {
    return this.#subscribers.size;
  }

  /** Open windows the hub holds and the log's position (tests). */
  state(): { epoch: string; seq: number; windows: number } {
    return { epoch: this.#log.epoch, seq: this.#log.seq, windows: this.#windows.size };
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
    this.#push(logWindow(this.#log, json));
  }

  /** Sends a logged frame to every subscriber (encoded once per filter set). */
  #push(frame: LoggedFrame): void {
    const log = this.#log;
    const byKey = new Map<string, string | null>();
    this.#broadcast((sub) => {
      if (!byKey.has(sub.key)) byKey.set(sub.key, renderFrame(log, frame, sub.filters));
      return byKey.get(sub.key)!;
    });
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
    const ping = `: ping ${new Date().toISOString()}\n\n`;
    this.#broadcast(() => ping);
    void this.#refresh([]).catch(logError);
  }

  #broadcast(frameFor: (sub: Subscriber) => string | null): void {
    const bytes = new Map<string, Uint8Array>();
    for (const sub of this.#subscribers) {
      const text = frameFor(sub);
      if (text === null) continue;
      let encoded = bytes.get(text);
      if (!encoded) bytes.set(text, encoded = encoder.encode(text));
      sub.writer.write(encoded).catch(() => {
        this.#subscribers.delete(sub);
        sub.writer.abort().catch(() => undefined);
      });
    }
  }
}

/** A fresh epoch: the time in base 36 and a random suffix (unique across hub lifetimes). */
function newEpoch(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0")}`;
}

function logError(error: unknown): void {
  console.error(JSON.stringify({ msg: "Live hub refresh failed", error: String(error) }));
}
