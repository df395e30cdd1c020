/**
 * The paging state of one tree list ("Load more…"): the pages loaded so far with the marker that fetched each,
 * whether more exist, and in-place updates. Pure; the fetcher is passed in.
 *
 * Refresh re-reads only the pages already loaded (one visible page → one request), never the whole collection.
 */
export interface FetchedPage<T> {
  items: T[];
  /** Marker for the next page (the last item's id for Nova), undefined when this was the last page. */
  nextMarker?: string;
}

/** Rows of the first page of a tree list: small, so the view renders fast; later pages use the page size setting. */
export const FIRST_PAGE_ROWS = 50;

export type PageFetcher<T> = (marker: string | undefined, limit: number, signal?: AbortSignal) => Promise<FetchedPage<T>>;

export class PagedList<T> {
  private pages: { marker: string | undefined; limit: number; items: T[] }[] = [];
  private next: string | undefined;
  private started = false;
  /** Total requests made (bench/tests read it). */
  requests = 0;

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly fetch: PageFetcher<T>,
    readonly pageSize: number,
    /** A smaller first page makes the first render fast; later pages use pageSize. */
    readonly firstPageSize = pageSize,
  ) {}

  get items(): T[] {
    return this.pages.flatMap((p) => p.items);
  }
  get loaded(): boolean {
    return this.started;
  }
  get hasMore(): boolean {
    return !this.started || this.next !== undefined;
  }
  get pageCount(): number {
    return this.pages.length;
  }

  private inflight: Promise<T[]> | undefined;

  /**
   * Loads the next page (the first one if nothing is loaded); `limit` overrides the page size. Returns the new items.
   * Single flight: a call while a page is loading shares that load (a view asked for its children twice at once
   * must not fetch the first page twice, nor push an empty duplicate page).
   */
  loadMore(signal?: AbortSignal, limit?: number): Promise<T[]> {
    if (this.inflight) return this.inflight;
    const p = this.fetchNext(signal, limit).finally(() => {
      if (this.inflight === p) this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }

  private async fetchNext(signal?: AbortSignal, limit?: number): Promise<T[]> {
    if (this.started && this.next === undefined) return [];
    const marker = this.started ? this.next : undefined;
    const size = limit ?? (this.started ? this.pageSize : this.firstPageSize);
    this.requests++;
    const page = await this.fetch(marker, size, signal);
    const seen = new Set(this.items.map(this.keyOf));
    const fresh = page.items.filter((x) => !seen.has(this.keyOf(x)));
    this.pages.push({ marker, limit: size, items: fresh });
    this.next = page.nextMarker;
    this.started = true;
    return fresh;
  }

  /** Loads every remaining page (of `limit` rows, e.g. Nova's cap of 1000, for fewer round trips); `onPage` sees each. */
  async loadAll(signal?: AbortSignal, onPage?: (items: T[]) => void, limit?: number): Promise<void> {
    while (this.hasMore) {
      const items = await this.loadMore(signal, this.started ? limit : undefined);
      onPage?.(items);
    }
  }

  /**
   * Re-reads the pages that are loaded (with their original markers) and returns what changed. Items that moved
   * out of the loaded window are dropped; the "more" marker is kept from the last re-read page.
   */
  async refreshLoaded(signal?: AbortSignal): Promise<ListDiff<T>> {
    if (!this.started) return { added: [], removed: [], changed: [], unchanged: 0 };
    const before = this.items;
    const pages: { marker: string | undefined; limit: number; items: T[] }[] = [];
    let next: string | undefined;
    let marker: string | undefined;
    const sizes = this.pages.map((p) => p.limit);
    for (const limit of sizes) {
      this.requests++;
      const page = await this.fetch(marker, limit, signal);
      pages.push({ marker, limit, items: page.items });
      next = page.nextMarker;
      marker = next;
      if (next === undefined) break;
    }
    this.pages = pages;
    this.next = next;
    return diffById(before, this.items, this.keyOf);
  }

  /** Replaces items in place (a polled server) and removes deleted ones. Returns the keys that changed. */
  applyUpdates(updated: T[], removedKeys: string[] = []): string[] {
    const byKey = new Map(updated.map((x) => [this.keyOf(x), x]));
    const removed = new Set(removedKeys);
    const touched: string[] = [];
    for (const p of this.pages) {
      p.items = p.items
        .filter((x) => {
          const gone = removed.has(this.keyOf(x));
          if (gone) touched.push(this.keyOf(x));
          return !gone;
        })
        .map((x) => {
          const k = this.keyOf(x);
          const u = byKey.get(k);
          if (u) touched.push(k);
          return u ?? x;
        });
    }
    return touched;
  }

  /** Puts new items at the front (Nova lists newest first). */
  prepend(items: T[]): void {
    if (!items.length) return;
    const have = new Set(this.items.map(this.keyOf));
    const fresh = items.filter((x) => !have.has(this.keyOf(x)));
    if (!this.pages.length) this.pages.push({ marker: undefined, limit: this.firstPageSize, items: [] });
    this.pages[0].items = [...fresh, ...this.pages[0].items];
  }

  reset(): void {
    this.pages = [];
    this.next = undefined;
    this.started = false;
  }
}

export interface ListDiff<T> {
  added: T[];
  removed: T[];
  /** Items whose value differs (by the `equal` function) — the new values. */
  changed: T[];
  unchanged: number;
}

/** Compares two lists by key; `equal` decides whether an item with the same key changed (default: JSON). */
export function diffById<T>(before: T[], after: T[], keyOf: (x: T) => string, equal: (a: T, b: T) => boolean = jsonEqual): ListDiff<T> {
  const old = new Map(before.map((x) => [keyOf(x), x]));
  const now = new Set<string>();
  const added: T[] = [];
  const changed: T[] = [];
  let unchanged = 0;
  for (const x of after) {
    const k = keyOf(x);
    now.add(k);
    const o = old.get(k);
    if (o === undefined) added.push(x);
    else if (!equal(o, x)) changed.push(x);
    else unchanged++;
  }
  const removed = before.filter((x) => !now.has(keyOf(x)));
  return { added, removed, changed, unchanged };
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
