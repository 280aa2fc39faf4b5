/**
 * Gathers items submitted at about the same time into one batch: a batch is run when it holds
 * `maxItems`, or `maxWaitMs` after its first item. Every submitter gets its own item's outcome from
 * the batch's result, so a caller reads like a single call while the work behind it is shared.
 */
export class MicroBatcher<T, R> {
  private items: { item: T; resolve(r: R): void; reject(e: unknown): void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Runs one batch; returns one result per item, in the items' order. */
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxItems: number,
    private readonly maxWaitMs: number,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.items.push({ item, resolve, reject });
      if (this.items.length >= this.maxItems) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  /** Runs what is gathered now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.items;
    this.items = [];
    if (batch.length === 0) return;
    this.run(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}
