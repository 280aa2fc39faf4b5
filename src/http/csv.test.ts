import { describe, expect, it } from 'vitest';
import { csvLine, flattenRecord, recordsCsv } from './csv.js';

describe('csv', () => {
  it('quotes what needs quoting and disarms formulas, but keeps plain numbers and E.164 numbers', () => {
    expect(csvLine(['a,b', 'say "hi"', 'x\ny', null, 3])).toBe('"a,b","say ""hi""","x\ny",,3\r\n');
    expect(csvLine(['=HYPERLINK("x")', '@SUM(A1)', '-1+1|cmd', '+1+2'])).toBe(`"'=HYPERLINK(""x"")",'@SUM(A1),'-1+1|cmd,'+1+2\r\n`);
    expect(csvLine(['-12.50', '+14155550123', '-3'])).toBe('-12.50,+14155550123,-3\r\n');
  });

  it('flattens nested objects into dotted columns and lists into one cell', () => {
    expect(flattenRecord({ key: 'a', compare: { values: { offered: 3 } }, targets: [{ kpi: 'csat', comparison: '>=', value: 0.85, met: false }], agents: [{ id: 'x', name: 'X' }] })).toEqual({
      key: 'a',
      'compare.values.offered': 3,
      targets: 'csat >= 0.85 missed',
      agents: 'x',
    });
  });

  it('takes the columns of every record, in order of appearance', () => {
    expect(recordsCsv([{ a: 1 }, { a: 2, b: { c: 'z' } }])).toBe('a,b.c\r\n1,\r\n2,z\r\n');
  });
});
