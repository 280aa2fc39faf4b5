/**
 * Gathers items submitted at about the same time into one batch: a batch is run when it holds
 * `maxItems`, or `maxWaitMs` after its first item. Every submitter gets its own item's outcome from
 * the batch's result, so a caller reads like a single call while the work behind it is shared.
 *
 * At most `maxInFlight` batches run at once (group commit): while they run, new items gather, and
 * the next batch starts when one ends and the gathered items fill a batch or the oldest of them has
 * waited `maxWaitMs`. Under load, batches therefore grow towards `maxItems` on their own (each
 * batch's fixed cost is shared by more items) and the work of a busy process does not split into
 * many small batches fighting for the same CPU; no item waits more than `maxWaitMs` for a batch to
 * gather, plus the time a batch in flight takes to end.
 */
export class MicroBatcher<T, R> {
  /** Gathered items, oldest first, each with the time it arrived. */
  private items: { item: T; at: number; resolve(r: R): void; reject(e: unknown): void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = 0;

  constructor(
    /** Runs one batch; returns one result per item, in the items' order. */
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxItems: number,
    private readonly maxWaitMs: number,
    private readonly maxInFlight = Infinity,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.items.push({ item, at: performance.now(), resolve, reject });
      if (this.items.length >= this.maxItems) this.flush();
      else this.wait();
    });
  }

  /** Runs what is gathered now, as far as the batches in flight allow (the rest when one ends). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.items.length > 0 && this.running < this.maxInFlight) {
      const batch = this.items.splice(0, this.maxItems);
      this.running++;
      this.run(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.running--;
          if (this.items.length >= this.maxItems) this.flush();
          else this.wait();
        });
    }
  }

  /** Starts the clock of the gathered items, if any and none is running: due `maxWaitMs` after the oldest. */
  private wait(): void {
    if (this.timer || this.items.length === 0) return;
    const due = this.items[0]!.at + this.maxWaitMs - performance.now();
    if (due <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), due);
  }
}
