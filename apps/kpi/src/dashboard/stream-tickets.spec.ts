import { describe, expect, it } from '@jest/globals';
import { StreamTickets } from './stream-tickets.js';

const KEY = Buffer.alloc(32, 7);
const NOW = Date.parse('2026-12-10T02:00:00Z');
const authority = { sub: 'sy', role: 'authority' as const, unitId: 'AU210100', regionCode: '210100' };

describe('a stream ticket opens one stream, for a minute, for whoever it was issued to', () => {
  it('a fresh ticket gives back the principal it was issued for', () => {
    const tickets = new StreamTickets(KEY, 60);
    const { ticket, expiresAt } = tickets.issue(authority, NOW);
    expect(expiresAt).toBe('2026-12-10T02:01:00.000Z');
    expect(tickets.redeem(ticket, NOW + 1000)).toEqual(authority);
  });

  it('a ticket used once is refused the second time (it may have been logged with the URL)', () => {
    const tickets = new StreamTickets(KEY, 60);
    const { ticket } = tickets.issue(authority, NOW);
    expect(tickets.redeem(ticket, NOW)).not.toBeNull();
    expect(tickets.redeem(ticket, NOW)).toBeNull();
  });

  it('an expired ticket is refused', () => {
    const tickets = new StreamTickets(KEY, 60);
    const { ticket } = tickets.issue(authority, NOW);
    expect(tickets.redeem(ticket, NOW + 60_000)).toBeNull();
  });

  it('a ticket whose claims were changed (a city authority made province) is refused', () => {
    const tickets = new StreamTickets(KEY, 60);
    const [body, mac] = tickets.issue(authority, NOW).ticket.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'province' })).toString('base64url');
    expect(tickets.redeem(`${forged}.${mac}`, NOW)).toBeNull();
  });

  it('a ticket signed with another key, a malformed ticket or none at all is refused', () => {
    const other = new StreamTickets(Buffer.alloc(32, 8), 60).issue(authority, NOW).ticket;
    const tickets = new StreamTickets(KEY, 60);
    for (const t of [other, undefined, '', 'abc', 'a.b.c', 'x'.repeat(5000)]) expect(tickets.redeem(t, NOW)).toBeNull();
  });
});
