/**
 * The filter form both pages share (shell): fills it from a view state, reads a view state back
 * and keeps it in the URL (`history.pushState`, so Back restores the previous view).
 * @module
 */
import { byId } from "./dom.ts";
import { formatViewState, type Preset, type ViewState } from "./view_state.ts";

/** `datetime-local` value (UTC) of epoch ms. */
function toLocalInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** Fills the form from `state`; `resolved` is the range the preset currently covers. */
export function fillForm(state: ViewState, resolved: { from: number; to: number }): void {
  const range = byId<HTMLSelectElement>("f-range");
  range.value = state.range.kind === "custom" ? "custom" : state.range.preset;
  byId<HTMLInputElement>("f-from").value = toLocalInput(resolved.from);
  byId<HTMLInputElement>("f-to").value = toLocalInput(resolved.to);
  document.body.classList.toggle("show-custom", state.range.kind === "custom");
  for (const key of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const el = document.getElementById(`f-${key}`) as HTMLInputElement | HTMLSelectElement | null;
    if (el) el.value = state.filters[key] ?? "";
  }
}

/** Reads the form as a view state (invalid custom times fall back to the last hour preset). */
export function readForm(): ViewState {
  const q = new URLSearchParams();
  const range = byId<HTMLSelectElement>("f-range").value;
  if (range === "custom") {
    const from = Date.parse(byId<HTMLInputElement>("f-from").value + ":00Z");
    const to = Date.parse(byId<HTMLInputElement>("f-to").value + ":00Z");
    if (Number.isFinite(from) && Number.isFinite(to)) {
      q.set("from", new Date(from).toISOString());
      q.set("to", new Date(to).toISOString());
    }
  } else q.set("range", range as Preset);
  for (const key of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const el = document.getElementById(`f-${key}`) as HTMLInputElement | HTMLSelectElement | null;
    if (el?.value) q.set(key, el.value.trim());
  }
  return parseSearch(q.toString());
}

let parseSearch: (s: string) => ViewState;

/** Wires the form: every change applies, and Back/Forward reload the view from the URL. */
export function wireForm(parse: (search: string) => ViewState, apply: (state: ViewState) => void): void {
  parseSearch = parse;
  const form = byId<HTMLFormElement>("filters");
  const commit = () => {
    const state = readForm();
    const search = formatViewState(state);
    if (search !== location.search) history.pushState(null, "", location.pathname + search);
    apply(state);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    commit();
  });
  form.addEventListener("change", (e) => {
    const target = e.target as HTMLElement;
    if (target.id === "f-range") {
      document.body.classList.toggle("show-custom", (target as HTMLSelectElement).value === "custom");
    }
    if (target.id !== "f-wiki") commit(); // the wiki box applies on Enter / Apply
  });
  addEventListener("popstate", () => apply(parse(location.search)));
}
