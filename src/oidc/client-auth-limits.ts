// Failed client authentications (a wrong client secret, an unknown client) at the token,
// revocation and introspection endpoints count per client address like failed sign-ins
// (KEYSLIP_RATE_SIGNIN_FAILURES per KEYSLIP_RATE_SIGNIN_WINDOW_MINUTES), in the shared
// rate_limits table, so guessing a client secret is as slow as guessing a password.
import type { Deps } from '../deps.js';
import { MINUTE } from '../lib/clock.js';
import { addressGroupOf, readLimit, recordFailure, type LimitState, type Window } from '../rate-limits/rate-limits.js';
import { OIDC_ROUTES } from './oidc.paths.js';

/** The endpoints where apps authenticate themselves. */
export const CLIENT_AUTH_PATHS: readonly string[] = [
  OIDC_ROUTES.token,
  OIDC_ROUTES.revocation,
  OIDC_ROUTES.introspection,
];

function windowOf(deps: Deps): Window {
  return { size: deps.config.rateSigninWindowMinutes * MINUTE, limit: deps.config.rateSigninFailures };
}

function keyOf(ip: string | null): string {
  return `oidc_client_auth:${addressGroupOf(ip)}`;
}

export function clientAuthLimitOf(deps: Deps, ip: string | null): Promise<LimitState> {
  return readLimit(deps.db, keyOf(ip), windowOf(deps), deps.clock.now());
}

export function recordClientAuthFailure(deps: Deps, ip: string | null): Promise<LimitState> {
  return recordFailure(deps.db, keyOf(ip), windowOf(deps), deps.clock.now());
}
