// HTML forms: every POST form carries a hidden `_csrf` field. Signed in, the token is bound to the
// session; before sign-in (login, access-code page) it is bound to a random HttpOnly cookie set
// when the form is shown. Either way it is an HMAC under the server key, so nothing is stored.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { randomToken } from '../lib/random.js';
import { ANON_CSRF_COOKIE, cookieName } from './cookies.js';
import { assertSameOrigin, CSRF_FIELD, csrfTokenFor, csrfTokenValid } from './csrf.js';
import { html, type SafeHtml } from './html.js';

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
export function csrfTokenForRequest(
  deps: Pick<Deps, 'keyring' | 'config'>,
  request: FastifyRequest,
  reply: FastifyReply,
): string {
  const auth = request.auth;
  if (auth?.via === 'session') return csrfTokenFor(deps.keyring, auth.sessionIdHash);
  const name = cookieName(deps.config, ANON_CSRF_COOKIE);
  let cookie = request.cookies[name];
  if (!validAnonCookie(cookie)) {
    cookie = randomToken(24);
    reply.setCookie(name, cookie, { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies, path: '/' });
    // Later calls while rendering the same response must agree with the cookie just set.
    request.cookies[name] = cookie;
  }
  return csrfTokenFor(deps.keyring, anonBinding(cookie));
}

/**
 * Checks a form POST: same origin, and a `_csrf` field made for this session when signed in, or
 * for this browser's anonymous cookie when not. A token made before sign-in (or for another
 * session) is refused once signed in: the token is renewed with the session. Throws
 * AppError('csrf_failed') otherwise.
 */
export function verifyFormCsrf(deps: Pick<Deps, 'keyring' | 'config'>, request: FastifyRequest): void {
  assertSameOrigin(deps.config, request);
  const token = formString(request.body, CSRF_FIELD);
  const auth = request.auth;
  if (auth?.via === 'session') {
    if (csrfTokenValid(deps.keyring, auth.sessionIdHash, token)) return;
    throw new AppError('csrf_failed');
  }
  const cookie = request.cookies[cookieName(deps.config, ANON_CSRF_COOKIE)];
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
