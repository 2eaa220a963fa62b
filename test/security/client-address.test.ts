// The client address behind a trusted proxy: an X-Forwarded-For entry with a port
// (`1.2.3.4:5678`, `[2001:db8::1]:80`) counts as the bare address, in the rate limits, the
// sessions list and the audit log; otherwise every port would be a new client.
import { describe, expect, it } from 'vitest';
import { formatAccessCode, generateAccessCode } from '../../src/access-codes/access-code.js';
import { bareAddress } from '../../src/http/client.js';
import { sessionCookieOf } from '../helpers/api.js';
import { DIALECTS } from '../helpers/deps.js';
import { claimedPerson, openApis, PASSWORD } from './support.js';

const open = openApis();
const PROXY = '127.0.0.1';

describe('bareAddress', () => {
  it('drops the port of an IPv4 or bracketed IPv6 address and leaves anything else alone', () => {
    expect(bareAddress('1.2.3.4:5678')).toBe('1.2.3.4');
    expect(bareAddress(' 1.2.3.4:80 ')).toBe('1.2.3.4');
    expect(bareAddress('[::1]:80')).toBe('::1');
    expect(bareAddress('[2001:db8::7]')).toBe('2001:db8::7');
    expect(bareAddress('2001:db8::7')).toBe('2001:db8::7');
    expect(bareAddress('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(bareAddress('1.2.3.4')).toBe('1.2.3.4');
    expect(bareAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(bareAddress('[not-an-ip]:80')).toBe('[not-an-ip]:80');
    expect(bareAddress('host.example:80')).toBe('host.example:80');
  });
});

describe.each(DIALECTS)('X-Forwarded-For with a port (%s)', (dialect) => {
  it('code guesses from one address on many ports share one limit', async () => {
    const { api } = await open(dialect, { KEYSLIP_TRUST_PROXY: PROXY, KEYSLIP_RATE_CODE_FAILURES: '3' });
    const guess = (forwardedFor: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': forwardedFor },
        payload: { code: formatAccessCode(generateAccessCode()) },
      });
    for (const port of [1001, 1002, 1003]) expect((await guess(`203.0.113.9:${port}`)).statusCode).toBe(400);
    for (const forwardedFor of ['203.0.113.9:1004', '203.0.113.9']) {
      const refused = await guess(forwardedFor);
      expect(refused.statusCode, forwardedFor).toBe(429);
    }
    // The same for IPv6 in brackets.
    for (const port of [80, 81, 82]) expect((await guess(`[2001:db8::9]:${port}`)).statusCode).toBe(400);
    expect((await guess('2001:db8::9')).statusCode).toBe(429);
  });

  it('the session and the audit log keep the bare address', async () => {
    const { context, api } = await open(dialect, { KEYSLIP_TRUST_PROXY: PROXY });
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    for (const [forwardedFor, bare] of [
      ['198.51.100.7:5678', '198.51.100.7'],
      ['[2001:db8::7]:443', '2001:db8::7'],
    ] as const) {
      const signIn = await api.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': forwardedFor },
        payload: { username: 'sam.lee', password: PASSWORD },
      });
      expect(signIn.statusCode, signIn.body).toBe(201);
      const cookie = sessionCookieOf(signIn.headers['set-cookie'])!;
      const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
      const current = (me.json().sessions as { current: boolean; ip: string | null }[]).find((s) => s.current);
      expect(current?.ip).toBe(bare);
      const audited = await context.deps.db
        .selectFrom('audit_events')
        .select('ip')
        .where('person_id', '=', person.id)
        .where('ip', 'like', `%${bare}%`)
        .execute();
      expect(audited.length).toBeGreaterThan(0);
      expect(audited.every((row) => row.ip === bare)).toBe(true);
    }
  });
});
