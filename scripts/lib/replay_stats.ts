/**
 * Counters of a replay server and the progress lines it prints. The clock is an argument.
 * @module
 */

/** A snapshot of the replay server's counters, as served by `GET /stats`. */
export interface ReplayStats {
  frames: number;
  files: string[];
  eventsServed: number;
  /** Connections opened, open now, and closed by a cut (`--cut-every`, `--cut-random-bytes`). */
  connections: { total: number; open: number; cut: number };
  /** Index of the next frame after the last one served (on any connection), and its id. */
  position: { next: number; lastId: string | null };
  /** Each connection's `Last-Event-ID` header and the frame index it was served from (first 100). */
  opened: Array<{ lastEventId: string | null; startIndex: number }>;
  startedAt: string;
  uptimeSeconds: number;
}

/** Mutable counters behind `ReplayStats`, with progress-line formatting. */
export class ReplayCounters {
  eventsServed = 0;
  connectionsTotal = 0;
  connectionsOpen = 0;
  connectionsCut = 0;
  next = 0;
  lastId: string | null = null;
  readonly opened: Array<{ lastEventId: string | null; startIndex: number }> = [];
  #startedMs: number;
  #lastReport: { ms: number; served: number };

  constructor(readonly frames: number, readonly files: string[], nowMs: number) {
    this.#startedMs = nowMs;
    this.#lastReport = { ms: nowMs, served: 0 };
  }

  /** Records a connection's resume header and start index (the first 100 connections). */
  recordOpened(lastEventId: string | null, startIndex: number): void {
    if (this.opened.length < 100) this.opened.push({ lastEventId, startIndex });
  }

  /** Records a chunk of events served. */
  recordServed(events: number, nextIndex: number, lastId: string): void {
    this.eventsServed += events;
    this.next = nextIndex;
    this.lastId = lastId;
  }

  /** Takes a snapshot for `GET /stats`. */
  snapshot(nowMs: number): ReplayStats {
    return {
      frames: this.frames,
      files: this.files,
      eventsServed: this.eventsServed,
      connections: { total: this.connectionsTotal, open: this.connectionsOpen, cut: this.connectionsCut },
      position: { next: this.next, lastId: this.lastId },
      opened: [...this.opened],
      startedAt: new Date(this.#startedMs).toISOString(),
      uptimeSeconds: Math.round((nowMs - this.#startedMs) / 1000),
    };
  }

  /** Formats a progress line with the rate since the previous one; `null` when nothing happened. */
  progressLine(nowMs: number): string | null {
    const delta = this.eventsServed - this.#lastReport.served;
    const seconds = Math.max(0.001, (nowMs - this.#lastReport.ms) / 1000);
    this.#lastReport = { ms: nowMs, served: this.eventsServed };
    if (delta === 0 && this.connectionsOpen === 0) return null;
    return `replay: ${this.eventsServed} events served (+${delta}, ${(delta / seconds).toFixed(1)}/s), ` +
      `${this.connectionsOpen} open / ${this.connectionsTotal} connections, position ${this.next}/${this.frames}`;
  }
}
