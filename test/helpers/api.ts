// Driving the app over HTTP with inject(): an admin token and small request helpers.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import type { TestContext } from './deps.js';

export interface TestApi {
  app: FastifyInstance;
  adminToken: string;
  /** Headers for an admin API call. */
  admin: { authorization: string };
}

export async function createTestApi(context: TestContext): Promise<TestApi> {
  const app = await buildApp(context.deps);
  const { token } = await createApiToken(context.deps.db, { name: 'test', actor: CLI_ACTOR, now: context.clock.now() });
  return { app, adminToken: token, admin: { authorization: `Bearer ${token}` } };
}

/**
 * The `keyslip_session=…` pair (`__Host-keyslip_session=…` over https) from a response's
 * Set-Cookie, for the next request's Cookie header.
 */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | null {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  for (const cookie of all) {
    const match = /^((?:__Host-)?keyslip_session=[^;]+)/.exec(cookie);
    if (match && !/^(?:__Host-)?keyslip_session=;/.test(cookie)) return match[1]!;
  }
  return null;
}

/** A browser's cookie jar, for walking the server-rendered pages over inject(). */
export interface Browser {
  cookies: Map<string, string>;
}

function cookieHeader(browser: Browser): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

function remember(browser: Browser, setCookie: string | string[] | undefined): void {
  for (const cookie of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const match = /^([^=]+)=([^;]*)/.exec(cookie);
    if (!match) continue;
    if (match[2] === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(cookie)) browser.cookies.delete(match[1]!);
    else browser.cookies.set(match[1]!, match[2]!);
  }
}

/** The CSRF token of a page's form. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1]!;
}

/** GET and form POST as a browser would: HTML asked for, cookies sent and kept in its jar. */
export function pageClient(appOf: () => FastifyInstance) {
  async function get(browser: Browser, url: string, headers: Record<string, string> = {}) {
    const response = await appOf().inject({
      method: 'GET',
      url,
      headers: { accept: 'text/html', cookie: cookieHeader(browser), ...headers },
    });
    remember(browser, response.headers['set-cookie']);
    return response;
  }

  async function post(
    browser: Browser,
    url: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const response = await appOf().inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        cookie: cookieHeader(browser),
        ...headers,
      },
      payload: new URLSearchParams(fields).toString(),
    });
    remember(browser, response.headers['set-cookie']);
    return response;
  }

  return { get, post };
}
