/**
 * The Twilio inbound-answered fixture (customer +14155550123, 255 s of talk, 2025-03-10T14:00Z) as
 * another call: new sids and idempotency tokens, the clock shifted by whole days (0: the fixture).
 */
import { createHash } from 'node:crypto';
import { twilioFixture, type TwilioDelivery } from './twilio.js';

export function twilioCallOnAnotherDay(shiftDays: number, fixture = 'inbound_answered'): TwilioDelivery[] {
  const derive = (s: string) => createHash('sha256').update(`${shiftDays}/${s}`).digest('hex').slice(0, 32);
  return twilioFixture(fixture).deliveries.map((d) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.params)) {
      params[k] = v
        .replace(/CA[0-9a-f]{32}/g, (sid) => (shiftDays === 0 ? sid : `CA${derive(sid)}`))
        .replace(/\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000/g, (ts) => new Date(Date.parse(ts) + shiftDays * 86_400_000).toUTCString().replace('GMT', '+0000'));
    }
    const token = d.headers['I-Twilio-Idempotency-Token'];
    const headers: Record<string, string> = token ? { 'I-Twilio-Idempotency-Token': shiftDays === 0 ? token : derive(token) } : {};
    return { ...d, params, headers };
  });
}
