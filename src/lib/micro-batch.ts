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
  /** Gathered items in the order submitted, each with the time it arrived (or was counted from: submitAll's waitedMs). */
  private items: { item: T; at: number; resolve(r: R): void; reject(e: unknown): void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now() time). */
  private timerDue = 0;
  private running = 0;
  /** The batches in flight, until they end (drain). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    /**
     * Runs one batch; returns one result per item, in the items' order. `oldestAt`: when the
     * batch's oldest item arrived (performance.now() time, earlier by what it waited upstream).
     */
    private readonly run: (items: T[], oldestAt: number) => Promise<R[]>,
    private readonly maxItems: number,
    private readonly maxWaitMs: number,
    private readonly maxInFlight = Infinity,
  ) {}

  submit(item: T): Promise<R> {
    return this.submitAll([item])[0]!;
  }

  /**
   * Several items at once: they join the gathering together (a batch is cut only after all are
   * in). `waitedMs`: how long they already waited upstream (gathered elsewhere); it counts towards
   * their `maxWaitMs`.
   */
  submitAll(items: readonly T[], waitedMs = 0): Promise<R>[] {
    const at = performance.now() - Math.min(Math.max(0, waitedMs), this.maxWaitMs);
    const outcomes = items.map((item) => new Promise<R>((resolve, reject) => this.items.push({ item, at, resolve, reject })));
    if (this.items.length >= this.maxItems) this.start(true);
    // Items no older than those gathered leave their clock as it is.
    else if (!this.timer || at + this.maxWaitMs < this.timerDue) this.wait();
    return outcomes;
  }

  /** Runs what is gathered now, as far as the batches in flight allow (the rest when one ends). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.start(false);
  }

  /** Runs everything gathered now and waits until no batch is in flight (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
      this.flush();
    }
  }

  /**
   * Starts batches while the batches in flight allow: every gathered item, or (`fullOnly`) only
   * full batches, the rest gathering on with its clock (a full batch does not push out a few items
   * that came with it before their time).
   */
  private start(fullOnly: boolean): void {
    while (this.items.length >= (fullOnly ? this.maxItems : 1) && this.running < this.maxInFlight) {
      const batch = this.items.splice(0, this.maxItems);
      this.running++;
      let oldestAt = Infinity;
      for (const b of batch) oldestAt = Math.min(oldestAt, b.at);
      const done: Promise<unknown> = this.run(batch.map((b) => b.item), oldestAt)
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.inFlight.delete(done);
          this.start(true);
        });
      this.inFlight.add(done);
    }
    // The rest keeps gathering: its clock is its oldest item's (which may be later than before, when
    // the oldest just left in a batch).
    if (fullOnly) this.wait();
  }

  /**
   * Sets the clock of the gathered items, if any: due `maxWaitMs` after the oldest (an item that
   * waited upstream may be older than the ones before it, and brings the clock forward; the oldest
   * leaving in a batch moves it back).
   */
  private wait(): void {
    if (this.items.length === 0) return;
    let oldest = Infinity;
    for (const i of this.items) oldest = Math.min(oldest, i.at);
    const dueAt = oldest + this.maxWaitMs;
    if (this.timer && this.timerDue === dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const due = dueAt - performance.now();
    if (due <= 0) this.flush();
    else {
      this.timerDue = dueAt;
      this.timer = setTimeout(() => this.flush(), due);
    }
  }
}
