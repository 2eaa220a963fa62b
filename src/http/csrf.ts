// CSRF: a same-origin check plus a token bound to the session (or, before sign-in, to a random
// cookie). The token is an HMAC under a key derived from the server secret, so no state is kept.
import type { FastifyRequest } from 'fastify';
import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import type { Keyring } from '../lib/keyring.js';
import { safeEqual } from '../lib/random.js';
import { AppError } from '../errors.js';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

export function csrfTokenFor(keyring: Keyring, bindTo: string): string {
  return createHmac('sha256', keyring.current.csrf).update(bindTo).digest('base64url');
}

export function csrfTokenValid(keyring: Keyring, bindTo: string, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  return keyring.keys.some((key) =>
    safeEqual(createHmac('sha256', key.csrf).update(bindTo).digest('base64url'), token),
  );
}

/**
 * A browser marks every cross-site request: Sec-Fetch-Site, and Origin on every non-GET
 * request. A request carrying neither did not come from a page in a browser, so it cannot be a
 * forged cross-site request.
 */
export function isFromBrowser(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
}

/**
 * Refuses a request whose Origin is not KEYSLIP_BASE_URL's, or that the browser marks cross-site
 * or same-site. The Host header is not consulted: it is whatever the client (or a misconfigured
 * proxy) says, so it cannot vouch for the origin.
 */
export function assertSameOrigin(config: Pick<Config, 'baseUrl'>, request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new AppError('csrf_failed');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (origin !== new URL(config.baseUrl).origin) throw new AppError('csrf_failed');
}
