// Guessing codes and passwords (SPEC §3 "Brute force"; ASVS v5 6.1.1, 6.3.1, 6.6.3): per-address
// limits held in the database, a growing per-account delay without a lock-out, a global spike
// alarm, and an audit trail that never holds what was tried.
import { describe, expect, it, onTestFinished } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { formatAccessCode, generateAccessCode } from '../../src/access-codes/access-code.js';
import { MINUTE } from '../../src/lib/clock.js';
import { addressGroupOf } from '../../src/rate-limits/rate-limits.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import type { Deps, Log } from '../../src/deps.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import type { TestApi } from '../helpers/api.js';
import {
  ADDRESS_A,
  ADDRESS_B,
  claimedPerson,
  createPersonViaApi,
  expectErrorBody,
  issueCodeViaApi,
  openApis,
  OTHER_PASSWORD,
  PASSWORD,
} from './support.js';

const SECOND_MS = 1000;

const open = openApis();

function check(
  api: TestApi,
  code: string,
  headers: Record<string, string> = {},
  remoteAddress = ADDRESS_A,
): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'POST',
    url: '/api/v1/access-code/check',
    remoteAddress,
    headers,
    payload: { code },
  });
}

function signIn(
  api: TestApi,
  username: string,
  password: string,
  remoteAddress = ADDRESS_A,
): Promise<LightMyRequestResponse> {
  return api.app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress, payload: { username, password } });
}

function retryAfterOf(response: LightMyRequestResponse): number {
  const header = response.headers['retry-after'];
  expect(header, 'a 429 carries Retry-After').toMatch(/^\d+$/);
  return Number(header);
}

/** Every audit row's details and labels, as one string to search. */
async function auditText(context: TestContext): Promise<string> {
  const rows = await context.deps.db.selectFrom('audit_events').selectAll().execute();
  return JSON.stringify(rows);
}

describe.each(DIALECTS)('access-code guessing (%s)', (dialect) => {
  it(
    '30 wrong codes from one address: refused uniformly 20 times, then 429 with ' +
      'Retry-After; a right code is refused too; another address is unaffected',
    async () => {
      const { context, api } = await open(dialect);
      const person = await createPersonViaApi(api, { name: 'Kim Berg', employeeId: 'E1' });
      const code = await issueCodeViaApi(api, person.id);
      const tried: string[] = [];
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 30; i += 1) {
        const guess = formatAccessCode(generateAccessCode());
        tried.push(guess);
        answers.push(await check(api, guess));
      }
      for (const [index, answer] of answers.entries()) {
        expectErrorBody(answer);
        if (index < 20) {
          expect(answer.statusCode, `attempt ${index + 1}`).toBe(400);
          expect(answer.json().error.code).toBe('code_unusable');
        } else {
          expect(answer.statusCode, `attempt ${index + 1}`).toBe(429);
          expect(answer.json().error.code).toBe('rate_limited');
          const wait = retryAfterOf(answer);
          expect(wait).toBeGreaterThan(0);
          expect(wait).toBeLessThanOrEqual(15 * 60);
        }
      }

      const rightButLimited = await check(api, code);
      expect(rightButLimited.statusCode).toBe(429);
      expect(rightButLimited.body).not.toContain('username');

      const otherAddress = await check(api, code, {}, ADDRESS_B);
      expect(otherAddress.statusCode).toBe(200);
      expect(otherAddress.json()).toEqual({ username: null, claim: true });

      // The window passes: the address may try again (no permanent block).
      context.clock.advance(15 * MINUTE);
      expect((await check(api, code)).statusCode).toBe(200);

      // Audited: every failure up to the limit, one rate-limit entry; never a tried code.
      const failed = await context.deps.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'access_code.failed')
        .where('ip', '=', ADDRESS_A)
        .execute();
      expect(failed).toHaveLength(20);
      expect(failed.every((row) => (JSON.parse(row.details) as { reason?: string }).reason === 'unknown')).toBe(true);
      const limited = await context.deps.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'access_code.rate_limited')
        .execute();
      expect(limited).toHaveLength(1);
      const everything = await auditText(context);
      for (const guess of [...tried, code]) {
        expect(everything).not.toContain(guess);
        expect(everything).not.toContain(guess.replace(/-/g, ''));
      }
    },
  );

  it('a wrong code, username and password on redemption are audited without the code or the password', async () => {
    const { context, api } = await open(dialect);
    const guess = generateAccessCode();
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      remoteAddress: ADDRESS_A,
      payload: { code: guess, username: 'someone', password: OTHER_PASSWORD },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('code_unusable');
    const everything = await auditText(context);
    expect(everything).toContain('access_code.failed');
    expect(everything).not.toContain(guess);
    expect(everything).not.toContain(OTHER_PASSWORD);
  });

  it('IPv6 addresses of one /64 share a limit; another /64 does not', async () => {
    const { api } = await open(dialect, { KEYSLIP_RATE_CODE_FAILURES: '5' });
    for (let i = 1; i <= 5; i += 1)
      expect((await check(api, generateAccessCode(), {}, `2001:db8:1:2::${i.toString(16)}`)).statusCode).toBe(400);
    expect((await check(api, generateAccessCode(), {}, '2001:db8:1:2:ffff:ffff:ffff:ffff')).statusCode).toBe(429);
    expect((await check(api, generateAccessCode(), {}, '2001:db8:1:3::1')).statusCode).toBe(400);
  });
});

describe('the client address behind a proxy', () => {
  it(
    'with KEYSLIP_TRUST_PROXY naming the proxy, the ' + 'X-Forwarded-For address is the one limited and audited',
    async () => {
      const { context, api } = await open('sqlite', { KEYSLIP_TRUST_PROXY: '127.0.0.1' });
      const person = await createPersonViaApi(api, { name: 'Kim Berg', employeeId: 'E1' });
      const code = await issueCodeViaApi(api, person.id);
      for (let i = 0; i < 20; i += 1) {
        expect(
          (await check(api, generateAccessCode(), { 'x-forwarded-for': '203.0.113.7' }, '127.0.0.1')).statusCode,
        ).toBe(400);
      }
      expect((await check(api, code, { 'x-forwarded-for': '203.0.113.7' }, '127.0.0.1')).statusCode).toBe(429);
      // Another client behind the same proxy is not limited.
      expect((await check(api, code, { 'x-forwarded-for': '203.0.113.8' }, '127.0.0.1')).statusCode).toBe(200);
      // An untrusted sender cannot pick its address with the header: its socket address counts.
      expect((await check(api, generateAccessCode(), { 'x-forwarded-for': '203.0.113.9' }, ADDRESS_B)).statusCode).toBe(
        400,
      );
      const ips = await context.deps.db
        .selectFrom('audit_events')
        .select('ip')
        .distinct()
        .where('action', '=', 'access_code.failed')
        .execute();
      expect(ips.map((row) => row.ip).sort()).toEqual([ADDRESS_B, '203.0.113.7'].sort());
    },
  );

  it('without KEYSLIP_TRUST_PROXY, a spoofed X-Forwarded-For changes nothing', async () => {
    const { context, api } = await open('sqlite');
    const person = await createPersonViaApi(api, { name: 'Kim Berg', employeeId: 'E1' });
    const code = await issueCodeViaApi(api, person.id);
    for (let i = 0; i < 20; i += 1) {
      expect((await check(api, generateAccessCode(), { 'x-forwarded-for': `203.0.113.${i + 1}` })).statusCode).toBe(
        400,
      );
    }
    expect((await check(api, code, { 'x-forwarded-for': '203.0.113.200' })).statusCode).toBe(429);
    const ips = await context.deps.db
      .selectFrom('audit_events')
      .select('ip')
      .distinct()
      .where('action', '=', 'access_code.failed')
      .execute();
    expect(ips.map((row) => row.ip)).toEqual([ADDRESS_A]);
  });

  it('groups addresses as the limits count them', () => {
    expect(addressGroupOf('192.0.2.1')).toBe('192.0.2.1');
    expect(addressGroupOf('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressGroupOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroupOf('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressGroupOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroupOf('::1')).toBe('0:0:0:0::/64');
    expect(addressGroupOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressGroupOf(null)).toBe('unknown');
  });
});

describe('a spike of failures across all clients', () => {
  it('is counted in /metrics and logged once per minute', async () => {
    const metricsToken = 'metrics-token-metrics-token-metrics-token';
    const context = await createTestContext('sqlite', {
      env: { KEYSLIP_RATE_CODE_FAILURES: '1000000', KEYSLIP_METRICS_TOKEN: metricsToken },
    });
    const warnings: { object: object; message?: string }[] = [];
    const log: Log = {
      info() {},
      error() {},
      warn: (object, message) => warnings.push({ object, ...(message === undefined ? {} : { message }) }),
    };
    const deps: Deps = { ...context.deps, log };
    const app = await buildApp(deps);
    await createApiToken(deps.db, { name: 't', actor: CLI_ACTOR, now: context.clock.now() });
    onTestFinished(async () => {
      await app.close();
      await context.close();
    });

    const spikes = async (): Promise<number> => {
      const metrics = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      const match = /^keyslip_access_code_failure_spikes_total (\d+)$/m.exec(metrics.body);
      expect(match, 'the spike counter is exported').not.toBeNull();
      return Number(match![1]);
    };
    const before = await spikes();
    const tried = new Set<string>();
    const fail = async (i: number): Promise<void> => {
      const guess = generateAccessCode();
      tried.add(guess);
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        remoteAddress: `10.0.${i % 200}.${1 + (i % 250)}`,
        payload: { code: guess },
      });
      expect(response.statusCode).toBe(400);
    };
    for (let i = 0; i < 200; i += 1) await fail(i);
    expect(await spikes()).toBe(before);
    expect(warnings).toHaveLength(0);
    for (let i = 200; i < 260; i += 1) await fail(i);
    expect(await spikes()).toBe(before + 1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/spike/);
    expect(JSON.stringify(warnings)).not.toMatch(new RegExp([...tried].join('|')));

    // The next minute is counted afresh.
    context.clock.advance(MINUTE);
    for (let i = 0; i < 201; i += 1) await fail(i);
    expect(await spikes()).toBe(before + 2);
  });
});

describe.each(DIALECTS)('password guessing (%s)', (dialect) => {
  it(
    'after 5 failures in a row an account waits 1, 2, 4 … seconds, ' +
      'capped at 60; after the wait the right password works',
    async () => {
      const { context, api } = await open(dialect);
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      for (let i = 0; i < 5; i += 1) {
        const response = await signIn(api, 'sam.lee', `wrong guess ${i}`);
        expect(response.statusCode, `failure ${i + 1}`).toBe(401);
        expect(response.json().error.code).toBe('sign_in_failed');
      }
      const waits: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        // Refused while waiting, even with the right password, and from any address.
        const early = await signIn(api, 'sam.lee', PASSWORD, i % 2 === 0 ? ADDRESS_A : ADDRESS_B);
        expect(early.statusCode).toBe(429);
        expectErrorBody(early);
        const wait = retryAfterOf(early);
        waits.push(wait);
        context.clock.advance(wait * SECOND_MS);
        expect((await signIn(api, 'sam.lee', `wrong again ${i}`)).statusCode).toBe(401);
      }
      expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);

      const stillWaiting = await signIn(api, 'sam.lee', PASSWORD);
      expect(retryAfterOf(stillWaiting)).toBe(60);
      context.clock.advance(60 * SECOND_MS);
      const after = await signIn(api, 'sam.lee', PASSWORD);
      expect(after.statusCode).toBe(201);
      // Success resets the count: the next typo is answered at once.
      expect((await signIn(api, 'sam.lee', 'one typo')).statusCode).toBe(401);

      const failures = await context.deps.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'sign_in.failed')
        .execute();
      expect(failures).toHaveLength(5 + 8 + 1);
      const everything = await auditText(context);
      expect(everything).not.toContain('wrong guess');
      expect(everything).not.toContain('wrong again');
      expect(everything).not.toContain('one typo');
      expect(everything).not.toContain(PASSWORD);
    },
  );

  it(
    'failed sign-ins are limited per client address, ' + 'whichever accounts they try; another address signs in',
    async () => {
      const { context, api } = await open(dialect, { KEYSLIP_RATE_SIGNIN_FAILURES: '8' });
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      for (let i = 0; i < 8; i += 1) expect((await signIn(api, `nobody${i}`, 'whatever it is')).statusCode).toBe(401);
      const limited = await signIn(api, 'sam.lee', PASSWORD);
      expect(limited.statusCode).toBe(429);
      expect(retryAfterOf(limited)).toBeLessThanOrEqual(15 * 60);
      expect((await signIn(api, 'sam.lee', PASSWORD, ADDRESS_B)).statusCode).toBe(201);
      context.clock.advance(15 * MINUTE);
      expect((await signIn(api, 'sam.lee', PASSWORD)).statusCode).toBe(201);
    },
  );
});
