/**
 * Where the recorded Wikimedia events live and how replay inputs are read from disk.
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseJsonlRecording, parseSseRecording, type ReplayFrame } from "./replay_frames.ts";

/** The recordings in `../shared/data` (relative to the repository root), oldest capture first. */
export const DEFAULT_FILES: string[] = [
  "recentchange-2025-05-03.jsonl",
  "recentchange-2026-02-26.jsonl",
  "recentchange-2026-06-20.sse",
].map((name) => fileURLToPath(new URL(`../../../shared/data/${name}`, import.meta.url)));

/** Reads input files into frames (`.sse` recordings or one-event-per-line `.jsonl`), in order. */
export async function loadReplayFrames(files: string[]): Promise<ReplayFrame[]> {
  const frames: ReplayFrame[] = [];
  for (const [source, file] of files.entries()) {
    const bytes = await Deno.readFile(file);
    const parsed = file.endsWith(".sse")
      ? parseSseRecording(bytes, source)
      : /\.(jsonl|ndjson)$/.test(file)
      ? parseJsonlRecording(bytes, source)
      : null;
    if (parsed === null) throw new TypeError(`Cannot replay "${file}": expected a .sse or .jsonl file`);
    for (const frame of parsed) frames.push(frame);
  }
  return frames;
}
