// Query cursors: a query runs once; its result stays under a `01g` locator and each
// page is a slice of it, so paging through a million rows never re-runs the query.

import { makeId } from "./_store.ts";

/** A query result that can hand out pages (the SOQL engine's SoqlResult is one). */
export interface PagedResult {
  totalSize: number;
  /** The rows pages are cut from. */
  readonly rows: readonly unknown[];
  /** UTF-8 of `before`, the JSON array of the records `[start, end)`, and `after`, in parts. */
  jsonPage(start: number, end: number, before: string, after: string): Uint8Array<ArrayBuffer>[];
}

interface Cursor {
  result: PagedResult;
  lastUsed: number;
}

/** Salesforce closes idle cursors after about 15 minutes (salesforce-api.md §10, unverified). */
const IDLE_LIMIT = 15 * 60_000;
/** Open cursors kept at once; the least recently used is closed first. */
const MAX_OPEN = 100;

/** Open query cursors by locator id. */
export class CursorStore {
  #cursors = new Map<string, Cursor>();
  #sequence = 0;
  #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Keeps `result` and returns the new locator. */
  open(result: PagedResult): string {
    const locator = makeId("01g", ++this.#sequence);
    this.#cursors.set(locator, { result, lastUsed: this.#now() });
    if (this.#cursors.size > MAX_OPEN) {
      this.#cursors.delete(this.#cursors.keys().next().value!);
    }
    return locator;
  }

  /** The result behind a locator, or undefined when unknown or expired. */
  get(locator: string): PagedResult | undefined {
    const cursor = this.#cursors.get(locator);
    if (cursor === undefined) return undefined;
    const now = this.#now();
    if (now - cursor.lastUsed > IDLE_LIMIT) {
      this.#cursors.delete(locator);
      return undefined;
    }
    cursor.lastUsed = now;
    // Re-insert so Map order stays least-recently-used first.
    this.#cursors.delete(locator);
    this.#cursors.set(locator, cursor);
    return cursor.result;
  }

  clear(): void {
    this.#cursors.clear();
    // The sequence goes on: a locator from before must not name a new query's cursor.
  }
}
