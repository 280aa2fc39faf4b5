import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher } from './micro-batch.js';

/** A batch runner whose batches end when the test says so. */
function controlledRunner() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => pending.push(() => resolve(items.map((i) => i * 10))));
  };
  return { batches, run, endOldest: () => pending.shift()!() };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher', () => {
  it('runs what arrives within the wait as one batch and gives each caller its own result', async () => {
    const { batches, run, endOldest } = controlledRunner();
    const b = new MicroBatcher(run, 100, 5);
    const results = [1, 2, 3].map((i) => b.submit(i));
    await tick(20);
    expect(batches).toEqual([[1, 2, 3]]);
    endOldest();
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it('starts a batch at once when it is full, without waiting', async () => {
    const { batches, run } = controlledRunner();
    const b = new MicroBatcher(run, 2, 10_000);
    void b.submit(1);
    void b.submit(2);
    void b.submit(3);
    await tick();
    expect(batches).toEqual([[1, 2]]);
  });

  it('gathers items while the batches in flight run, and starts the next as soon as one ends (group commit)', async () => {
    const { batches, run, endOldest } = controlledRunner();
    const b = new MicroBatcher(run, 3, 1, 1);
    const first = b.submit(1);
    await tick(10);
    expect(batches).toEqual([[1]]);
    // Five items arrive while the first batch runs: none starts (one in flight at most) ...
    const later = [2, 3, 4, 5, 6].map((i) => b.submit(i));
    await tick(10);
    expect(batches).toEqual([[1]]);
    // ... until it ends: then the next goes at once, no larger than the largest batch.
    endOldest();
    await first;
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    endOldest();
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    endOldest();
    expect(await Promise.all(later)).toEqual([20, 30, 40, 50, 60]);
  });

  it('lets a small gathering wait its time after a batch ends, and a full one go at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { batches, run, endOldest } = controlledRunner();
    const b = new MicroBatcher(run, 3, 100, 1);
    void b.submit(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(10);
    void b.submit(2); // arrives at 110 ms: due at 210 ms
    await vi.advanceTimersByTimeAsync(10);
    endOldest(); // the batch ends at 120 ms: item 2 has waited 10 ms of its 100
    await vi.advanceTimersByTimeAsync(80);
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([[1], [2]]);
    // Full while a batch runs: it goes as soon as that batch ends, without waiting.
    for (const i of [3, 4, 5]) void b.submit(i);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1], [2]]);
    endOldest();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
  });

  it('counts the time an item already waited upstream towards its wait, and an older item brings the clock forward', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { batches, run, endOldest } = controlledRunner();
    const b = new MicroBatcher(run, 10, 100);
    void b.submit(1); // due at 100 ms
    await vi.advanceTimersByTimeAsync(10);
    void b.submitAll([2], 70); // waited 70 ms before it came: due at 40 ms, for both
    await vi.advanceTimersByTimeAsync(29);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2]]);
    endOldest();
    // An item that waited longer than the whole wait goes at once; a newer one leaves its clock alone.
    void b.submitAll([3], 500);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2], [3]]);
    void b.submitAll([4], 20); // due 80 ms from now
    void b.submit(5); // due 100 ms from now: the batch still goes at 80
    await vi.advanceTimersByTimeAsync(79);
    expect(batches).toEqual([[1, 2], [3]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2], [3], [4, 5]]);
  });

  it('takes several items in at once: due ones make one batch, not one per item, and the run is told their age', async () => {
    const oldest: number[] = [];
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>(async (items, oldestAt) => {
      batches.push(items);
      oldest.push(performance.now() - oldestAt);
      return items;
    }, 4, 50, 2);
    // Already due: a batch of the first four and one of the rest, each with its whole age.
    const got = b.submitAll([1, 2, 3, 4, 5, 6], 500);
    expect(await Promise.all(got)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6]]);
    for (const o of oldest) expect(o).toBeGreaterThanOrEqual(50);
  });

  it('runs a full batch at once and lets the items that came with it wait their time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { batches, run } = controlledRunner();
    const b = new MicroBatcher(run, 4, 100);
    void b.submitAll([1, 2, 3, 4, 5, 6]);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6]]);
  });

  it('drains: runs what is gathered and waits for every batch in flight', async () => {
    const ended: number[][] = [];
    const b = new MicroBatcher<number, number>(async (items) => {
      await tick(5);
      ended.push(items);
      return items;
    }, 2, 10_000, 1);
    void b.submitAll([1, 2, 3]);
    await b.drain();
    expect(ended).toEqual([[1, 2], [3]]);
  });

  it('runs up to maxInFlight batches side by side', async () => {
    const { batches, run, endOldest } = controlledRunner();
    const b = new MicroBatcher(run, 2, 1, 2);
    const all = [1, 2, 3, 4, 5, 6].map((i) => b.submit(i));
    await tick(10);
    expect(batches).toEqual([[1, 2], [3, 4]]);
    endOldest();
    await tick();
    expect(batches).toEqual([[1, 2], [3, 4], [5, 6]]);
    endOldest();
    endOldest();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('rejects every caller of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const b = new MicroBatcher<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return items;
      },
      10,
      1,
      1,
    );
    const failed = [b.submit(1), b.submit(2)];
    await expect(failed[0]).rejects.toThrow('boom');
    await expect(failed[1]).rejects.toThrow('boom');
    expect(await b.submit(3)).toBe(3);
    expect(calls).toBe(2);
  });
});
