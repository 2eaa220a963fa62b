// Cross-site request forgery, decided by the route that matched (never by the spelling of the
// path): every state-changing route is CSRF-checked whatever way its path is written, API writes
// take only JSON (the import only text/csv), and the tokens are bound to the session, renewed at
// sign-in, checked against KEYSLIP_BASE_URL's origin (not the Host header), and the cookies carry
// the __Host- prefix over https.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { csrfTokenFor } from '../../src/http/csrf.js';
import { sha256 } from '../../src/lib/random.js';
import { DIALECTS, type TestContext } from '../helpers/deps.js';
import { sessionCookieOf, type TestApi } from '../helpers/api.js';
import { auditRows } from '../helpers/core.js';
import {
  claimedPerson,
  createPersonViaApi,
  expectErrorBody,
  fingerprint,
  issueCodeViaApi,
  openApis,
  PASSWORD,
} from './support.js';

const open = openApis();

const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
/** A sibling site (same registrable domain): still not our origin. */
const SIBLING = { origin: 'https://intranet.example', 'sec-fetch-site': 'same-site' };

function expectError(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expectErrorBody(response);
  expect(response.json().error.code).toBe(code);
}

function setCookies(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  return Array.isArray(header) ? header : header ? [header] : [];
}

/** The token an API call made with this session cookie must carry (what the pages embed). */
function apiTokenFor(context: TestContext, cookie: string): string {
  return csrfTokenFor(context.deps.keyring, sha256(cookie.replace(/^(__Host-)?keyslip_session=/, '')));
}

async function adminCookie(api: TestApi): Promise<string> {
  const person = await createPersonViaApi(api, { name: 'Ada Admin', username: 'ada.admin', role: 'admin' });
  const code = await issueCodeViaApi(api, person.id);
  const redeemed = await api.app.inject({
    method: 'POST',
    url: '/api/v1/access-code/redeem',
    payload: { code, username: 'ada.admin', password: PASSWORD },
  });
  expect(redeemed.statusCode, redeemed.body).toBe(200);
  return sessionCookieOf(redeemed.headers['set-cookie'])!;
}

/**
 * Spellings of a path that reach the same route: the router decodes percent-escapes, and inject()
 * (like a browser) resolves dot segments, `%2e` included, and drops a fragment.
 */
function routedSpellings(path: string): string[] {
  const encodeFirst = (letter: string): string => path.replace(letter, `%${letter.charCodeAt(0).toString(16)}`);
  return [
    path,
    encodeFirst('a'),
    encodeFirst('s'),
    path.replace('api', '%61%70%69'),
    path.replace('api', 'a%70i'),
    path.replace('/api/', '/api/./'),
    path.replace('/api/v1/', '/api/v1/x/../'),
    path.replace('/api/', '/%2e/api/'),
    `${path}#x`,
  ];
}

/** Spellings the router must not route at all (case, doubled slashes, trailing characters). */
function unroutedSpellings(path: string): string[] {
  return [
    path.replace('/api/', '/API/'),
    path.replace('/sessions', '/Sessions'),
    `/${path}`,
    path.replace('/api/', '/api//'),
    `${path}/`,
    `${path};x`,
    `${path}%20`,
    `${path}%00`,
    `${path}.`,
    `${path}%2F`,
  ];
}

describe.each(DIALECTS)('CSRF by matched route (%s)', (dialect) => {
  it(
    'POST /%61pi/v1/sessions and every other spelling from ' + 'another site signs no one in and records nothing',
    async () => {
      const { context, api } = await open(dialect);
      await claimedPerson(api, { name: 'Mallory Ek', username: 'mallory' });
      const before = await fingerprint(context.deps.db);
      const auditBefore = (await auditRows(context.deps.db)).length;
      const limitsBefore = await context.deps.db.selectFrom('rate_limits').selectAll().execute();

      for (const url of routedSpellings('/api/v1/sessions')) {
        for (const headers of [EVIL, SIBLING, { origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
          const response = await api.app.inject({
            method: 'POST',
            url,
            headers,
            remoteAddress: '192.0.2.44',
            payload: { username: 'mallory', password: PASSWORD },
          });
          expectError(response, 403, 'csrf_failed');
          expect(sessionCookieOf(response.headers['set-cookie']), url).toBeNull();
        }
      }
      for (const url of unroutedSpellings('/api/v1/sessions')) {
        const response = await api.app.inject({
          method: 'POST',
          url,
          headers: EVIL,
          remoteAddress: '192.0.2.44',
          payload: { username: 'mallory', password: PASSWORD },
        });
        expect([403, 404], `${url}: ${response.statusCode}`).toContain(response.statusCode);
        expectErrorBody(response);
        expect(sessionCookieOf(response.headers['set-cookie']), url).toBeNull();
      }
      expect(await fingerprint(context.deps.db)).toBe(before);
      expect((await auditRows(context.deps.db)).length).toBe(auditBefore);
      expect(await context.deps.db.selectFrom('rate_limits').selectAll().execute()).toEqual(limitsBefore);

      // The same request from our own pages still works: the guard refuses the site, not the route.
      const own = await api.app.inject({
        method: 'POST',
        url: '/%61pi/v1/sessions',
        headers: { origin: new URL(context.deps.config.baseUrl).origin, 'sec-fetch-site': 'same-origin' },
        payload: { username: 'mallory', password: PASSWORD },
      });
      expect(own.statusCode, own.body).toBe(201);
    },
  );

  it('the router routes case, doubled slashes, dot segments and trailing characters nowhere (404)', async () => {
    const { api } = await open(dialect);
    for (const url of [
      ...unroutedSpellings('/api/v1/sessions'),
      '/LOGIN',
      '//login',
      '/login/',
      '/login;x',
      '/Logout',
    ]) {
      const response = await api.app.inject({ method: 'POST', url, payload: { username: 'x', password: 'y' } });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(404);
    }
  });

  it(
    'over a real socket (no URL clean-up by a client), every ' +
      'spelling is refused or not found, and nothing changes',
    async () => {
      const { context, api } = await open(dialect);
      await claimedPerson(api, { name: 'Mallory Ek', username: 'mallory' });
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = api.app.server.address() as AddressInfo;
      const post = (path: string): Promise<{ status: number; setCookie: string[] }> =>
        new Promise((resolve, reject) => {
          const body = JSON.stringify({ username: 'mallory', password: PASSWORD });
          const request = http.request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path,
              headers: { ...EVIL, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            },
            (response) => {
              response.resume();
              response.on('end', () =>
                resolve({
                  status: response.statusCode!,
                  setCookie: ([] as string[]).concat(response.headers['set-cookie'] ?? []),
                }),
              );
            },
          );
          request.on('error', reject);
          request.end(body);
        });
      const before = await fingerprint(context.deps.db);
      for (const path of [
        ...routedSpellings('/api/v1/sessions').filter((p) => !p.includes('#')),
        ...unroutedSpellings('/api/v1/sessions'),
      ]) {
        const answer = await post(path);
        expect([403, 404], `${path}: ${answer.status}`).toContain(answer.status);
        expect(sessionCookieOf(answer.setCookie), path).toBeNull();
      }
      for (const path of unroutedSpellings('/api/v1/sessions')) expect((await post(path)).status, path).toBe(404);
      expect((await post('/%61pi/v1/sessions')).status).toBe(403);
      expect(await fingerprint(context.deps.db)).toBe(before);
    },
  );

  it('a cookie-borne admin write through any spelling needs our origin and the session token', async () => {
    const { context, api } = await open(dialect);
    const cookie = await adminCookie(api);
    const before = await fingerprint(context.deps.db);
    for (const url of routedSpellings('/api/v1/people')) {
      for (const headers of [EVIL, SIBLING, { origin: 'https://evil.example' }]) {
        expectError(
          await api.app.inject({
            method: 'POST',
            url,
            headers: { cookie, ...headers },
            payload: { name: 'Planted', role: 'admin' },
          }),
          403,
          'csrf_failed',
        );
      }
      // Our origin without the token is refused too: a cookie alone never authorises a write.
      const noToken = await api.app.inject({
        method: 'POST',
        url,
        headers: { cookie, origin: 'http://127.0.0.1:3000' },
        payload: { name: 'Planted', role: 'admin' },
      });
      expectError(noToken, 403, 'csrf_failed');
    }
    expect(await fingerprint(context.deps.db)).toBe(before);
    const ok = await api.app.inject({
      method: 'POST',
      url: '/%61pi/v1/people',
      headers: { cookie, origin: 'http://127.0.0.1:3000', 'x-csrf-token': apiTokenFor(context, cookie) },
      payload: { name: 'Wanted Person', username: 'wanted' },
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('API writes take only JSON: a form-encoded or text/plain body is 415 before anything runs', async () => {
    const { context, api } = await open(dialect);
    await claimedPerson(api, { name: 'Mallory Ek', username: 'mallory' });
    const before = await fingerprint(context.deps.db);
    const auditBefore = (await auditRows(context.deps.db)).length;
    const bodies: [string, string][] = [
      ['application/x-www-form-urlencoded', 'username=mallory&password=violet+kettle+marching+north'],
      ['text/plain', '{"username":"mallory","password":"violet kettle marching north"}'],
      ['text/plain; charset=utf-8', '{"username":"mallory","password":"violet kettle marching north"}'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nmallory\r\n--x--',
      ],
      ['text/csv', 'username,password\nmallory,x'],
      ['application/json-patch+json', '{"username":"mallory","password":"violet kettle marching north"}'],
    ];
    for (const [contentType, payload] of bodies) {
      for (const url of ['/api/v1/sessions', '/%61pi/v1/sessions', '/api/v1/access-code/check']) {
        const response = await api.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': contentType },
          payload,
        });
        expectError(response, 415, 'unsupported_media_type');
      }
    }
    expect(await fingerprint(context.deps.db)).toBe(before);
    expect((await auditRows(context.deps.db)).length).toBe(auditBefore);
  });

  it(
    'the CSV import takes only text/csv: text/plain or ' +
      'application/csv with an admin cookie is 415 and imports no row',
    async () => {
      const { context, api } = await open(dialect);
      const cookie = await adminCookie(api);
      const token = apiTokenFor(context, cookie);
      const csv = 'name,username,role\nPlanted Admin,planted,admin\n';
      const before = await fingerprint(context.deps.db);
      for (const contentType of [
        'text/plain',
        'application/csv',
        'application/x-www-form-urlencoded',
        'application/json',
      ]) {
        for (const url of ['/api/v1/people/import', '/%61pi/v1/people/import']) {
          for (const headers of [{}, SIBLING, { origin: 'http://127.0.0.1:3000', 'x-csrf-token': token }]) {
            const response = await api.app.inject({
              method: 'POST',
              url,
              headers: { cookie, 'content-type': contentType, ...headers },
              payload: csv,
            });
            expectError(response, 415, 'unsupported_media_type');
          }
        }
      }
      expect(await fingerprint(context.deps.db)).toBe(before);
      expect(
        await context.deps.db.selectFrom('people').select('id').where('username', '=', 'planted').execute(),
      ).toEqual([]);

      // text/csv from our page (what public/admin.js sends) imports.
      const ok = await api.app.inject({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: { cookie, 'content-type': 'text/csv', origin: 'http://127.0.0.1:3000', 'x-csrf-token': token },
        payload: 'name,username\nWanted Person,wanted\n',
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ created: 1 });
    },
  );

  it('page forms are checked by route too: another site cannot post /%6cogin or /logout however spelled', async () => {
    const { context, api } = await open(dialect);
    await claimedPerson(api, { name: 'Mallory Ek', username: 'mallory' });
    const before = await fingerprint(context.deps.db);
    for (const url of ['/login', '/%6cogin', '/%6C%6F%67%69%6E']) {
      const response = await api.app.inject({
        method: 'POST',
        url,
        headers: { ...EVIL, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: 'login=mallory&password=violet+kettle+marching+north&_csrf=x',
      });
      expect(response.statusCode).toBe(403);
      expect(sessionCookieOf(response.headers['set-cookie'])).toBeNull();
    }
    // A form route takes only a form: JSON is refused before the handler.
    const json = await api.app.inject({
      method: 'POST',
      url: '/login',
      headers: { accept: 'text/html' },
      payload: { login: 'mallory', password: PASSWORD },
    });
    expect(json.statusCode).toBe(415);
    expect(await fingerprint(context.deps.db)).toBe(before);
  });

  it('every write route has a CSRF policy and a body type; a route declared csrf "none" ignores cookies', async () => {
    const { context, api } = await open(dialect);
    const table = api.app.routeTable;
    expect(table.length).toBeGreaterThan(15);
    // The only routes exempt from Keyslip's guard are oidc-provider's protocol endpoints (apps post
    // forms to them; the provider keeps its own state and cookies count for nothing there) and
    // SCIM (/scim/v2: bearer-only, a SCIM token in every request, cookies ignored; no browser
    // sends application/scim+json without a preflight, and there is no CORS).
    const OIDC_PROTOCOL_ROUTES = ['/.well-known/openid-configuration', '/oidc/*'];
    for (const route of table) {
      if (OIDC_PROTOCOL_ROUTES.includes(route.url)) {
        expect(route.csrf, `${route.method} ${route.url}`).toBe('none');
        continue;
      }
      if (route.url.startsWith('/scim/v2/')) {
        expect(route.csrf, `${route.method} ${route.url}`).toBe('none');
        expect(route.body).toBe('application/scim+json');
        continue;
      }
      expect(['api', 'form'], `${route.method} ${route.url}`).toContain(route.csrf);
      if (route.url.startsWith('/api/')) {
        expect(route.csrf).toBe('api');
        expect(route.body).toBe(route.url === '/api/v1/people/import' ? 'text/csv' : 'application/json');
      } else {
        expect(route.csrf).toBe('form');
        expect(route.body).toBe('application/x-www-form-urlencoded');
      }
    }
    const keys = table.map((route) => `${route.method} ${route.url}`);
    for (const key of [
      'POST /api/v1/sessions',
      'POST /api/v1/people/import',
      'DELETE /api/v1/sessions',
      'PATCH /api/v1/people/:id',
      'POST /login',
      'POST /logout',
    ]) {
      expect(keys).toContain(key);
    }

    // A route that opts out of CSRF (none today) cannot act on the visitor's cookie.
    const { buildApp } = await import('../../src/app.js');
    const app = await buildApp(context.deps);
    app.post('/hook/none', { config: { csrf: 'none', body: 'application/json' } }, async (request) => ({
      via: request.auth.via,
    }));
    const cookie = await adminCookie(api);
    const response = await app.inject({ method: 'POST', url: '/hook/none', headers: { cookie, ...EVIL }, payload: {} });
    expect(response.json()).toEqual({ via: 'none' });
    await app.close();
  });
});

describe.each(DIALECTS)('CSRF tokens and cookies (%s)', (dialect) => {
  it(
    'an API token is bound to its session and renewed at ' +
      'sign-in: the old session’s token fails with the new cookie',
    async () => {
      const { context, api } = await open(dialect);
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      await claimedPerson(api, { name: 'Kim Berg', username: 'kim.berg' });
      const signIn = async (username: string, cookie?: string): Promise<string> => {
        const response = await api.app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          headers: cookie ? { cookie } : {},
          payload: { username, password: PASSWORD },
        });
        expect(response.statusCode, response.body).toBe(201);
        return sessionCookieOf(response.headers['set-cookie'])!;
      };
      const sam = await signIn('sam.lee');
      const kim = await signIn('kim.berg');
      const signOut = (cookie: string, token: string): Promise<LightMyRequestResponse> =>
        api.app.inject({
          method: 'DELETE',
          url: '/api/v1/sessions/current',
          headers: { cookie, origin: 'http://127.0.0.1:3000', 'x-csrf-token': token },
        });

      // Another session's token does not work.
      expectError(await signOut(sam, apiTokenFor(context, kim)), 403, 'csrf_failed');
      // Signing in again (a new session) renews the token: the old one is refused.
      const samAgain = await signIn('sam.lee', sam);
      expect(samAgain).not.toBe(sam);
      expectError(await signOut(samAgain, apiTokenFor(context, sam)), 403, 'csrf_failed');
      expect((await signOut(samAgain, apiTokenFor(context, samAgain))).statusCode).toBe(204);
    },
  );

  it('a form token made before sign-in is refused after it, and signing in drops the pre-session cookie', async () => {
    const { api } = await open(dialect);
    await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const login = await api.app.inject({ method: 'GET', url: '/login', headers: { accept: 'text/html' } });
    const anon = setCookies(login)
      .find((c) => c.startsWith('keyslip_csrf='))!
      .split(';')[0]!;
    const preToken = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
    const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
    const signedIn = await api.app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        cookie: anon,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://127.0.0.1:3000',
        accept: 'text/html',
      },
      payload: form({ _csrf: preToken, login: 'sam.lee', password: PASSWORD }),
    });
    expect(signedIn.statusCode, signedIn.body).toBe(303);
    expect(setCookies(signedIn).some((c) => /^keyslip_csrf=;/.test(c))).toBe(true);
    const session = sessionCookieOf(signedIn.headers['set-cookie'])!;

    // Signed in, the pre-session token (even with its cookie kept) no longer passes.
    const stale = await api.app.inject({
      method: 'POST',
      url: '/logout',
      headers: {
        cookie: `${session}; ${anon}`,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://127.0.0.1:3000',
        accept: 'text/html',
      },
      payload: form({ _csrf: preToken }),
    });
    expect(stale.statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: session } })).statusCode).toBe(
      200,
    );

    // The home page's token (bound to the new session) does.
    const home = await api.app.inject({ method: 'GET', url: '/', headers: { cookie: session, accept: 'text/html' } });
    const fresh = /name="_csrf" value="([^"]+)"/.exec(home.body)![1]!;
    expect(fresh).not.toBe(preToken);
    const out = await api.app.inject({
      method: 'POST',
      url: '/logout',
      headers: {
        cookie: session,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://127.0.0.1:3000',
        accept: 'text/html',
      },
      payload: form({ _csrf: fresh }),
    });
    expect(out.statusCode).toBe(303);
  });

  it('the allowed origin is KEYSLIP_BASE_URL’s, whatever the Host header says', async () => {
    const { context, api } = await open(dialect);
    await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const signIn = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { username: 'sam.lee', password: PASSWORD },
    });
    const cookie = sessionCookieOf(signIn.headers['set-cookie'])!;
    const token = apiTokenFor(context, cookie);
    for (const evil of ['http://evil.example', 'https://evil.example']) {
      const response = await api.app.inject({
        method: 'DELETE',
        url: '/api/v1/sessions/current',
        headers: { cookie, host: 'evil.example', origin: evil, 'x-csrf-token': token },
      });
      expectError(response, 403, 'csrf_failed');
    }
    const login = await api.app.inject({
      method: 'GET',
      url: '/login',
      headers: { accept: 'text/html', host: 'evil.example' },
    });
    const anon = setCookies(login)
      .find((c) => c.startsWith('keyslip_csrf='))!
      .split(';')[0]!;
    const formToken = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
    const form = await api.app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        cookie: anon,
        host: 'evil.example',
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
      },
      payload: new URLSearchParams({ _csrf: formToken, login: 'sam.lee', password: PASSWORD }).toString(),
    });
    expect(form.statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
  });

  it(
    'over https every cookie has the __Host- prefix (the ' + 'path-scoped one __Secure-), and only that name is read',
    async () => {
      const { context, api } = await open(dialect, { KEYSLIP_BASE_URL: 'https://keyslip.example.org' });
      await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
      const signIn = await api.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        payload: { username: 'sam.lee', password: PASSWORD },
      });
      const session = setCookies(signIn).find((c) => c.startsWith('__Host-keyslip_session='));
      expect(session).toBeDefined();
      expect(session).toMatch(/; Secure/);
      expect(session).toMatch(/; Path=\//);
      expect(session).not.toMatch(/Domain=/i);
      const value = session!.split(';')[0]!.slice('__Host-keyslip_session='.length);
      expect(
        (
          await api.app.inject({
            method: 'GET',
            url: '/api/v1/me',
            headers: { cookie: `__Host-keyslip_session=${value}` },
          })
        ).statusCode,
      ).toBe(200);
      // The bare name (which a sibling subdomain or an http page could plant) is not read.
      expect(
        (await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `keyslip_session=${value}` } }))
          .statusCode,
      ).toBe(401);

      const login = await api.app.inject({ method: 'GET', url: '/login', headers: { accept: 'text/html' } });
      const anon = setCookies(login).find((c) => c.startsWith('__Host-keyslip_csrf='));
      expect(anon).toMatch(/; Secure/);
      const lang = await api.app.inject({ method: 'GET', url: '/lang/sv?next=/login' });
      expect(setCookies(lang).find((c) => c.startsWith('__Host-keyslip_lang=sv'))).toMatch(/; Secure/);
      const swedish = await api.app.inject({
        method: 'GET',
        url: '/login',
        headers: { accept: 'text/html', cookie: '__Host-keyslip_lang=sv' },
      });
      expect(swedish.body).toContain('<html lang="sv">');
      for (const response of [signIn, login, lang]) {
        for (const cookie of setCookies(response)) expect(cookie, cookie).toMatch(/^__(Host|Secure)-/);
      }

      // A form posted with the __Host- pre-session cookie passes (origin from the https base URL).
      const token = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
      const posted = await api.app.inject({
        method: 'POST',
        url: '/login',
        headers: {
          cookie: anon!.split(';')[0]!,
          origin: 'https://keyslip.example.org',
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
        },
        payload: new URLSearchParams({ _csrf: token, login: 'sam.lee', password: PASSWORD }).toString(),
      });
      expect(posted.statusCode, posted.body).toBe(303);
      expect(setCookies(posted).some((c) => c.startsWith('__Host-keyslip_session='))).toBe(true);
      expect(context.deps.config.baseUrl).toBe('https://keyslip.example.org');
    },
  );
});
