import { describe, expect, it } from 'vitest';
import { repeatedCallIds, type FcrCall } from './fcr.js';

const NUMBER = '+14155550123';
const DAY_MS = 86_400_000;
const t0 = Date.parse('2025-03-10T14:00:00.000Z');
const at = (days: number, extraMs = 0) => new Date(t0 + days * DAY_MS + extraMs).toISOString();

function call(id: string, startedAt: string, overrides: Partial<FcrCall> = {}): FcrCall {
  return { id, externalNumber: NUMBER, direction: 'inbound', status: 'answered', startedAt, ...overrides };
}

describe('repeatedCallIds', () => {
  it('marks an answered inbound call followed by another inbound call of any status within 7 days', () => {
    const calls = [call('first', at(0)), call('again-abandoned', at(6), { status: 'abandoned' })];
    expect([...repeatedCallIds(calls, 7)]).toEqual(['first']);
  });

  it('includes the end of the window (start to start, ≤ 7 × 86 400 s) and nothing after', () => {
    expect(repeatedCallIds([call('a', at(0)), call('b', at(7))], 7).has('a')).toBe(true);
    expect(repeatedCallIds([call('a', at(0)), call('b', at(7, 1))], 7).has('a')).toBe(false);
  });

  it('ignores outbound calls, other numbers and withheld numbers', () => {
    const calls = [
      call('a', at(0)),
      call('callback', at(1), { direction: 'outbound' }),
      call('someone-else', at(2), { externalNumber: '+14155550188' }),
      call('withheld-1', at(0), { externalNumber: null }),
      call('withheld-2', at(1), { externalNumber: null }),
    ];
    expect(repeatedCallIds(calls, 7).size).toBe(0);
  });

  it('only marks answered calls, whatever order the calls come in', () => {
    const calls = [call('c', at(4)), call('b-missed', at(2), { status: 'missed' }), call('a', at(0))];
    // a → next inbound is b-missed (2 days): repeated. b-missed is not answered: not an FCR call.
    // c has no follower yet: resolved until a repeat arrives.
    expect([...repeatedCallIds(calls, 7)]).toEqual(['a']);
  });

  it('uses the window given', () => {
    const calls = [call('a', at(0)), call('b', at(2))];
    expect(repeatedCallIds(calls, 1).size).toBe(0);
    expect(repeatedCallIds(calls, 3).has('a')).toBe(true);
  });
});
