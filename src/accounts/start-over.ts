// "Start over for this person": the fix when an access code reached the wrong person and was
// used. One transaction, one audit entry:
//   1. every Keyslip session and every app's access ends (the wrong person is out everywhere);
//   2. the password the last redemption set is removed, so it no longer opens the account;
//   3. if that redemption was the first claim, the account is unclaimed again, and the username
//      that claim chose is cleared (a username an admin or the import gave is kept: it is the
//      person's, e.g. an HR number, and it is printed on their slip);
//   4. any open code is voided, and a new code is made, to be shown once and handed to the
//      right person.
// A person who never used a code gets steps 1 and 4 (a new code for a slip that went astray).
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { retryOnConflict } from '../db/database.js';
import type { AccessCodesTable, PeopleTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { countCodesIssued } from '../lib/metrics.js';
import { lockPerson, resetCredentials } from '../people/people.store.js';
import { twoPersonRuleOn } from '../access-codes/admin-code-requests.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { formatAccessCode } from '../access-codes/access-code.js';
import { lifetimeFor, newAccessCodeRow, type IssuedAccessCode } from '../access-codes/access-codes.service.js';
import { deactivateOpenAccessCode, insertAccessCode, setPersonCodeState } from '../access-codes/access-codes.store.js';

export interface StartOverPlan {
  /** What the last redemption did and what is undone: a first claim, a recovery, or nothing yet. */
  undo: 'claim' | 'recovery' | 'none';
  /** The username that goes (chosen at the claim being undone); null when the username stays. */
  clearsUsername: string | null;
}

export interface StartedOver extends StartOverPlan {
  code: IssuedAccessCode;
  sessionsEnded: number;
  codesVoided: number;
}

/** The person's latest used code: the redemption being undone. */
async function lastRedemption(db: Db, personId: string): Promise<AccessCodesTable | undefined> {
  return db
    .selectFrom('access_codes')
    .selectAll()
    .where('person_id', '=', personId)
    .where('used_at', 'is not', null)
    .orderBy('used_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Whether the claim at `usedAt` chose the username (rather than confirming one given by an
 * admin): its `person.claimed` entry says so. An entry from before that was recorded says
 * nothing, and then the username is kept; an admin can still change it on the person page.
 */
async function usernameChosenAtClaim(db: Db, personId: string, usedAt: number): Promise<boolean> {
  const claim = await db
    .selectFrom('audit_events')
    .select('details')
    .where('person_id', '=', personId)
    .where('action', '=', 'person.claimed')
    .where('at', '=', usedAt)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!claim) return false;
  return (JSON.parse(claim.details) as { usernameChosen?: unknown }).usernameChosen === true;
}

/** What starting over would undo for this person, as read now (for the confirmation page too). */
export async function planStartOver(db: Db, person: PeopleTable): Promise<StartOverPlan> {
  const last = await lastRedemption(db, person.id);
  if (!last || person.status === 'unclaimed') return { undo: 'none', clearsUsername: null };
  if (last.kind !== 'claim') return { undo: 'recovery', clearsUsername: null };
  const chosen = person.username !== null && (await usernameChosenAtClaim(db, person.id, last.used_at!));
  // The person must keep a way to be told apart: a username goes only if email or employee id stays.
  const identified = person.email !== null || person.employee_id !== null;
  return { undo: 'claim', clearsUsername: chosen && identified ? person.username : null };
}

/** Start over in the caller's transaction (see the file comment). */
export async function startOverIn(
  trx: Db,
  deps: Pick<Deps, 'config' | 'keyring'>,
  options: { personId: string; actor: Actor; now: number; lifetimeHours?: number },
): Promise<StartedOver> {
  const { actor, now } = options;
  const current = await lockPerson(trx, options.personId);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  if (current.status === 'deactivated') throw new AppError('person_deactivated');
  if (actor.kind === 'person' && actor.id === current.id)
    throw new AppError('conflict', { message: 'You cannot start over your own account: ask another admin.' });
  // Starting over ends with a new code: for an admin account that is the two-person rule's to give
  // (SPEC §9), so while it is on, the way is a request that another admin approves.
  if (current.role === 'admin' && (await twoPersonRuleOn(trx))) throw new AppError('admin_code_needs_approval');
  const plan = await planStartOver(trx, current);
  const unclaim = plan.undo === 'claim';
  const status = unclaim ? 'unclaimed' : current.status;
  // The lifetime is checked before anything is written (a claim code's own maximum after unclaiming).
  const lifetimeMs = lifetimeFor(deps, { status }, options.lifetimeHours);

  const ended = await endEverythingOf(trx, current.id, now);
  if (plan.undo !== 'none')
    await resetCredentials(trx, current, { unclaim, clearUsername: plan.clearsUsername !== null, now });
  const codesVoided = await deactivateOpenAccessCode(trx, current.id, now);
  const issuedBy = actor.id ?? actor.label;
  const { row, code } = newAccessCodeRow(
    deps,
    { id: current.id, status },
    { now, lifetimeMs, issuedBy, batchId: null },
  );
  await insertAccessCode(trx, row);
  await setPersonCodeState(trx, [current.id], 'active', row.expires_at);

  const details: Record<string, unknown> = {
    codeId: row.id,
    kind: row.kind,
    expiresAt: new Date(row.expires_at).toISOString(),
    sessionsEnded: ended.sessions,
    appsNotified: ended.appsNotified,
    codesVoided,
    passwordCleared: plan.undo !== 'none',
    backToUnclaimed: unclaim,
  };
  if (plan.clearsUsername !== null) details.usernameCleared = plan.clearsUsername;
  await recordAuditEvent(trx, { action: 'person.started_over', actor, personId: current.id, details, at: now });
  const username = plan.clearsUsername !== null ? null : current.username;
  return {
    ...plan,
    sessionsEnded: ended.sessions,
    codesVoided,
    code: {
      code: formatAccessCode(code),
      expiresAt: row.expires_at,
      person: { id: current.id, username, name: current.name },
    },
  };
}

/** One transaction, retried when PostgreSQL reports a serialisation conflict. */
export async function startOver(
  deps: Deps,
  options: { personId: string; actor: Actor; lifetimeHours?: number },
): Promise<StartedOver> {
  const now = deps.clock.now();
  const done = await retryOnConflict(() =>
    deps.db.transaction().execute((trx) => startOverIn(trx, deps, { ...options, now })),
  );
  countCodesIssued({}, 1);
  return done;
}
