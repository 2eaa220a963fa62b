// HTML forms: every POST form carries a hidden `_csrf` field. Signed in, the token is bound to the
// session; before sign-in (login, access-code page) it is bound to a random HttpOnly cookie set
// when the form is shown. Either way it is an HMAC under the server key, so nothing is stored.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { randomToken } from '../lib/random.js';
import { assertSameOrigin, CSRF_FIELD, csrfTokenFor, csrfTokenValid } from './csrf.js';
import { html, type SafeHtml } from './html.js';

export const ANON_CSRF_COOKIE = 'keyslip_csrf';

function anonBinding(cookieValue: string): string {
  return `anon:${cookieValue}`;
}

function validAnonCookie(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(value);
}

/**
 * The token for the forms of the page being rendered. Signed in: bound to the session. Otherwise
 * bound to the `keyslip_csrf` cookie, which is set here when the browser has none yet.
 */
export function csrfTokenForRequest(deps: Pick<Deps, 'keyring' | 'config'>, request: FastifyRequest, reply: FastifyReply): string {
  const auth = request.auth;
  if (auth?.via === 'session') return csrfTokenFor(deps.keyring, auth.sessionIdHash);
  let cookie = request.cookies[ANON_CSRF_COOKIE];
  if (!validAnonCookie(cookie)) {
    cookie = randomToken(24);
    reply.setCookie(ANON_CSRF_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.config.baseUrl.startsWith('https://'),
      path: '/',
    });
    // Later calls while rendering the same response must agree with the cookie just set.
    request.cookies[ANON_CSRF_COOKIE] = cookie;
  }
  return csrfTokenFor(deps.keyring, anonBinding(cookie));
}

/**
 * Checks a form POST: same origin, and a `_csrf` field made for this session or for this
 * browser's anonymous cookie (a form shown before a session ended still works). Throws
 * AppError('csrf_failed') otherwise.
 */
export function verifyFormCsrf(deps: Pick<Deps, 'keyring' | 'config'>, request: FastifyRequest): void {
  assertSameOrigin(deps.config, request);
  const token = formString(request.body, CSRF_FIELD);
  const auth = request.auth;
  if (auth?.via === 'session' && csrfTokenValid(deps.keyring, auth.sessionIdHash, token)) return;
  const cookie = request.cookies[ANON_CSRF_COOKIE];
  if (validAnonCookie(cookie) && csrfTokenValid(deps.keyring, anonBinding(cookie), token)) return;
  throw new AppError('csrf_failed');
}

/** One text field of a parsed form body: '' when absent, the first value when repeated. */
export function formString(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}

/** The hidden field every POST form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/**
 * A same-site path to go to after an action: only a path starting with a single `/` (no
 * `//host`, no `/\host`, no scheme, no control characters); otherwise the fallback.
 */
export function safeNextPath(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  if (!/^\/(?![/\\])/.test(next)) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  return next;
}
