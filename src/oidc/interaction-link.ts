// Links between the OpenID Provider's interaction and Keyslip's own pages (/login and
// /work/accesscode). The interaction's uid travels in the URL and in a hidden field: it is not a
// secret (oidc-provider binds the interaction to this browser with its own cookie).
export const INTERACTION_FIELD = 'interaction';

/** oidc-provider's uids are nanoids: 21 URL-safe characters; anything else is ignored. */
export function interactionUidOf(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{10,64}$/.test(value) ? value : null;
}

/** Where the interaction resumes: after a sign-in or a redeemed access code. */
export function interactionPath(uid: string): string {
  return `/oidc/interaction/${uid}`;
}

export function loginPathFor(uid: string, loginHint?: string): string {
  const query = new URLSearchParams({ [INTERACTION_FIELD]: uid });
  if (loginHint && loginHint.length <= 300) query.set('login_hint', loginHint);
  return `/login?${query.toString()}`;
}

/** oidc-provider's own endpoints (not our interaction pages), which identify apps and tokens themselves. */
export function isOidcProtocolPath(path: string): boolean {
  if (path === '/.well-known/openid-configuration') return true;
  return path.startsWith('/oidc/') && !path.startsWith('/oidc/interaction/');
}
