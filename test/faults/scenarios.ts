/**
 * The faults, each applied to a fresh rig under load. Shared by the fault suite (small volume, in
 * `npm test`) and `npm run reliability` (larger volume, figures in RELIABILITY.md).
 */
import { createRig, type Outcome, type Rig } from './rig.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the load to start');
    await sleep(20);
  }
}

export interface FaultRun extends Outcome {
  fault: string;
  /** From the end of the fault to nothing pending (ms). Reported, never asserted. */
  recoverMs: number;
  alive: { api: boolean; worker: boolean };
}

/** Process-event retry budget at its production settings (8 attempts, 500 ms doubling): ~64 s. */
export const RETRY_BUDGET_MS = 64_000;

type Fault = (rig: Rig, calls: number) => Promise<void>;

/** Apply `inject` once a third of the load is acknowledged; the load keeps going through it. */
function underLoad(inject: (rig: Rig) => Promise<void>): Fault {
  return async (rig, calls) => {
    const sending = rig.send(0, calls);
    await until(() => rig.acknowledged() >= Math.ceil((calls * rig.deliveriesPerCall) / 3));
    await inject(rig);
    await sending;
  };
}

export const faults: Record<string, { describe: string; run: Fault }> = {
  none: {
    describe: 'no fault: the baseline, the time the same load takes to drain',
    run: (rig, calls) => rig.send(0, calls),
  },
  'postgres-restart': {
    describe: 'PostgreSQL restarted under load: every backend gets 57P01 (open transactions too), connections refused for 3 s',
    run: underLoad((rig) => rig.restartPostgres(3000)),
  },
  'postgres-outage-beyond-retries': {
    describe: `the worker loses PostgreSQL for longer than the retry budget (~${RETRY_BUDGET_MS / 1000} s) with acknowledged events queued`,
    run: async (rig, calls) => {
      await rig.cutPostgres('worker');
      await rig.send(0, calls);
      await sleep(RETRY_BUDGET_MS + 10_000);
      await rig.restorePostgres();
    },
  },
  'redis-loss': {
    describe: 'Redis lost under load for 5 s (API and worker)',
    run: underLoad(async (rig) => {
      await rig.cutRedis();
      await sleep(5000);
      await rig.restoreRedis();
    }),
  },
  'worker-killed': {
    describe: 'worker killed (SIGKILL) under load, a new one started',
    run: underLoad((rig) => rig.killWorker()),
  },
  'api-killed': {
    describe: 'API killed (SIGKILL) under load, a new one started on the same port',
    run: underLoad((rig) => rig.killApi()),
  },
};

export async function runFault(fault: string, calls: number, settleTimeoutMs: number, opts: { single?: boolean } = {}): Promise<FaultRun> {
  const f = faults[fault];
  if (!f) throw new Error(`unknown fault ${fault}`);
  const rig = await createRig(opts);
  try {
    await f.run(rig, calls);
    const faultEnd = Date.now();
    // Nothing manual: the processes recover on their own, however long it takes.
    await rig.settle(settleTimeoutMs);
    const recoverMs = Date.now() - faultEnd;
    return { fault, ...(await rig.outcome(calls)), recoverMs, alive: rig.alive() };
  } finally {
    await rig.close();
  }
}
