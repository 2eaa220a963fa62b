// Delivers the queued Back-Channel Logout tokens (OpenID Connect Back-Channel Logout 1.0): a
// signed logout_token POSTed to each app's backchannel_logout_uri, retried with exponential
// backoff (30 s, 1 min, 2 min … at most 1 h apart) until MAX_ATTEMPTS, all from the database,
// so any instance can deliver and a restart loses nothing. Each row is claimed with a conditional
// update first, so two instances never send the same notice at once.
import type { Deps } from '../deps.js';
import type { OidcLogoutOutboxTable } from '../db/schema.js';
import { recordAuditEvent, SYSTEM_ACTOR } from '../audit/audit.js';
import { MINUTE, HOUR } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import { loadSigningKeys } from './oidc-keys.js';

export const MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30_000;
/** How long a claimed row is left alone while one instance delivers it. */
const CLAIM_MS = MINUTE;
const REQUEST_TIMEOUT_MS = 5_000;
const BATCH = 20;

export function nextAttemptDelayMs(attempts: number): number {
  return Math.min(HOUR, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

export type LogoutPoster = (uri: string, body: URLSearchParams) => Promise<number>;

const postForm: LogoutPoster = async (uri, body) => {
  const response = await fetch(uri, {
    method: 'POST',
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  await response.body?.cancel();
  return response.status;
};

async function logoutTokenFor(deps: Deps, row: OidcLogoutOutboxTable, now: number): Promise<string> {
  // Loaded when there is a notice to sign: the server checks the outbox every few seconds from
  // its start, and most of those checks find nothing.
  const { importJWK, SignJWT } = await import('jose');
  const keys = await loadSigningKeys(deps.db, deps.keyring, now);
  const jwk = keys.jwks.find((key) => key.alg === 'RS256')!;
  const key = await importJWK(jwk, 'RS256');
  const iat = Math.floor(now / 1000);
  return new SignJWT({
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...(row.sid ? { sid: row.sid } : {}),
  })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
    .setIssuer(deps.config.baseUrl)
    .setAudience(row.client_id)
    .setSubject(row.person_id)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 120)
    .setJti(randomToken(16))
    .sign(key);
}

/** Delivers what is due now; returns how many were delivered. Called by the server every few seconds. */
export async function deliverDueLogouts(deps: Deps, options: { post?: LogoutPoster } = {}): Promise<number> {
  const post = options.post ?? postForm;
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('oidc_logout_outbox')
    .selectAll()
    .where('delivered_at', 'is', null)
    .where('gave_up_at', 'is', null)
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(BATCH)
    .execute();
  let delivered = 0;
  for (const row of due) {
    const claimed = await deps.db
      .updateTable('oidc_logout_outbox')
      .set({ next_attempt_at: now + CLAIM_MS, attempts: row.attempts + 1 })
      .where('id', '=', row.id)
      .where('attempts', '=', row.attempts)
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue; // another instance has it
    const attempts = row.attempts + 1;
    let problem: string | null;
    try {
      const status = await post(row.uri, new URLSearchParams({ logout_token: await logoutTokenFor(deps, row, now) }));
      problem = status >= 200 && status < 300 ? null : `HTTP ${status}`;
    } catch (error) {
      problem = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network error';
    }
    const at = deps.clock.now();
    const details = { clientId: row.client_id, attempts, ...(problem ? { problem } : {}) };
    await deps.db.transaction().execute(async (trx) => {
      if (problem === null) {
        await trx
          .updateTable('oidc_logout_outbox')
          .set({ delivered_at: at, last_problem: null })
          .where('id', '=', row.id)
          .execute();
        await recordAuditEvent(trx, {
          action: 'oidc.logout_sent',
          actor: SYSTEM_ACTOR,
          personId: row.person_id,
          details,
          at,
        });
      } else if (attempts >= MAX_ATTEMPTS) {
        await trx
          .updateTable('oidc_logout_outbox')
          .set({ gave_up_at: at, last_problem: problem })
          .where('id', '=', row.id)
          .execute();
        await recordAuditEvent(trx, {
          action: 'oidc.logout_failed',
          actor: SYSTEM_ACTOR,
          personId: row.person_id,
          details,
          at,
        });
      } else {
        await trx
          .updateTable('oidc_logout_outbox')
          .set({ next_attempt_at: at + nextAttemptDelayMs(attempts), last_problem: problem })
          .where('id', '=', row.id)
          .execute();
      }
    });
    if (problem === null) delivered += 1;
  }
  return delivered;
}
