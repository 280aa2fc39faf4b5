import { describe, expect, it } from 'vitest';
import { detectAnomalies, type DayFigures } from './alerts.js';

const normal = (day: string, offered = 100, abandonmentRate = 0.05, asaSeconds = 20): DayFigures => ({
  day,
  offered,
  answered: Math.round(offered * (1 - abandonmentRate)),
  abandonmentRate,
  asaSeconds,
});
const baseline = Array.from({ length: 14 }, (_, i) => normal(`2025-03-${String(i + 1).padStart(2, '0')}`, 100 + (i % 3), 0.05 + (i % 2) * 0.01, 20 + (i % 4)));

describe('anomaly rules', () => {
  it('says nothing about an ordinary day', () => {
    expect(detectAnomalies([...baseline, normal('2025-03-15', 101, 0.055, 21)], '2025-03-15')).toEqual([]);
  });
  it('flags an abandonment spike above mean + max(3σ, 5 points)', () => {
    // baseline rates alternate 0.05/0.06: mean 0.055, σ 0.005 → threshold 0.055 + 0.05 = 0.105
    const found = detectAnomalies([...baseline, normal('2025-03-15', 100, 0.11)], '2025-03-15');
    expect(found.map((a) => a.type)).toEqual(['abandonment_spike']);
    expect(found[0]!.baseline).toEqual({ days: 14, mean: 0.055, stddev: 0.005 });
    expect(detectAnomalies([...baseline, normal('2025-03-15', 100, 0.1)], '2025-03-15')).toEqual([]);
  });
  it('flags a wait spike and a volume drop, a day with no call included', () => {
    const found = detectAnomalies([...baseline, normal('2025-03-15', 100, 0.05, 45), { day: '2025-03-16', offered: 0, answered: 0, abandonmentRate: null, asaSeconds: null }], '2025-03-15');
    expect(found.map((a) => `${a.type}@${a.day}`)).toEqual(['wait_spike@2025-03-15', 'volume_drop@2025-03-16']);
  });
  it('needs a baseline and enough calls to judge', () => {
    expect(detectAnomalies([...baseline.slice(0, 4), normal('2025-03-05', 100, 0.5)], '2025-03-05')).toEqual([]);
    expect(detectAnomalies([...baseline, normal('2025-03-15', 9, 0.9)], '2025-03-15').map((a) => a.type)).toEqual(['volume_drop']);
  });
});
