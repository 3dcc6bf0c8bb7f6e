/**
 * Live hub (core): the numbered log of pushed frames that lets a reconnecting `/api/live`
 * client resume by `Last-Event-ID` with no gap and no duplicate. Every pushed frame gets the
 * id `<epoch>-<seq>` (epoch: one per hub lifetime or reset; seq: 1, 2, 3, …); the newest
 * frames are kept (bounded in count and bytes). A resume from an id of the current epoch that
 * is still in the log replays the frames after it; any other id (another epoch, or older than
 * the log) answers a `reset` frame, after which the client reloads its state. Pure: no clock,
 * no runtime.
 * @module
 */

/** The filters a subscriber may give (`/api/live?wiki=&user_type=&edit_size=&change_type=`). */
export interface LiveFilters {
  wiki?: string;
  user_type?: string;
  edit_size?: string;
  change_type?: string;
}

/** The silver-row fields the filters look at. */
export type FilterableEvent = Record<keyof LiveFilters, unknown>;

/** One logged frame: a window (sent to everyone) or recent events (filtered per subscriber). */
export type LoggedFrame =
  | { seq: number; kind: "window"; json: string }
  | { seq: number; kind: "recent"; events: FilterableEvent[]; bytes: number };

/** The log of one hub epoch. */
export interface LiveLog {
  epoch: string;
  /** Seq of the newest frame (0 before any). */
  seq: number;
  frames: LoggedFrame[];
  bytes: number;
  maxFrames: number;
  maxBytes: number;
}

/** Where a (re)connecting subscriber starts. */
export type ResumePlan =
  | { kind: "fresh" }
  | { kind: "resume"; frames: LoggedFrame[] }
  | { kind: "reset"; reason: "other_epoch" | "too_old" };

/** Frames kept by default: at least a minute of a busy stream. */
export const LOG_MAX_FRAMES = 2_000;
/** Bytes of frame data kept by default. */
export const LOG_MAX_BYTES = 8 * 1024 * 1024;

const EVENT_ID = /^([0-9a-z]{1,24})-(\d{1,15})$/;
const EPOCH = /^[0-9a-z]{1,24}$/;

/** An empty log of a new epoch (`epoch`: 1–24 of `[0-9a-z]`). */
export function newLiveLog(epoch: string, maxFrames = LOG_MAX_FRAMES, maxBytes = LOG_MAX_BYTES): LiveLog {
  if (!EPOCH.test(epoch)) throw new RangeError(`epoch must match ${EPOCH}, got ${JSON.stringify(epoch)}`);
  return { epoch, seq: 0, frames: [], bytes: 0, maxFrames, maxBytes };
}

/** The SSE id of a seq in this log's epoch. */
export function eventIdOf(log: LiveLog, seq: number): string {
  return `${log.epoch}-${seq}`;
}

/** Parses a `Last-Event-ID`; null when it is not of the hub's form. */
export function parseEventId(value: string): { epoch: string; seq: number } | null {
  const m = EVENT_ID.exec(value);
  return m ? { epoch: m[1]!, seq: Number(m[2]) } : null;
}

/** Appends a window frame; returns it (with its seq). */
export function logWindow(log: LiveLog, json: string): LoggedFrame {
  return append(log, { seq: log.seq + 1, kind: "window", json }, json.length);
}

/** Appends a recent-events frame; `bytes` is its encoded size, for the bound. */
export function logRecent(log: LiveLog, events: FilterableEvent[], bytes: number): LoggedFrame {
  return append(log, { seq: log.seq + 1, kind: "recent", events, bytes }, bytes);
}

function append(log: LiveLog, frame: LoggedFrame, bytes: number): LoggedFrame {
  log.seq = frame.seq;
  log.frames.push(frame);
  log.bytes += bytes;
  while (log.frames.length > log.maxFrames || (log.bytes > log.maxBytes && log.frames.length > 1)) {
    const dropped = log.frames.shift()!;
    log.bytes -= dropped.kind === "window" ? dropped.json.length : dropped.bytes;
  }
  return frame;
}

/** What a subscriber that last saw `lastEventId` (absent: a new one) gets first. */
export function planResume(log: LiveLog, lastEventId: { epoch: string; seq: number } | null): ResumePlan {
  if (lastEventId === null) return { kind: "fresh" };
  if (lastEventId.epoch !== log.epoch || lastEventId.seq > log.seq) {
    return { kind: "reset", reason: "other_epoch" };
  }
  const oldest = log.frames[0]?.seq ?? log.seq + 1;
  if (lastEventId.seq < oldest - 1) return { kind: "reset", reason: "too_old" };
  return { kind: "resume", frames: log.frames.filter((f) => f.seq > lastEventId.seq) };
}

/** Whether an event passes every given filter. */
export function matchesFilters(event: FilterableEvent, filters: LiveFilters): boolean {
  for (const key of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const wanted = filters[key];
    if (wanted !== undefined && event[key] !== wanted) return false;
  }
  return true;
}

/** A stable key of a filter set (subscribers with equal keys share one encoding). */
export function filtersKey(filters: LiveFilters): string {
  return JSON.stringify([filters.wiki, filters.user_type, filters.edit_size, filters.change_type]);
}

/** The SSE text of a frame for a subscriber with `filters`; null when none of its events pass. */
export function renderFrame(log: LiveLog, frame: LoggedFrame, filters: LiveFilters): string | null {
  const id = eventIdOf(log, frame.seq);
  if (frame.kind === "window") return `id: ${id}\nevent: window\ndata: ${frame.json}\n\n`;
  const events = frame.events.filter((e) => matchesFilters(e, filters));
  if (!events.length) return null;
  return `id: ${id}\nevent: recent\ndata: ${JSON.stringify({ events })}\n\n`;
}

/**
 * The missed frames a resuming client still needs after it was sent the current open windows
 * (DESIGN §6: "a reconnecting client gets the current open windows first"): every `recent`
 * frame, and for a window that is no longer open only its newest missed version; window
 * frames of an open window are superseded by the current version already sent.
 */
export function framesAfterOpenWindows(
  frames: LoggedFrame[],
  openStarts: ReadonlySet<string>,
): LoggedFrame[] {
  const startOf = (f: LoggedFrame & { kind: "window" }) => String(JSON.parse(f.json).window_start);
  const newest = new Map<string, number>();
  for (const f of frames) if (f.kind === "window") newest.set(startOf(f), f.seq);
  return frames.filter((f) => {
    if (f.kind === "recent") return true;
    const start = startOf(f);
    return !openStarts.has(start) && newest.get(start) === f.seq;
  });
}
