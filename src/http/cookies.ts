import type {} from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import type { NewSession } from '../sessions/session.js';
import { SESSION_COOKIE } from '../sessions/session.js';

/** The random cookie the forms' CSRF tokens are bound to before sign-in (see forms.ts). */
export const ANON_CSRF_COOKIE = 'keyslip_csrf';

/**
 * The name a cookie has on the wire. Over https a site-wide cookie is `__Host-name`: a browser
 * accepts it only with Secure, Path=/ and no Domain, set by this very host, so a sibling
 * subdomain or a plain-http page cannot plant or overwrite it (cookie tossing). A cookie scoped to
 * a path cannot be `__Host-`; it gets `__Secure-` (only ever set over https). Over plain http
 * (a laptop) browsers refuse both prefixes, so the bare name is used.
 */
export function cookieName(
  config: Pick<Config, 'secureCookies'>,
  name: string,
  options: { pathScoped?: boolean } = {},
): string {
  if (!config.secureCookies) return name;
  return `${options.pathScoped ? '__Secure-' : '__Host-'}${name}`;
}

export function sessionCookieName(config: Pick<Config, 'secureCookies'>): string {
  return cookieName(config, SESSION_COOKIE);
}

/**
 * HttpOnly (no script reads it), SameSite=Lax, Secure whenever the public address is https.
 * Signing in also drops the pre-session CSRF cookie: the forms of the signed-in pages carry
 * tokens bound to the new session, and no token made before the sign-in is accepted after it.
 */
export function setSessionCookie(reply: FastifyReply, config: Config, session: NewSession, now: number): void {
  reply.setCookie(sessionCookieName(config), session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
    maxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)),
  });
  const anonCookie = cookieName(config, ANON_CSRF_COOKIE);
  reply.clearCookie(anonCookie, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(sessionCookieName(config), {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
  });
}
