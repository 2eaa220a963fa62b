// Sessions under attack (ASVS v5 V7): fresh ids at every sign-in and redemption (no fixation),
// every other session ended on recovery and deactivation, idle and absolute timeouts, sign-out
// that really ends the session, and an admin who can end someone's sessions.
import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { csrfTokenFor } from '../../src/http/csrf.js';
import { HOUR, MINUTE } from '../../src/lib/clock.js';
import { sha256 } from '../../src/lib/random.js';
import { DIALECTS, type TestContext } from '../helpers/deps.js';
import { sessionCookieOf, type TestApi } from '../helpers/api.js';
import { claimedPerson, createPersonViaApi, issueCodeViaApi, openApis, OTHER_PASSWORD, PASSWORD } from './support.js';

const open = openApis();

function me(api: TestApi, cookie: string): Promise<LightMyRequestResponse> {
  return api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
}

async function signIn(
  api: TestApi,
  username: string,
  password: string,
  cookie?: string,
): Promise<{ response: LightMyRequestResponse; cookie: string }> {
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/sessions',
    headers: cookie ? { cookie } : {},
    payload: { username, password },
  });
  expect(response.statusCode, response.body).toBe(201);
  const fresh = sessionCookieOf(response.headers['set-cookie']);
  expect(fresh).not.toBeNull();
  return { response, cookie: fresh! };
}

const cookieValueOf = (cookie: string): string => cookie.slice('keyslip_session='.length);

async function sessionRows(context: TestContext, personId: string): Promise<number> {
  return (await context.deps.db.selectFrom('sessions').select('id_hash').where('person_id', '=', personId).execute())
    .length;
}

describe.each(DIALECTS)('session ids (%s)', (dialect) => {
  it('are 256 random bits, set HttpOnly + SameSite=Lax on path /, and stored only as a SHA-256', async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const { response, cookie } = await signIn(api, 'sam.lee', PASSWORD);
    const header = String(response.headers['set-cookie']);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/);
    expect(header).toMatch(/Path=\//);
    expect(header).not.toMatch(/Secure/); // http://127.0.0.1: a Secure cookie would never come back
    expect(response.headers['cache-control']).toBe('no-store');
    const token = cookieValueOf(cookie);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    const stored = await context.deps.db
      .selectFrom('sessions')
      .select('id_hash')
      .where('person_id', '=', person.id)
      .execute();
    expect(stored.map((row) => row.id_hash)).toContain(sha256(token));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('set the Secure flag when the public address is https', async () => {
    const { api } = await open(dialect, { KEYSLIP_BASE_URL: 'https://keyslip.example.org' });
    await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const { response } = await signIn(api, 'sam.lee', PASSWORD);
    expect(String(response.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it(
    'a sign-in never adopts a session id the browser ' + 'brought (fixation), not even a live one of someone else',
    async () => {
      const { api } = await open(dialect);
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      await claimedPerson(api, { name: 'Mallory Ek', username: 'mallory', password: OTHER_PASSWORD });

      // An id the attacker made up and planted.
      const planted = `keyslip_session=${'A'.repeat(43)}`;
      const first = await signIn(api, 'sam.lee', PASSWORD, planted);
      expect(first.cookie).not.toBe(planted);
      expect((await me(api, planted)).statusCode).toBe(401);

      // The attacker's own live session planted in the victim's browser is never upgraded to the
      // victim: the sign-in gets a new id and ends the session it came with.
      const attacker = await signIn(api, 'mallory', OTHER_PASSWORD);
      const victim = await signIn(api, 'sam.lee', PASSWORD, attacker.cookie);
      expect(victim.cookie).not.toBe(attacker.cookie);
      expect((await me(api, attacker.cookie)).statusCode).toBe(401);
      expect((await me(api, victim.cookie)).json().person.username).toBe('sam.lee');

      // Signing in again (re-authentication) is a new id too, and the old one ends.
      const again = await signIn(api, 'sam.lee', PASSWORD, victim.cookie);
      expect(again.cookie).not.toBe(victim.cookie);
      expect((await me(api, victim.cookie)).statusCode).toBe(401);
      expect((await me(api, again.cookie)).statusCode).toBe(200);
    },
  );

  it("a redemption on a device where someone else is signed in ends that person's session there", async () => {
    const { api } = await open(dialect);
    const colleague = await claimedPerson(api, { name: 'Alex Dahl', username: 'alex.dahl' });
    const newcomer = await createPersonViaApi(api, { name: 'New Starter', employeeId: 'NS-1' });
    const code = await issueCodeViaApi(api, newcomer.id);
    const redeemed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      headers: { cookie: colleague.cookie },
      payload: { code, username: 'new.starter', password: PASSWORD },
    });
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    expect((await me(api, colleague.cookie)).statusCode).toBe(401);
    expect((await me(api, sessionCookieOf(redeemed.headers['set-cookie'])!)).json().person.username).toBe(
      'new.starter',
    );
  });

  it('a redemption starts a new session and ends every other session of the account (recovery)', async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const laptop = await signIn(api, 'sam.lee', PASSWORD);
    const phone = await signIn(api, 'sam.lee', PASSWORD);
    expect(await sessionRows(context, person.id)).toBe(3); // the claim's own session, plus two

    const code = await issueCodeViaApi(api, person.id);
    const redeemed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      headers: { cookie: phone.cookie },
      payload: { code, username: 'sam.lee', password: OTHER_PASSWORD },
    });
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    const fresh = sessionCookieOf(redeemed.headers['set-cookie'])!;
    expect(fresh).not.toBe(phone.cookie);
    for (const old of [person.cookie, laptop.cookie, phone.cookie]) expect((await me(api, old)).statusCode).toBe(401);
    expect((await me(api, fresh)).statusCode).toBe(200);
    expect(await sessionRows(context, person.id)).toBe(1);
    const audit = await context.deps.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'access_code.redeemed')
      .where('person_id', '=', person.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details)).toMatchObject({ sessionsEnded: 3 });
    // The old password no longer works; the new one does.
    expect(
      (
        await api.app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          payload: { username: 'sam.lee', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(401);
    await signIn(api, 'sam.lee', OTHER_PASSWORD);
  });

  it('deactivating a person ends every session at once, and they cannot sign in again', async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const other = await signIn(api, 'sam.lee', PASSWORD);
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/v1/people/${person.id}/deactivate`,
      headers: api.admin,
    });
    expect(response.statusCode).toBe(200);
    for (const cookie of [person.cookie, other.cookie]) expect((await me(api, cookie)).statusCode).toBe(401);
    expect(await sessionRows(context, person.id)).toBe(0);
    expect(
      (
        await api.app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          payload: { username: 'sam.lee', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(401);
  });
});

describe.each(DIALECTS)('session timeouts (%s)', (dialect) => {
  it('a session unused for the idle timeout (default 8 h) ends; use keeps it alive', async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    context.clock.advance(8 * HOUR - MINUTE);
    expect((await me(api, person.cookie)).statusCode).toBe(200);
    context.clock.advance(8 * HOUR - MINUTE);
    expect((await me(api, person.cookie)).statusCode).toBe(200);
    context.clock.advance(8 * HOUR);
    expect((await me(api, person.cookie)).statusCode).toBe(401);
    expect(await sessionRows(context, person.id)).toBe(0);
  });

  it('the idle timeout follows KEYSLIP_SESSION_IDLE_MINUTES', async () => {
    const { context, api } = await open(dialect, { KEYSLIP_SESSION_IDLE_MINUTES: '30' });
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    context.clock.advance(29 * MINUTE);
    expect((await me(api, person.cookie)).statusCode).toBe(200);
    context.clock.advance(30 * MINUTE);
    expect((await me(api, person.cookie)).statusCode).toBe(401);
  });

  it(
    'a session ends at the absolute timeout (default 7 ' + 'days) however busy it is, and the cookie says so too',
    async () => {
      const { context, api } = await open(dialect);
      const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      const { response, cookie } = await signIn(api, 'sam.lee', PASSWORD);
      expect(String(response.headers['set-cookie'])).toMatch(/Max-Age=604800/);
      for (let hour = 1; hour < 168; hour += 1) {
        context.clock.advance(HOUR);
        expect((await me(api, cookie)).statusCode, `hour ${hour}`).toBe(200);
      }
      context.clock.advance(HOUR);
      expect((await me(api, cookie)).statusCode).toBe(401);
      expect((await me(api, person.cookie)).statusCode).toBe(401);
    },
  );
});

describe.each(DIALECTS)('ending sessions (%s)', (dialect) => {
  it('sign-out ends the session on the server: the old cookie cannot resume it', async () => {
    const { api } = await open(dialect);
    await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const { cookie } = await signIn(api, 'sam.lee', PASSWORD);
    const out = await api.app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/keyslip_session=;/);
    expect((await me(api, cookie)).statusCode).toBe(401);
  });

  it('a person sees their sessions and can end them all', async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const other = await signIn(api, 'sam.lee', PASSWORD);
    const listed = (await me(api, other.cookie)).json() as { sessions: { current: boolean }[] };
    expect(listed.sessions).toHaveLength(2);
    expect(listed.sessions.filter((s) => s.current)).toHaveLength(1);
    const out = await api.app.inject({ method: 'DELETE', url: '/api/v1/sessions', headers: { cookie: other.cookie } });
    expect(out.json()).toEqual({ ended: 2 });
    expect((await me(api, person.cookie)).statusCode).toBe(401);
    expect(await sessionRows(context, person.id)).toBe(0);
  });

  it("an admin ends a person's sessions (DELETE /api/v1/people/:id/sessions), audited; members may not", async () => {
    const { context, api } = await open(dialect);
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const other = await signIn(api, 'sam.lee', PASSWORD);
    const member = await claimedPerson(api, { name: 'Alex Dahl', username: 'alex.dahl' });

    const forbidden = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${person.id}/sessions`,
      headers: { cookie: member.cookie },
    });
    expect(forbidden.statusCode).toBe(403);
    const anonymous = await api.app.inject({ method: 'DELETE', url: `/api/v1/people/${person.id}/sessions` });
    expect(anonymous.statusCode).toBe(401);
    expect((await me(api, person.cookie)).statusCode).toBe(200);

    const ended = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${person.id}/sessions`,
      headers: api.admin,
    });
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toEqual({ ended: 2 });
    for (const cookie of [person.cookie, other.cookie]) expect((await me(api, cookie)).statusCode).toBe(401);
    expect((await me(api, member.cookie)).statusCode).toBe(200);
    const audit = await context.deps.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'sessions.ended')
      .where('person_id', '=', person.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_label).toBe('token:test');

    const missing = await api.app.inject({
      method: 'DELETE',
      url: '/api/v1/people/01890000-0000-7000-8000-000000000000/sessions',
      headers: api.admin,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('an admin session works for the same call, given the CSRF token from a browser', async () => {
    const { context, api } = await open(dialect);
    const admin = await createPersonViaApi(api, { name: 'Ada Admin', username: 'ada', role: 'admin' });
    const code = await issueCodeViaApi(api, admin.id);
    const redeemed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: 'ada', password: PASSWORD },
    });
    const cookie = sessionCookieOf(redeemed.headers['set-cookie'])!;
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const origin = 'http://127.0.0.1:3000';
    const withoutToken = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${person.id}/sessions`,
      headers: { cookie, origin, host: '127.0.0.1:3000' },
    });
    expect(withoutToken.statusCode).toBe(403);
    expect(withoutToken.json().error.code).toBe('csrf_failed');
    const crossSite = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${person.id}/sessions`,
      headers: { cookie, origin: 'https://evil.example', host: '127.0.0.1:3000' },
    });
    expect(crossSite.statusCode).toBe(403);
    expect((await me(api, person.cookie)).statusCode).toBe(200);
    const idHash = sha256(cookieValueOf(cookie));
    const token = csrfTokenFor(context.deps.keyring, idHash);
    const ok = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${person.id}/sessions`,
      headers: { cookie, origin, host: '127.0.0.1:3000', 'x-csrf-token': token },
    });
    expect(ok.statusCode).toBe(200);
    expect((await me(api, person.cookie)).statusCode).toBe(401);
  });
});
