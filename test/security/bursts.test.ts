// Limits under a burst (issue 9, items 2, 3, 7, 8): requests sent all at once, in-process, on each
// database. Every attempt reserves its slot in one statement before it is evaluated, so however
// many arrive together, at most the limit are evaluated; the rest are refused with Retry-After.
// "Evaluated" is counted from the audit log: every evaluated failure leaves one entry.
import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { formatAccessCode, generateAccessCode } from '../../src/access-codes/access-code.js';
import { MINUTE } from '../../src/lib/clock.js';
import type { AuditAction } from '../../src/audit/audit.js';
import type { TestApi } from '../helpers/api.js';
import { DIALECTS, type TestContext } from '../helpers/deps.js';
import { renderMetrics } from '../../src/lib/metrics.js';
import {
  ADDRESS_A,
  claimedPerson,
  createPersonViaApi,
  expectErrorBody,
  issueCodeViaApi,
  openApis,
  PASSWORD,
} from './support.js';

const open = openApis();

function check(api: TestApi, code: string, remoteAddress = ADDRESS_A): Promise<LightMyRequestResponse> {
  return api.app.inject({ method: 'POST', url: '/api/v1/access-code/check', remoteAddress, payload: { code } });
}

function signIn(
  api: TestApi,
  username: string,
  password: string,
  remoteAddress = ADDRESS_A,
): Promise<LightMyRequestResponse> {
  return api.app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress, payload: { username, password } });
}

async function auditCount(context: TestContext, action: AuditAction): Promise<number> {
  const rows = await context.deps.db.selectFrom('audit_events').select('id').where('action', '=', action).execute();
  return rows.length;
}

/** The counter as /metrics shows it (read from the registry: /metrics itself needs a token now). */
async function rateLimitedMetric(_api: TestApi, kind: string): Promise<number> {
  const match = new RegExp(`^keyslip_rate_limited_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(renderMetrics());
  return match ? Number(match[1]) : 0;
}

/** A refused answer: 429 or 503, the JSON error shape, and a Retry-After of whole seconds. */
function expectRefused(response: LightMyRequestResponse, statuses: number[] = [429]): void {
  expect(statuses, response.body).toContain(response.statusCode);
  expectErrorBody(response);
  expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

function tally(responses: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
}

describe.each(DIALECTS)('bursts against the limits (%s)', (dialect) => {
  it(
    '200 wrong codes at once from one address: exactly 20 evaluated, ' +
      '180 refused with 429, one "limit reached" entry per window',
    async () => {
      const { context, api } = await open(dialect);
      const before = await rateLimitedMetric(api, 'access_code');
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => check(api, formatAccessCode(generateAccessCode()))),
      );
      const counts = tally(responses);
      console.log(
        `[${dialect}] code checks, one address, in-process: ` +
          `${await auditCount(context, 'access_code.failed')} evaluated of 200 sent`,
        counts,
      );
      expect(counts).toEqual({ 400: 20, 429: 180 });
      for (const response of responses.filter((r) => r.statusCode === 429)) expectRefused(response);
      expect(await auditCount(context, 'access_code.failed')).toBe(20);
      expect(await auditCount(context, 'access_code.rate_limited')).toBe(1);
      expect(await rateLimitedMetric(api, 'access_code')).toBe(before + 180);

      // The next window: 20 more evaluated, then one more "limit reached" entry, not one per request.
      context.clock.advance(15 * MINUTE);
      const next = await Promise.all(
        Array.from({ length: 50 }, () => check(api, formatAccessCode(generateAccessCode()))),
      );
      expect(tally(next)).toEqual({ 400: 20, 429: 30 });
      expect(await auditCount(context, 'access_code.rate_limited')).toBe(2);
    },
  );

  it('a right code is not counted as a failure: its slot is given back', async () => {
    const { context, api } = await open(dialect, { KEYSLIP_RATE_CODE_FAILURES: '3' });
    const person = await createPersonViaApi(api, { name: 'Kim Berg', employeeId: 'E1' });
    const code = await issueCodeViaApi(api, person.id);
    for (let i = 0; i < 10; i += 1) expect((await check(api, code)).statusCode).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await check(api, generateAccessCode())).statusCode).toBe(400);
    expectRefused(await check(api, code));
    expect(await auditCount(context, 'access_code.failed')).toBe(3);
  });

  it(
    '200 wrong sign-ins at once from one address: at most ' + 'the limit evaluated, the rest refused with Retry-After',
    async () => {
      const { context, api } = await open(dialect, {
        KEYSLIP_RATE_SIGNIN_FAILURES: '10',
        KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: '1000',
      });
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => signIn(api, `nobody${i}`, 'whatever it is')),
      );
      const counts = tally(responses);
      const evaluated = await auditCount(context, 'sign_in.failed');
      console.log(`[${dialect}] sign-ins, one address, in-process: ${evaluated} evaluated of 200 sent`, counts);
      expect(evaluated).toBeLessThanOrEqual(10);
      expect(counts[401] ?? 0).toBe(evaluated);
      expect(counts[429]).toBeGreaterThanOrEqual(190);
      for (const response of responses.filter((r) => r.statusCode !== 401)) expectRefused(response, [429, 503]);
      expect(await auditCount(context, 'sign_in.rate_limited')).toBe(1);
    },
  );

  it(
    'while an account waits out its delay, 100 wrong passwords and the right ' +
      'one at once are all refused unevaluated; after it, exactly one is evaluated',
    async () => {
      const { context, api } = await open(dialect);
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      for (let i = 0; i < 5; i += 1) expect((await signIn(api, 'sam.lee', `wrong guess ${i}`)).statusCode).toBe(401);
      const failedBefore = await auditCount(context, 'sign_in.failed');
      // Each from an address of its own: the per-address limits are not what is tested here.
      const burst = (): Promise<LightMyRequestResponse[]> =>
        Promise.all([
          ...Array.from({ length: 100 }, (_, i) => signIn(api, 'sam.lee', `wrong again ${i}`, `10.9.${i}.1`)),
          signIn(api, 'sam.lee', PASSWORD, '10.9.200.1'),
        ]);

      const during = await burst();
      for (const response of during) expectRefused(response);
      expect(await auditCount(context, 'sign_in.failed')).toBe(failedBefore);
      expect(await auditCount(context, 'sign_in.succeeded')).toBe(0);

      context.clock.advance(1000);
      const after = await burst();
      const evaluated = after.filter((r) => r.statusCode !== 429);
      console.log(
        `[${dialect}] sign-ins, one account after its delay, in-process: ${evaluated.length} evaluated of 101 sent`,
      );
      expect(evaluated).toHaveLength(1);
      expect([201, 401]).toContain(evaluated[0]!.statusCode);
      const newlyAudited =
        (await auditCount(context, 'sign_in.failed')) - failedBefore + (await auditCount(context, 'sign_in.succeeded'));
      expect(newlyAudited).toBe(1);
    },
  );

  it(
    'more sign-ins at once from one address than it may have in ' +
      'progress: the excess gets 503 with Retry-After, unevaluated',
    async () => {
      const { context, api } = await open(dialect, { KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: '2' });
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => signIn(api, `nobody${i}`, 'whatever it is')),
      );
      const counts = tally(responses);
      expect(counts[503], JSON.stringify(counts)).toBeGreaterThan(0);
      expect((counts[401] ?? 0) + counts[503]!).toBe(40);
      for (const response of responses.filter((r) => r.statusCode === 503)) {
        expectRefused(response, [503]);
        expect(response.json().error.code).toBe('busy');
      }
      // Only the evaluated ones count against the address's limit and the audit log.
      expect(await auditCount(context, 'sign_in.failed')).toBe(counts[401] ?? 0);
    },
  );

  it(
    'the password-hashing queue is bounded: a flood from ' + 'many addresses gets 503s, never an unbounded wait',
    async () => {
      const { context, api } = await open(dialect);
      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, i) => signIn(api, `nobody${i}`, 'whatever it is', `10.8.${i}.1`)),
      );
      const counts = tally(responses);
      expect(counts[503], JSON.stringify(counts)).toBeGreaterThan(0);
      expect((counts[401] ?? 0) + counts[503]!).toBe(60);
      for (const response of responses.filter((r) => r.statusCode === 503)) expectRefused(response, [503]);
      expect(await auditCount(context, 'sign_in.failed')).toBe(counts[401] ?? 0);
    },
  );

  it('/login answers a busy server with the sign-in page and a wait, not an error page', async () => {
    const { api } = await open(dialect, { KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: '1' });
    const page = await api.app.inject({ method: 'GET', url: '/login', remoteAddress: ADDRESS_A });
    const csrfCookie = ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(token, 'the login form has a CSRF token').toBeDefined();
    const post = (i: number): Promise<LightMyRequestResponse> =>
      api.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: ADDRESS_A,
        headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: new URLSearchParams({ _csrf: token!, login: `nobody${i}`, password: 'whatever it is' }).toString(),
      });
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i)));
    const busy = responses.filter((r) => r.statusCode === 503);
    expect(busy.length, responses.map((r) => r.statusCode).join(',')).toBeGreaterThan(0);
    for (const response of busy) {
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body).toContain('Keyslip is busy right now');
      expect(response.body).toContain('name="password"');
    }
  });

  it(
    'redeeming with a chosen username counts in the ' + 'username-check limit (no second availability oracle)',
    async () => {
      // 2 failures → 6 username probes per address and window.
      const { api } = await open(dialect, { KEYSLIP_RATE_CODE_FAILURES: '2' });
      await createPersonViaApi(api, { name: 'Taken Name', username: 'taken.name' });
      const person = await createPersonViaApi(api, { name: 'New Starter', employeeId: 'E9' });
      const code = await issueCodeViaApi(api, person.id);
      const redeem = (username: string): Promise<LightMyRequestResponse> =>
        api.app.inject({
          method: 'POST',
          url: '/api/v1/access-code/redeem',
          remoteAddress: ADDRESS_A,
          payload: { code, username, password: PASSWORD },
        });
      for (let i = 0; i < 6; i += 1) {
        const taken = await redeem('taken.name');
        expect(taken.statusCode, taken.body).toBe(409);
        expect(taken.json().error.code).toBe('username_taken');
      }
      expectRefused(await redeem('taken.name'));
      const probe = await api.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/username-available',
        remoteAddress: ADDRESS_A,
        payload: { code, username: 'other.name' },
      });
      expectRefused(probe);
      // Being right about the code is no failure: the code limit (2) was never touched.
      expect((await check(api, code)).statusCode).toBe(200);
    },
  );
});
