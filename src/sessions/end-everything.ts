// Ending everything of a person: Keyslip's sessions and, through §8, every app's access — the
// OpenID Provider's sessions, grants, codes and tokens — and, for each app the person used that
// has a backchannel_logout_uri, a Back-Channel Logout token queued for delivery. All of it in the
// caller's transaction, so the person's access and the apps' notices are decided together.
// Used by sign-out-everywhere, recovery with an access code, deactivation and an admin ending
// a person's sessions.
import type { Db } from '../db/database.js';
import { newId } from '../lib/id.js';
import { endPersonSessions } from './sessions.store.js';

export interface EndedEverything {
  /** Keyslip sessions ended. */
  sessions: number;
  /** Back-Channel Logout tokens queued (one per app session that asked for them). */
  appsNotified: number;
}

interface OidcSessionPayload {
  authorizations?: Record<string, { sid?: string }>;
}

/** The apps (and their session ids) the person signed in to, from the provider's state. */
async function appSessionsOf(trx: Db, personId: string): Promise<Map<string, Set<string | null>>> {
  const rows = await trx
    .selectFrom('oidc_payloads')
    .select(['model', 'payload'])
    .where('account_id', '=', personId)
    .where('model', 'in', ['Session', 'Grant'])
    .execute();
  const apps = new Map<string, Set<string | null>>();
  const add = (clientId: string, sid: string | null): void => {
    const sids = apps.get(clientId) ?? new Set<string | null>();
    sids.add(sid);
    apps.set(clientId, sids);
  };
  for (const row of rows) {
    const payload = JSON.parse(row.payload) as OidcSessionPayload & { clientId?: string };
    if (row.model === 'Session') {
      for (const [clientId, authorization] of Object.entries(payload.authorizations ?? {}))
        add(clientId, authorization.sid ?? null);
    } else if (typeof payload.clientId === 'string' && !apps.has(payload.clientId)) {
      // A grant without a live session (e.g. only a refresh token): the app is told without a sid.
      add(payload.clientId, null);
    }
  }
  // A sid-less notice is only needed where no session named the app.
  for (const sids of apps.values()) if (sids.size > 1) sids.delete(null);
  return apps;
}

/**
 * Ends every Keyslip session of the person (except `keep`, a session just created) and all of
 * the person's OpenID Provider state, and queues the apps' logout tokens. Run it inside a transaction.
 */
export async function endEverythingOf(
  trx: Db,
  personId: string,
  now: number,
  options: { keep?: string } = {},
): Promise<EndedEverything> {
  const sessions = await endPersonSessions(trx, personId, options.keep ? { keep: options.keep } : {});
  const apps = await appSessionsOf(trx, personId);
  let appsNotified = 0;
  if (apps.size > 0) {
    const clients = await trx
      .selectFrom('oidc_clients')
      .select(['client_id', 'backchannel_logout_uri'])
      .where('client_id', 'in', [...apps.keys()])
      .where('backchannel_logout_uri', 'is not', null)
      .execute();
    const rows = clients.flatMap((client) =>
      [...(apps.get(client.client_id) ?? [])].map((sid) => ({
        id: newId(now),
        client_id: client.client_id,
        person_id: personId,
        sid,
        uri: client.backchannel_logout_uri!,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        delivered_at: null,
        gave_up_at: null,
        last_problem: null,
      })),
    );
    if (rows.length > 0) await trx.insertInto('oidc_logout_outbox').values(rows).execute();
    appsNotified = rows.length;
  }
  // Sessions, grants, codes, access and refresh tokens: the apps' access ends with Keyslip's.
  await trx.deleteFrom('oidc_payloads').where('account_id', '=', personId).execute();
  return { sessions, appsNotified };
}
