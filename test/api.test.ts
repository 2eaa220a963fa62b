// The JSON API through inject(): status codes, error shapes, cookies, search, import, bulk issue,
// sessions and the audit log, on every dialect.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../src/errors.js';
import { DAY, HOUR, MINUTE } from '../src/lib/clock.js';
import { createTestApi, sessionCookieOf, type TestApi } from './helpers/api.js';
import { PASSWORD, spellingsOf } from './helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import type { Env } from '../src/config.js';

const METRICS_TOKEN = 'metrics-token-metrics-token-metrics-token';

interface Opened {
  context: TestContext;
  api: TestApi;
  app: FastifyInstance;
  admin: { authorization: string };
}

function expectError(response: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(ERRORS[code].status).toBe(status);
}

/** The attributes of the session cookie in a Set-Cookie header, lower-cased names. */
function sessionCookieAttributes(setCookie: string | string[] | undefined): Map<string, string> {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const cookie = all.find((c) => /^(__Host-)?keyslip_session=/.test(c));
  expect(cookie, 'a keyslip_session cookie').toBeDefined();
  const attributes = new Map<string, string>();
  for (const part of cookie!.split(';').slice(1)) {
    const [name, ...value] = part.trim().split('=');
    attributes.set(name!.toLowerCase(), value.join('='));
  }
  return attributes;
}

describe.each(DIALECTS)('HTTP API (%s)', (dialect) => {
  const opened: Opened[] = [];
  async function open(env?: Env): Promise<Opened> {
    const context = await createTestContext(dialect, env ? { env } : {});
    const api = await createTestApi(context);
    const result = { context, api, app: api.app, admin: api.admin };
    opened.push(result);
    return result;
  }
  afterAll(async () => {
    for (const { app, context } of opened) {
      await app.close();
      await context.close();
    }
  });

  async function createPerson(o: Opened, body: Record<string, unknown>): Promise<{ id: string }> {
    const response = await o.app.inject({ method: 'POST', url: '/api/v1/people', headers: o.admin, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function issueCode(o: Opened, personId: string, body?: Record<string, unknown>): Promise<string> {
    const response = await o.app.inject({
      method: 'POST',
      url: `/api/v1/people/${personId}/access-code`,
      headers: o.admin,
      ...(body ? { payload: body } : {}),
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().code;
  }

  /** A person who claimed their account: their id and session cookie. */
  async function claimed(
    o: Opened,
    body: { name: string; username: string; email?: string; role?: string },
  ): Promise<{ id: string; cookie: string }> {
    const { id } = await createPerson(o, body);
    const code = await issueCode(o, id);
    const redeem = await o.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: body.username, password: PASSWORD },
    });
    expect(redeem.statusCode, redeem.body).toBe(200);
    return { id, cookie: sessionCookieOf(redeem.headers['set-cookie'])! };
  }

  describe('errors and credentials', () => {
    let o: Opened;
    let member: { id: string; cookie: string };
    beforeAll(async () => {
      o = await open({ KEYSLIP_RATE_CODE_FAILURES: '3', KEYSLIP_RATE_WINDOW_MINUTES: '15' });
      member = await claimed(o, { name: 'Mia Member', username: 'mia' });
    });

    it('400 for an invalid body, with the fields named', async () => {
      const response = await o.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: o.admin,
        payload: { name: 'No Identity' },
      });
      expectError(response, 400, 'validation_failed');
      expect(response.json().error.fields).toEqual([expect.objectContaining({ field: 'username' })]);
      expectError(
        await o.app.inject({
          method: 'POST',
          url: '/api/v1/people',
          headers: o.admin,
          payload: { name: 'X', username: 'ok.name', extra: 1 },
        }),
        400,
        'validation_failed',
      );
      expectError(
        await o.app.inject({
          method: 'POST',
          url: '/api/v1/people',
          headers: { ...o.admin, 'content-type': 'application/json' },
          payload: '{"name": ',
        }),
        400,
        'bad_request',
      );
    });

    it('401 without credentials, 401 with a bad token', async () => {
      expectError(await o.app.inject({ method: 'GET', url: '/api/v1/people' }), 401, 'unauthenticated');
      expectError(
        await o.app.inject({
          method: 'GET',
          url: '/api/v1/people',
          headers: { authorization: 'Bearer ks_not-a-real-token' },
        }),
        401,
        'unauthenticated',
      );
      expectError(
        await o.app.inject({
          method: 'GET',
          url: '/api/v1/people',
          headers: { authorization: 'Bearer something-else' },
        }),
        401,
        'unauthenticated',
      );
      expectError(
        await o.app.inject({
          method: 'GET',
          url: '/api/v1/people',
          headers: { cookie: 'keyslip_session=forged-session-value-0123456789' },
        }),
        401,
        'unauthenticated',
      );
      expectError(await o.app.inject({ method: 'GET', url: '/api/v1/me' }), 401, 'unauthenticated');
    });

    it('403 for a member’s session on admin routes', async () => {
      const headers = { cookie: member.cookie };
      expectError(await o.app.inject({ method: 'GET', url: '/api/v1/people', headers }), 403, 'forbidden');
      expectError(await o.app.inject({ method: 'GET', url: '/api/v1/audit', headers }), 403, 'forbidden');
      expectError(
        await o.app.inject({ method: 'POST', url: `/api/v1/people/${member.id}/access-code`, headers }),
        403,
        'forbidden',
      );
      expectError(await o.app.inject({ method: 'POST', url: '/api/v1/access-codes/bulk', headers }), 403, 'forbidden');
      // …while the same session is signed in.
      expect((await o.app.inject({ method: 'GET', url: '/api/v1/me', headers })).statusCode).toBe(200);
    });

    it('404 for an unknown person, a missing code and an unknown route', async () => {
      const unknown = '01900000-0000-7000-8000-000000000000';
      expectError(
        await o.app.inject({ method: 'GET', url: `/api/v1/people/${unknown}`, headers: o.admin }),
        404,
        'not_found',
      );
      expectError(
        await o.app.inject({ method: 'POST', url: `/api/v1/people/${unknown}/access-code`, headers: o.admin }),
        404,
        'not_found',
      );
      expectError(
        await o.app.inject({ method: 'GET', url: `/api/v1/people/${unknown}/access-code`, headers: o.admin }),
        404,
        'not_found',
      );
      const { id } = await createPerson(o, { name: 'No Code', employeeId: 'NC-1' });
      expectError(
        await o.app.inject({ method: 'DELETE', url: `/api/v1/people/${id}/access-code`, headers: o.admin }),
        404,
        'no_access_code',
      );
      expectError(
        await o.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: o.admin }),
        404,
        'not_found',
      );
    });

    it('409 for a username, email or employee id already in use, and for a deactivated person', async () => {
      await createPerson(o, { name: 'First', username: 'first', email: 'first@example.com', employeeId: 'F-1' });
      expectError(
        await o.app.inject({
          method: 'POST',
          url: '/api/v1/people',
          headers: o.admin,
          payload: { name: 'Again', username: 'FIRST' },
        }),
        409,
        'username_taken',
      );
      expectError(
        await o.app.inject({
          method: 'POST',
          url: '/api/v1/people',
          headers: o.admin,
          payload: { name: 'Again', email: 'First@Example.com' },
        }),
        409,
        'email_taken',
      );
      expectError(
        await o.app.inject({
          method: 'POST',
          url: '/api/v1/people',
          headers: o.admin,
          payload: { name: 'Again', employeeId: 'F-1' },
        }),
        409,
        'employee_id_taken',
      );
      const { id } = await createPerson(o, { name: 'Leaver', employeeId: 'L-1' });
      expect(
        (await o.app.inject({ method: 'POST', url: `/api/v1/people/${id}/deactivate`, headers: o.admin })).json()
          .status,
      ).toBe('deactivated');
      expectError(
        await o.app.inject({ method: 'POST', url: `/api/v1/people/${id}/access-code`, headers: o.admin }),
        409,
        'person_deactivated',
      );
    });

    it('413 for a 2 MB JSON body', async () => {
      const payload = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), username: 'big' });
      const response = await o.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: { ...o.admin, 'content-type': 'application/json' },
        payload,
      });
      expectError(response, 413, 'payload_too_large');
    });

    it('415 for an import that is not CSV', async () => {
      expectError(
        await o.app.inject({ method: 'POST', url: '/api/v1/people/import', headers: o.admin, payload: { name: 'x' } }),
        415,
        'unsupported_media_type',
      );
    });

    it(
      '429 with Retry-After after too many wrong codes; ' + 'even a right code waits; the next window is free',
      async () => {
        const { id } = await createPerson(o, { name: 'Rate Limited', username: 'ratelimited' });
        const code = await issueCode(o, id);
        const headers = { 'x-forwarded-for': '203.0.113.9' }; // not trusted: the socket address counts
        for (let i = 0; i < 3; i += 1) {
          expectError(
            await o.app.inject({
              method: 'POST',
              url: '/api/v1/access-code/check',
              headers,
              payload: { code: 'BBBB-BBBB-BBBB-BBBB' },
            }),
            400,
            'code_unusable',
          );
        }
        const limited = await o.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } });
        expectError(limited, 429, 'rate_limited');
        const retryAfter = Number(limited.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(15 * 60);
        expectError(
          await o.app.inject({
            method: 'POST',
            url: '/api/v1/access-code/redeem',
            payload: { code, username: 'ratelimited', password: PASSWORD },
          }),
          429,
          'rate_limited',
        );
        o.context.clock.advance(retryAfter * 1000);
        const check = await o.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } });
        expect(check.statusCode, check.body).toBe(200);
        expect(check.json()).toEqual({ username: 'ratelimited', claim: true });
      },
    );

    it('a wrong, used or deactivated code gets one and the same answer', async () => {
      o.context.clock.advance(HOUR); // a fresh rate-limit window
      const { id } = await createPerson(o, { name: 'Same Answer', username: 'sameanswer' });
      const deactivated = await issueCode(o, id);
      expect(
        (await o.app.inject({ method: 'DELETE', url: `/api/v1/people/${id}/access-code`, headers: o.admin }))
          .statusCode,
      ).toBe(204);
      const wrong = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        payload: { code: 'BBBB-CCCC-DDDD-FFFF' },
      });
      const gone = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        payload: { code: deactivated },
      });
      expectError(wrong, 400, 'code_unusable');
      expect(gone.statusCode).toBe(wrong.statusCode);
      expect(gone.body).toBe(wrong.body);
      expect(wrong.json().error.message).toBe("This code can't be used. Ask your admin for a new one.");
    });

    it('a cookie-authenticated write from another site is refused', async () => {
      const response = await o.app.inject({
        method: 'DELETE',
        url: '/api/v1/sessions/current',
        headers: { cookie: member.cookie, origin: 'https://evil.example' },
      });
      expectError(response, 403, 'csrf_failed');
      expect(
        (await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: member.cookie } })).statusCode,
      ).toBe(200);
    });
  });

  describe('cookies and caching', () => {
    it('the session cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure on http', async () => {
      const o = await open();
      const { id } = await createPerson(o, {
        name: 'Cookie Plain',
        username: 'cookieplain',
        email: 'plain@example.com',
      });
      const code = await issueCode(o, id);
      const redeem = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code, username: 'cookieplain', password: PASSWORD },
      });
      const signIn = await o.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        payload: { username: 'cookieplain', password: PASSWORD },
      });
      expect(signIn.statusCode).toBe(201);
      for (const response of [redeem, signIn]) {
        const attributes = sessionCookieAttributes(response.headers['set-cookie']);
        expect(attributes.has('httponly')).toBe(true);
        expect(attributes.get('samesite')).toBe('Lax');
        expect(attributes.get('path')).toBe('/');
        expect(attributes.has('secure')).toBe(false);
        expect(Number(attributes.get('max-age'))).toBe(168 * 3600);
      }
    });

    it('the session cookie is Secure when KEYSLIP_BASE_URL is https', async () => {
      const o = await open({ KEYSLIP_BASE_URL: 'https://keyslip.example' });
      const { id } = await createPerson(o, { name: 'Cookie Secure', username: 'cookiesecure' });
      const code = await issueCode(o, id);
      const redeem = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code, username: 'cookiesecure', password: PASSWORD },
      });
      const signIn = await o.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        payload: { username: 'cookiesecure', password: PASSWORD },
      });
      for (const response of [redeem, signIn]) {
        const attributes = sessionCookieAttributes(response.headers['set-cookie']);
        expect(attributes.has('secure')).toBe(true);
        expect(attributes.has('httponly')).toBe(true);
        expect(attributes.get('samesite')).toBe('Lax');
        expect(attributes.get('path')).toBe('/');
      }
    });

    it('responses that carry a code say Cache-Control: no-store; reading a code’s state never returns it', async () => {
      const o = await open();
      const { id } = await createPerson(o, { name: 'No Store', username: 'nostore' });
      const issue = await o.app.inject({
        method: 'POST',
        url: `/api/v1/people/${id}/access-code`,
        headers: o.admin,
        payload: { lifetimeHours: 24 },
      });
      expect(issue.statusCode).toBe(201);
      expect(issue.headers['cache-control']).toBe('no-store');
      const { code, expiresAt, person } = issue.json();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}(-[BCDFGHJKLMNPQRSTVWXZ]{4}){3}$/);
      expect(expiresAt).toBe(new Date(o.context.clock.now() + 24 * HOUR).toISOString());
      expect(person).toEqual({ id, username: 'nostore' });

      const state = await o.app.inject({ method: 'GET', url: `/api/v1/people/${id}/access-code`, headers: o.admin });
      expect(state.statusCode).toBe(200);
      expect(Object.keys(state.json()).sort()).toEqual([
        'createdAt',
        'deactivatedAt',
        'expiresAt',
        'kind',
        'state',
        'usedAt',
      ]);
      expect(state.json()).toMatchObject({ state: 'active', kind: 'claim', expiresAt });
      for (const spelling of spellingsOf(code)) expect(state.body.toLowerCase()).not.toContain(spelling.toLowerCase());
      const personBody = (await o.app.inject({ method: 'GET', url: `/api/v1/people/${id}`, headers: o.admin })).body;
      for (const spelling of spellingsOf(code)) expect(personBody.toLowerCase()).not.toContain(spelling.toLowerCase());

      const bulk = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: o.admin,
        payload: { filter: { q: 'no store' } },
      });
      expect(bulk.statusCode).toBe(201);
      expect(bulk.headers['cache-control']).toBe('no-store');

      const bulkCode = bulk.json().items[0].code as string;
      const redeem = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code: bulkCode, username: 'nostore', password: PASSWORD },
      });
      expect(redeem.statusCode).toBe(200);
      expect(redeem.headers['cache-control']).toBe('no-store');
    });

    it('a lifetime over 90 days is refused with 400, a shorter one is kept', async () => {
      const o = await open();
      const { id } = await createPerson(o, { name: 'Lifetime', username: 'lifetime' });
      expectError(
        await o.app.inject({
          method: 'POST',
          url: `/api/v1/people/${id}/access-code`,
          headers: o.admin,
          payload: { lifetimeHours: 90 * 24 + 1 },
        }),
        400,
        'validation_failed',
      );
      expectError(
        await o.app.inject({
          method: 'POST',
          url: `/api/v1/people/${id}/access-code`,
          headers: o.admin,
          payload: { lifetimeHours: 0 },
        }),
        400,
        'validation_failed',
      );
      const ok = await o.app.inject({
        method: 'POST',
        url: `/api/v1/people/${id}/access-code`,
        headers: o.admin,
        payload: { lifetimeHours: 90 * 24 },
      });
      expect(ok.json().expiresAt).toBe(new Date(o.context.clock.now() + 90 * DAY).toISOString());
    });

    it('DELETE deactivates the code (204); a second DELETE is 404', async () => {
      const o = await open();
      const { id } = await createPerson(o, { name: 'Deactivate Me', username: 'deactivateme' });
      const code = await issueCode(o, id);
      expect(
        (await o.app.inject({ method: 'DELETE', url: `/api/v1/people/${id}/access-code`, headers: o.admin }))
          .statusCode,
      ).toBe(204);
      expect(
        (await o.app.inject({ method: 'GET', url: `/api/v1/people/${id}/access-code`, headers: o.admin })).json().state,
      ).toBe('deactivated');
      expectError(
        await o.app.inject({ method: 'DELETE', url: `/api/v1/people/${id}/access-code`, headers: o.admin }),
        404,
        'no_access_code',
      );
      expectError(
        await o.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } }),
        400,
        'code_unusable',
      );
    });
  });

  describe('people search', () => {
    let o: Opened;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      o = await open();
      const people: [string, Record<string, unknown>][] = [
        [
          'sam',
          {
            name: 'Sam Berg',
            username: 'sam.berg',
            email: 'sam@example.com',
            department: 'Warehouse',
            location: 'Malmö',
          },
        ],
        ['asa', { name: 'Åsa Öberg', employeeId: 'E-200', department: 'Care', location: 'Lund' }],
        [
          'lisa',
          { name: 'Lisa Svensson', username: 'lisa', email: 'lisa@example.com', department: 'Care', location: 'Malmö' },
        ],
        ['li', { name: '李小龍', employeeId: 'E-300', department: 'Warehouse', location: 'Lund' }],
        ['mohammed', { name: 'محمد علي', employeeId: 'E-400', department: 'Warehouse', location: 'Malmö' }],
        ['johanna', { name: 'Johanna Sandberg', employeeId: 'E-500' }],
        ['zed', { name: 'Zed Null', employeeId: 'E-600' }],
      ];
      for (const [key, body] of people) ids[key] = (await createPerson(o, body)).id;
      // Sam claims (active, code used); Åsa gets a code (active); Johanna a one-hour code (expires
      // below); Zed gets a code and is deactivated (code deactivated).
      const samCode = await issueCode(o, ids.sam!);
      expect(
        (
          await o.app.inject({
            method: 'POST',
            url: '/api/v1/access-code/redeem',
            payload: { code: samCode, username: 'sam.berg', password: PASSWORD },
          })
        ).statusCode,
      ).toBe(200);
      await issueCode(o, ids.asa!);
      await issueCode(o, ids.johanna!, { lifetimeHours: 1 });
      await issueCode(o, ids.zed!);
      await o.app.inject({ method: 'POST', url: `/api/v1/people/${ids.zed}/deactivate`, headers: o.admin });
    });

    async function search(query: string): Promise<string[]> {
      const response = await o.app.inject({ method: 'GET', url: `/api/v1/people?${query}`, headers: o.admin });
      expect(response.statusCode, response.body).toBe(200);
      const byId = new Map(Object.entries(ids).map(([key, id]) => [id, key]));
      return (response.json().items as { id: string }[]).map((p) => byId.get(p.id)!).sort();
    }
    const q = (text: string): string => `q=${encodeURIComponent(text)}`;

    it('finds name fragments in any script, case- and normalisation-insensitively', async () => {
      // One or two letters find the start of a word (Sam, Sandberg); three or more, any part.
      expect(await search(q('sa'))).toEqual(['johanna', 'sam']);
      expect(await search(q('isa'))).toEqual(['lisa']);
      expect(await search(q('åsa'))).toEqual(['asa']);
      expect(await search(q('ÅSA'))).toEqual(['asa']);
      expect(await search(q('A\u030asa'))).toEqual(['asa']); // Å typed as A + combining ring
      expect(await search(q('李'))).toEqual(['li']);
      expect(await search(q('李小'))).toEqual(['li']);
      expect(await search(q('小龍'))).toEqual([]); // not the start of a word: 李小龍 is one word
      expect(await search(q('محمد'))).toEqual(['mohammed']);
      expect(await search(q('berg'))).toEqual(['asa', 'johanna', 'sam']);
      expect(await search(q('ann'))).toEqual(['johanna']);
      expect(await search(q('E-40'))).toEqual(['mohammed']);
      expect(await search(q('lisa@example'))).toEqual(['lisa']);
      expect(await search(q('nobody at all'))).toEqual([]);
      expect(await search(q('100%'))).toEqual([]);
      expect(await search(q('%'))).toEqual([]);
      expect(await search(q('_'))).toEqual([]);
    });

    it('filters by email, status, code state, department and location', async () => {
      expect(await search('hasEmail=true')).toEqual(['lisa', 'sam']);
      expect(await search('hasEmail=false')).toEqual(['asa', 'johanna', 'li', 'mohammed', 'zed']);
      expect(await search('status=active')).toEqual(['sam']);
      expect(await search('status=deactivated')).toEqual(['zed']);
      expect(await search('status=unclaimed')).toEqual(['asa', 'johanna', 'li', 'lisa', 'mohammed']);
      expect(await search('codeState=used')).toEqual(['sam']);
      expect(await search('codeState=active')).toEqual(['asa', 'johanna']);
      expect(await search('codeState=deactivated')).toEqual(['zed']);
      expect(await search('codeState=none')).toEqual(['li', 'lisa', 'mohammed']);
      expect(await search('department=Care')).toEqual(['asa', 'lisa']);
      expect(await search(`location=${encodeURIComponent('Malmö')}`)).toEqual(['lisa', 'mohammed', 'sam']);
      expect(await search(`department=Warehouse&location=Lund`)).toEqual(['li']);
      expect(await search(`${q('sa')}&hasEmail=false`)).toEqual(['johanna']);
      expectError(
        await o.app.inject({ method: 'GET', url: '/api/v1/people?status=sleeping', headers: o.admin }),
        400,
        'validation_failed',
      );
    });

    it('a code past its expiry shows as expired and is filtered as such', async () => {
      o.context.clock.advance(HOUR);
      expect(await search('codeState=expired')).toEqual(['johanna']);
      expect(await search('codeState=active')).toEqual(['asa']);
      const johanna = (
        await o.app.inject({ method: 'GET', url: `/api/v1/people/${ids.johanna}`, headers: o.admin })
      ).json();
      expect(johanna.codeState).toBe('expired');
      expect(johanna.codeExpiresAt).toBeNull();
    });
  });

  describe('paging through people', () => {
    let o: Opened;
    beforeAll(async () => {
      o = await open();
      // 120 people, many sharing a name, so the keyset must break ties by id.
      const rows = Array.from({ length: 120 }, (_, i) => `Worker ${String.fromCharCode(65 + (i % 7))},P-${i}`);
      const response = await o.app.inject({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: { ...o.admin, 'content-type': 'text/csv' },
        payload: `name,employeeId\n${rows.join('\n')}\n`,
      });
      expect(response.json()).toEqual({ created: 120, updated: 0, unchanged: 0, errors: [] });
    });

    it('walks all pages of 120 people with limit 50: no duplicates, none missing, in order', async () => {
      const seen: { id: string; name: string }[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/people?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await o.app.inject({ method: 'GET', url, headers: o.admin });
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json() as { items: { id: string; name: string }[]; nextCursor: string | null };
        sizes.push(page.items.length);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(sizes).toEqual([50, 50, 20]);
      expect(new Set(seen.map((p) => p.id)).size).toBe(120);
      const all = await o.context.deps.db.selectFrom('people').select('id').execute();
      expect(new Set(seen.map((p) => p.id))).toEqual(new Set(all.map((p) => p.id)));
      // Newest first: by insertion on SQLite (rowid), by the time-ordered id on PostgreSQL.
      const newest =
        dialect === 'sqlite'
          ? sql<{ id: string }>`select id from people order by rowid desc`
          : sql<{ id: string }>`select id from people order by id desc`;
      expect(seen.map((p) => p.id)).toEqual((await newest.execute(o.context.deps.db)).rows.map((r) => r.id));
    });

    it('count=true adds the total; a filter narrows it', async () => {
      const all = await o.app.inject({ method: 'GET', url: '/api/v1/people?limit=5&count=true', headers: o.admin });
      expect(all.json().items).toHaveLength(5);
      expect(all.json().total).toEqual({ count: 120, capped: false });
      const some = await o.app.inject({
        method: 'GET',
        url: `/api/v1/people?q=${encodeURIComponent('worker a')}&count=true`,
        headers: o.admin,
      });
      expect(some.json().total).toEqual({ count: 18, capped: false });
      expect(
        (await o.app.inject({ method: 'GET', url: '/api/v1/people?limit=5', headers: o.admin })).json().total,
      ).toBeUndefined();
    });

    it('a malformed cursor is a 400', async () => {
      expectError(
        await o.app.inject({ method: 'GET', url: '/api/v1/people?cursor=not-a-cursor', headers: o.admin }),
        400,
        'validation_failed',
      );
    });
  });

  describe('CSV import', () => {
    let o: Opened;
    beforeAll(async () => {
      o = await open();
    });
    const importCsv = async (csv: string): Promise<LightMyRequestResponse> =>
      o.app.inject({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: { ...o.admin, 'content-type': 'text/csv' },
        payload: csv,
      });

    it('keeps valid rows and reports bad ones by line number', async () => {
      const csv = [
        'name,username,email,employeeId,department',
        'Ann Alpha,ann,ann@example.com,A1,Sales',
        ',nobody,,A2,',
        'Bob Beta,bo,,A3,',
        'Cid Gamma,,not-an-email,A4,',
        'Dee Delta,,,A5,Care',
        'Eve Epsilon,eve,,A6,',
        'No Identity,,,,Care',
      ].join('\n');
      const response = await importCsv(`${csv}\n`);
      expect(response.statusCode, response.body).toBe(200);
      const report = response.json();
      expect(report.created).toBe(3);
      expect(report.updated).toBe(0);
      expect(report.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 8]);
      for (const error of report.errors) expect(error.message.length).toBeGreaterThan(0);
      const ann = await o.context.deps.db
        .selectFrom('people')
        .selectAll()
        .where('username', '=', 'ann')
        .executeTakeFirstOrThrow();
      expect(ann).toMatchObject({
        name: 'Ann Alpha',
        email: 'ann@example.com',
        employee_id: 'A1',
        department: 'Sales',
        status: 'unclaimed',
      });
    });

    it('re-import updates by username or by employee id', async () => {
      o.context.clock.advance(MINUTE);
      const response = await importCsv(
        'name,username,employeeId,department\nAnn Renamed,ann,,Marketing\nDee Moved,,A5,Warehouse\nNew Person,,A9,\n',
      );
      expect(response.json()).toEqual({ created: 1, updated: 2, unchanged: 0, errors: [] });
      const db = o.context.deps.db;
      expect(
        await db
          .selectFrom('people')
          .select(['name', 'department', 'email'])
          .where('username', '=', 'ann')
          .executeTakeFirstOrThrow(),
      ).toEqual({
        name: 'Ann Renamed',
        department: 'Marketing',
        email: 'ann@example.com',
      });
      expect(
        await db
          .selectFrom('people')
          .select(['name', 'department'])
          .where('employee_id', '=', 'A5')
          .executeTakeFirstOrThrow(),
      ).toEqual({ name: 'Dee Moved', department: 'Warehouse' });
      const found = await o.app.inject({ method: 'GET', url: '/api/v1/people?q=renamed', headers: o.admin });
      expect(found.json().items.map((p: { username: string }) => p.username)).toEqual(['ann']);
    });

    it('reports duplicates within one file instead of merging them', async () => {
      const response = await importCsv(
        'name,username,employeeId\nGus One,gus,G1\nGus Two,gus,G2\nHal One,,H1\nHal Two,,H1\n',
      );
      const report = response.json();
      expect(report.created).toBe(2);
      expect(report.updated).toBe(0);
      expect(report.errors.map((e: { line: number }) => e.line)).toEqual([3, 5]);
      expect(report.errors[0].message).toMatch(/line 2/);
      const db = o.context.deps.db;
      expect(
        (await db.selectFrom('people').select('name').where('username', '=', 'gus').executeTakeFirstOrThrow()).name,
      ).toBe('Gus One');
      expect(
        (await db.selectFrom('people').select('name').where('employee_id', '=', 'H1').executeTakeFirstOrThrow()).name,
      ).toBe('Hal One');
    });

    it('a row that would take another person’s email is reported, not merged', async () => {
      const response = await importCsv('name,username,email\nAnn Alpha,ann,ann@example.com\nIvy,ivy,ann@example.com\n');
      const report = response.json();
      expect(report.updated).toBe(1);
      expect(report.created).toBe(0);
      expect(report.errors.map((e: { line: number }) => e.line)).toEqual([3]);
    });

    it('a file without a usable header is refused as a whole', async () => {
      expectError(await importCsv('username,email\nann,ann@example.com\n'), 400, 'invalid_csv');
      expectError(await importCsv(''), 400, 'invalid_csv');
    });

    it('the import is audited with its counts', async () => {
      const audit = await o.app.inject({
        method: 'GET',
        url: '/api/v1/audit?action=people.imported',
        headers: o.admin,
      });
      const items = audit.json().items as { details: { created: number; updated: number; errors: number } }[];
      expect(items.length).toBeGreaterThanOrEqual(4);
      expect(items.at(-1)!.details).toEqual({ created: 3, updated: 0, unchanged: 0, errors: 4 });
    });
  });

  describe('bulk issue', () => {
    let o: Opened;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      o = await open();
      ids.formula = (await createPerson(o, { name: '=HYPERLINK("x")', employeeId: 'B-1', department: 'Night' })).id;
      ids.plain = (await createPerson(o, { name: 'Plain Worker', username: 'plain', department: 'Night' })).id;
      ids.comma = (await createPerson(o, { name: 'Comma, Person', employeeId: 'B-3', department: 'Day' })).id;
      ids.email = (await createPerson(o, { name: 'Has Email', email: 'has@example.com', department: 'Night' })).id;
      ids.gone = (await createPerson(o, { name: 'Gone Worker', employeeId: 'B-5', department: 'Night' })).id;
      await o.app.inject({ method: 'POST', url: `/api/v1/people/${ids.gone}/deactivate`, headers: o.admin });
    });

    it('a filter is required (never "everyone"); hasEmail=false covers the active people without email', async () => {
      for (const payload of [undefined, {}, { filter: {} }, { filter: { q: ' ' } }]) {
        const refused = await o.app.inject({
          method: 'POST',
          url: '/api/v1/access-codes/bulk',
          headers: o.admin,
          ...(payload ? { payload } : {}),
        });
        expectError(refused, 400, 'validation_failed');
        expect(refused.json().error.fields[0].field).toBe('filter');
      }
      // Nothing was issued: no batch, and nobody's code was replaced.
      expect(await o.context.deps.db.selectFrom('batches').select('id').execute()).toEqual([]);
      const response = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: o.admin,
        payload: { filter: { hasEmail: false } },
      });
      expect(response.statusCode, response.body).toBe(201);
      const body = response.json();
      expect(body.batch.filter).toEqual({ hasEmail: false });
      expect(body.batch.count).toBe(3);
      const items = body.items as {
        id: string;
        name: string;
        username: string | null;
        code: string;
        expiresAt: string;
      }[];
      expect(items.map((i) => i.id).sort()).toEqual([ids.formula, ids.plain, ids.comma].sort());
      for (const item of items) {
        expect(item.code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}(-[BCDFGHJKLMNPQRSTVWXZ]{4}){3}$/);
        expect(item.expiresAt).toBe(new Date(o.context.clock.now() + 90 * DAY).toISOString());
      }
      expect(items.find((i) => i.id === ids.plain)).toMatchObject({ name: 'Plain Worker', username: 'plain' });
      for (const item of items) {
        const check = await o.app.inject({
          method: 'POST',
          url: '/api/v1/access-code/check',
          payload: { code: item.code },
        });
        expect(check.statusCode).toBe(200);
      }
    });

    it('CSV output has the documented header and is safe to open in a spreadsheet', async () => {
      const response = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: { ...o.admin, accept: 'text/csv' },
        payload: { filter: { department: 'Night' } },
      });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="keyslip-codes-.*\.csv"$/);
      const lines = response.body.split('\r\n');
      expect(lines[0]).toBe('name,username,code,expiresAt');
      expect(lines.at(-1)).toBe('');
      const rows = lines.slice(1, -1);
      expect(rows).toHaveLength(3); // formula, plain, email (not Gone: deactivated)
      const formulaRow = rows.find((r) => r.includes('HYPERLINK'))!;
      expect(formulaRow).toMatch(
        /^"'=HYPERLINK\(""x""\)",,[BCDFGHJKLMNPQRSTVWXZ]{4}(-[BCDFGHJKLMNPQRSTVWXZ]{4}){3},\d{4}-\d\d-\d\dT[\d:.]+Z$/,
      );
      expect(rows.find((r) => r.startsWith('Plain Worker,plain,'))).toBeDefined();
      expect(rows.find((r) => r.startsWith('Has Email,,'))).toBeDefined();
      const comma = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: { ...o.admin, accept: 'text/csv' },
        payload: { filter: { department: 'Day' } },
      });
      expect(comma.body.split('\r\n')[1]).toMatch(/^"Comma, Person",,/);
    });

    it(
      'an Idempotency-Key replay returns the same codes and ' + 'does not void them; another body with the key is 409',
      async () => {
        const headers = { ...o.admin, 'idempotency-key': 'print-run-7' };
        const payload = { filter: { department: 'Night', hasEmail: false } };
        const first = await o.app.inject({ method: 'POST', url: '/api/v1/access-codes/bulk', headers, payload });
        expect(first.statusCode).toBe(201);
        const replay = await o.app.inject({ method: 'POST', url: '/api/v1/access-codes/bulk', headers, payload });
        expect(replay.statusCode).toBe(200);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.json().batch.id).toBe(first.json().batch.id);
        const codesOf = (r: LightMyRequestResponse): string[] =>
          (r.json().items as { code: string }[]).map((i) => i.code).sort();
        expect(codesOf(replay)).toEqual(codesOf(first));
        expect(codesOf(first)).toHaveLength(2);
        for (const code of codesOf(first)) {
          expect(
            (await o.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } })).statusCode,
          ).toBe(200);
        }
        const other = await o.app.inject({
          method: 'POST',
          url: '/api/v1/access-codes/bulk',
          headers,
          payload: { filter: { department: 'Day' } },
        });
        expectError(other, 422, 'idempotency_conflict');
        // The conflict issued nothing: the first batch's codes still work.
        for (const code of codesOf(first)) {
          expect(
            (await o.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } })).statusCode,
          ).toBe(200);
        }
      },
    );

    it('a batch can be fetched again until its download window closes', async () => {
      const first = await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: o.admin,
        payload: { filter: { department: 'Day' } },
      });
      const batchId = first.json().batch.id as string;
      const again = await o.app.inject({ method: 'GET', url: `/api/v1/batches/${batchId}/codes`, headers: o.admin });
      expect(again.statusCode).toBe(200);
      expect(again.json().items.map((i: { code: string }) => i.code)).toEqual(
        first.json().items.map((i: { code: string }) => i.code),
      );
      o.context.clock.advance(15 * MINUTE);
      expectError(
        await o.app.inject({ method: 'GET', url: `/api/v1/batches/${batchId}/codes`, headers: o.admin }),
        410,
        'batch_expired',
      );
      expect(
        (await o.app.inject({ method: 'GET', url: `/api/v1/batches/${batchId}`, headers: o.admin })).json(),
      ).toMatchObject({ id: batchId, count: 1, downloadable: false });
    });
  });

  describe('operations and the API document', () => {
    it('/api/openapi.json lists the SPEC §6 paths', async () => {
      const o = await open();
      const response = await o.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(response.statusCode).toBe(200);
      const paths = response.json().paths as Record<string, Record<string, unknown>>;
      const expected: [string, string[]][] = [
        ['/api/v1/people', ['post', 'get']],
        ['/api/v1/people/{id}', ['get', 'patch']],
        ['/api/v1/people/{id}/deactivate', ['post']],
        ['/api/v1/people/import', ['post']],
        ['/api/v1/people/{id}/access-code', ['post', 'get', 'delete']],
        ['/api/v1/access-codes/bulk', ['post']],
        ['/api/v1/access-code/check', ['post']],
        ['/api/v1/access-code/redeem', ['post']],
        ['/api/v1/sessions', ['post']],
        ['/api/v1/sessions/current', ['delete']],
        ['/api/v1/audit', ['get']],
        ['/healthz', ['get']],
        ['/metrics', ['get']],
      ];
      for (const [path, methods] of expected) {
        expect(paths[path], path).toBeDefined();
        for (const method of methods) expect(paths[path]![method], `${method} ${path}`).toBeDefined();
      }
    });

    it('/healthz answers ok and /metrics speaks Prometheus (with the metrics token)', async () => {
      const o = await open({ KEYSLIP_METRICS_TOKEN: METRICS_TOKEN });
      const health = await o.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok', database: 'ok' });
      await o.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        payload: { code: 'BBBB-BBBB-BBBB-BBBB' },
      });
      const metrics = await o.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.body).toMatch(/^keyslip_up 1$/m);
      expect(metrics.body).toMatch(/^# TYPE keyslip_access_code_failures_total counter$/m);
      expect(metrics.body).toMatch(/^keyslip_access_code_failures_total [1-9]\d*$/m);
    });
  });

  describe('sign-in and sessions', () => {
    let o: Opened;
    let worker: { id: string; cookie: string };
    beforeAll(async () => {
      o = await open();
      worker = await claimed(o, { name: 'Sign In', username: 'signin', email: 'Sign.In@Example.com' });
    });

    const signIn = (username: string, password = PASSWORD) =>
      o.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { username, password } });

    it('signs in with the username or the email address, in any case', async () => {
      for (const login of ['signin', 'SignIn', 'sign.in@example.com', 'SIGN.IN@EXAMPLE.COM']) {
        const response = await signIn(login);
        expect(response.statusCode, login).toBe(201);
        expect(response.json().person.username).toBe('signin');
        expect(response.headers['cache-control']).toBe('no-store');
        expect(sessionCookieOf(response.headers['set-cookie'])).not.toBeNull();
      }
    });

    it('a wrong password or unknown login gets the same 401', async () => {
      const wrong = await signIn('signin', 'not the password at all');
      const unknown = await signIn('nobody.here', PASSWORD);
      expectError(wrong, 401, 'sign_in_failed');
      expect(unknown.body).toBe(wrong.body);
    });

    it('/api/v1/me answers for a session and for a token', async () => {
      const session = await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: worker.cookie } });
      expect(session.statusCode).toBe(200);
      const me = session.json();
      expect(me.kind).toBe('person');
      expect(me.person).toMatchObject({
        id: worker.id,
        username: 'signin',
        email: 'sign.in@example.com',
        status: 'active',
        role: 'member',
      });
      expect(me.token).toBeNull();
      expect(me.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
      const token = await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: o.admin });
      expect(token.statusCode).toBe(200);
      expect(token.json()).toEqual({
        kind: 'token',
        person: null,
        token: { id: expect.any(String), name: 'test' },
        sessions: [],
      });
    });

    it('signing out ends this session only and clears the cookie', async () => {
      const a = sessionCookieOf((await signIn('signin')).headers['set-cookie'])!;
      const b = sessionCookieOf((await signIn('signin')).headers['set-cookie'])!;
      const out = await o.app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: { cookie: a } });
      expect(out.statusCode).toBe(204);
      const cleared = ([] as string[])
        .concat(out.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith('keyslip_session='));
      expect(cleared).toMatch(/^keyslip_session=;/);
      expectError(
        await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: a } }),
        401,
        'unauthenticated',
      );
      expect((await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: b } })).statusCode).toBe(200);
      expectError(await o.app.inject({ method: 'DELETE', url: '/api/v1/sessions/current' }), 401, 'unauthenticated');
    });

    it('signing out everywhere ends every session of the person', async () => {
      const a = sessionCookieOf((await signIn('signin')).headers['set-cookie'])!;
      const b = sessionCookieOf((await signIn('signin')).headers['set-cookie'])!;
      const out = await o.app.inject({ method: 'DELETE', url: '/api/v1/sessions', headers: { cookie: a } });
      expect(out.statusCode).toBe(200);
      expect(out.json().ended).toBeGreaterThanOrEqual(2);
      for (const cookie of [a, b, worker.cookie])
        expectError(
          await o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } }),
          401,
          'unauthenticated',
        );
      const left = await o.context.deps.db
        .selectFrom('sessions')
        .select('id_hash')
        .where('person_id', '=', worker.id)
        .execute();
      expect(left).toEqual([]);
    });
  });

  describe('session timeouts', () => {
    it('a session ends after KEYSLIP_SESSION_IDLE_MINUTES without use; use keeps it alive', async () => {
      const o = await open({ KEYSLIP_SESSION_IDLE_MINUTES: '30' });
      const { cookie } = await claimed(o, { name: 'Idle Worker', username: 'idle' });
      const me = () => o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
      o.context.clock.advance(29 * MINUTE);
      expect((await me()).statusCode).toBe(200);
      o.context.clock.advance(29 * MINUTE);
      expect((await me()).statusCode).toBe(200); // 58 minutes after sign-in, 29 after last use
      o.context.clock.advance(30 * MINUTE);
      expectError(await me(), 401, 'unauthenticated');
    });

    it('a session ends at KEYSLIP_SESSION_ABSOLUTE_HOURS however busy it is', async () => {
      const o = await open({ KEYSLIP_SESSION_IDLE_MINUTES: '30', KEYSLIP_SESSION_ABSOLUTE_HOURS: '1' });
      const { cookie } = await claimed(o, { name: 'Busy Worker', username: 'busy' });
      const me = () => o.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
      for (let i = 0; i < 2; i += 1) {
        o.context.clock.advance(20 * MINUTE);
        expect((await me()).statusCode).toBe(200);
      }
      o.context.clock.advance(20 * MINUTE - 1);
      expect((await me()).statusCode).toBe(200);
      o.context.clock.advance(1);
      expectError(await me(), 401, 'unauthenticated');
    });
  });

  describe('audit log', () => {
    it('filters by person, actor, action and time, and pages newest first', async () => {
      const o = await open();
      const start = o.context.clock.now();
      const { id: a } = await createPerson(o, { name: 'Audit A', username: 'audit.a' });
      const { id: b } = await createPerson(o, { name: 'Audit B', username: 'audit.b' });
      for (let i = 0; i < 5; i += 1) {
        o.context.clock.advance(MINUTE);
        await issueCode(o, a);
      }
      o.context.clock.advance(MINUTE);
      await issueCode(o, b);
      const get = async (query: string) => {
        const response = await o.app.inject({ method: 'GET', url: `/api/v1/audit?${query}`, headers: o.admin });
        expect(response.statusCode, response.body).toBe(200);
        return response.json() as {
          items: {
            id: string;
            at: string;
            action: string;
            personId: string | null;
            actor: { id: string | null; label: string };
          }[];
          nextCursor: string | null;
        };
      };

      const forA = await get(`personId=${a}`);
      expect(forA.items.map((e) => e.action)).toEqual([...Array(5).fill('access_code.issued'), 'person.created']);
      expect(forA.items.every((e) => e.personId === a)).toBe(true);
      expect(forA.items[0]!.actor.label).toBe('token:test');

      const issued = await get('action=access_code.issued');
      expect(issued.items).toHaveLength(6);
      expect(issued.items[0]!.personId).toBe(b);
      const times = issued.items.map((e) => Date.parse(e.at));
      expect([...times].sort((x, y) => y - x)).toEqual(times);

      const window = await get(
        `action=access_code.issued&from=${new Date(start + 2 * MINUTE).toISOString()}` +
          `&to=${new Date(start + 4 * MINUTE).toISOString()}`,
      );
      expect(window.items.map((e) => Date.parse(e.at) - start)).toEqual([3 * MINUTE, 2 * MINUTE]);

      const actorId = forA.items[0]!.actor.id!;
      expect((await get(`actorId=${actorId}&limit=500`)).items.length).toBeGreaterThanOrEqual(8);

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`action=access_code.issued&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(pages.map((p) => p.length)).toEqual([4, 2]);
      expect(pages.flat()).toEqual(issued.items.map((e) => e.id));

      expectError(
        await o.app.inject({ method: 'GET', url: '/api/v1/audit?action=made.up', headers: o.admin }),
        400,
        'validation_failed',
      );
      expectError(await o.app.inject({ method: 'GET', url: '/api/v1/audit' }), 401, 'unauthenticated');
    });
  });
});
