// Showing a newly issued access code exactly once, after POST-redirect-GET, without the code ever
// being in a URL or stored on the server.
//
// Why this design: rendering the code in the POST response would make the browser's reload
// ("resubmit the form?") issue a NEW code and silently void the one just read out. So the POST
// issues and answers 303; the code travels to the following GET in a cookie that is
//   - encrypted and authenticated (AES-256-GCM under a key of its own, derived from the server
//     secret: the browser cannot read or forge it, and it never reaches logs in clear),
//   - HttpOnly, SameSite=Strict, Secure on https, path-scoped to this person's access-code pages,
//     and short-lived (SHOWN_CODE_SECONDS),
//   - bound to the admin's session and to the person (both inside, and as the associated data, so
//     a cookie sealed for another session or person does not even decrypt), and
//   - cleared by the GET that shows it, so a reload shows "no longer shown", never the code.
// The pages that show it send Cache-Control: no-store. A server-side store would not survive a
// restart or work across instances; the cookie needs neither.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { cookieName } from '../http/cookies.js';
import { decrypt, encrypt } from '../lib/keyring.js';

export const SHOWN_CODE_COOKIE = 'keyslip_shown_code';
export const SHOWN_CODE_SECONDS = 120;

export interface ShownCode {
  personId: string;
  /** Grouped for reading. */
  code: string;
  expiresAt: number;
}

interface Sealed {
  s: string;
  p: string;
  c: string;
  e: number;
  t: number;
}

/** The path the cookie is scoped to: only this person's access-code pages ever receive it. */
export function shownCodePath(personId: string): string {
  return `/admin/people/${personId}/access-code`;
}

function cookieOptions(
  deps: Pick<Deps, 'config'>,
  personId: string,
): { httpOnly: true; sameSite: 'strict'; secure: boolean; path: string } {
  return { httpOnly: true, sameSite: 'strict', secure: deps.config.secureCookies, path: shownCodePath(personId) };
}

/** `__Secure-keyslip_shown_code` over https: path-scoped, so it cannot be a `__Host-` cookie. */
function shownCodeCookieName(deps: Pick<Deps, 'config'>): string {
  return cookieName(deps.config, SHOWN_CODE_COOKIE, { pathScoped: true });
}

function associatedData(sessionIdHash: string, personId: string): { associatedData: string } {
  return { associatedData: `${sessionIdHash} ${personId}` };
}

export function putShownCode(
  deps: Pick<Deps, 'config' | 'keyring' | 'clock'>,
  reply: FastifyReply,
  sessionIdHash: string,
  shown: ShownCode,
): void {
  const sealed: Sealed = {
    s: sessionIdHash,
    p: shown.personId,
    c: shown.code,
    e: shown.expiresAt,
    t: deps.clock.now(),
  };
  const value = encrypt(
    deps.keyring,
    'shown code',
    JSON.stringify(sealed),
    associatedData(sessionIdHash, shown.personId),
  );
  const options = { ...cookieOptions(deps, shown.personId), maxAge: SHOWN_CODE_SECONDS };
  reply.setCookie(shownCodeCookieName(deps), value, options);
}

/**
 * Reads and clears the code waiting to be shown for this person in this session; null when
 * there is none (already shown, too old, another session's, or tampered with).
 */
export function takeShownCode(
  deps: Pick<Deps, 'config' | 'keyring' | 'clock'>,
  request: FastifyRequest,
  reply: FastifyReply,
  sessionIdHash: string,
  personId: string,
): ShownCode | null {
  const value = request.cookies[shownCodeCookieName(deps)];
  if (value === undefined) return null;
  reply.clearCookie(shownCodeCookieName(deps), cookieOptions(deps, personId));
  const plain = decrypt(deps.keyring, 'shown code', value, associatedData(sessionIdHash, personId));
  if (plain === null) return null;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(plain) as Sealed;
  } catch {
    return null;
  }
  const age = deps.clock.now() - sealed.t;
  if (sealed.s !== sessionIdHash || sealed.p !== personId || age < 0 || age > SHOWN_CODE_SECONDS * 1000) return null;
  return { personId: sealed.p, code: sealed.c, expiresAt: sealed.e };
}
