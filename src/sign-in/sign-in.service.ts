// Sign-in with username (or email) and password. Failures look the same from outside; the audit
// log keeps the real reason. Guessing is slowed per account (a growing delay after 5 failures in
// a row, capped, so a stranger cannot lock anyone out for long) and limited per client address.
import { sql } from 'kysely';
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import type { PeopleTable, PersonRow } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { MINUTE } from '../lib/clock.js';
import { countRateLimited, countSignIn } from '../lib/metrics.js';
import { normaliseEmail, normaliseUsername } from '../people/person.js';
import { writeTogether } from '../db/database.js';
import {
  findPersonByLoginKey,
  type LoginKey,
  type MayTry,
  takeSignInTurn,
  takeSignInTurnByLogin,
} from '../people/people.store.js';
import {
  addressGroupOf,
  refuseOverLimit,
  releaseAttempt,
  reserveAttempt,
  type Window,
} from '../rate-limits/rate-limits.js';
import { newSession, type NewSession, type SessionMeta } from '../sessions/session.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { deleteSession } from '../sessions/sessions.store.js';
import { HashQueueFullError, hashPassword, hashQueueHasRoom, verifyPassword } from './password.js';
import { recordSuccessfulSignIn } from './sign-in.store.js';

/** Failures in a row an account tolerates before each next attempt must wait. */
export const FREE_FAILURES = 5;
/** The longest wait: long enough to make guessing hopeless, short enough not to be a lock-out. */
export const MAX_DELAY_SECONDS = 60;

/** Seconds to wait after `failures` in a row: 1, 2, 4, … after the fifth, capped at a minute. */
export function signInDelaySeconds(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS);
}

let dummyHash: Promise<string> | null = null;
/** Verifying against a throwaway hash when no account matches keeps both answers equally slow. */
function timingDummy(): Promise<string> {
  dummyHash ??= hashPassword('keyslip timing equaliser, never a real password').catch((error: unknown) => {
    dummyHash = null; // a full hashing queue must not poison it for good
    throw error;
  });
  return dummyHash;
}

/** A login (a username, or an email address if it has an @) as it is looked up; null if it names no one. */
function loginKeyOf(login: string): LoginKey | null {
  if (login.includes('@')) {
    const email = normaliseEmail(login);
    return email ? { column: 'email', value: email } : null;
  }
  const username = normaliseUsername(login);
  return username ? { column: 'username', value: username } : null;
}

export async function findPersonByLogin(deps: Pick<Deps, 'db'>, login: string): Promise<PersonRow | null> {
  const key = loginKeyOf(login);
  return key ? findPersonByLoginKey(deps.db, key) : null;
}

/**
 * The account's delay as SQL over the row's own columns, the same numbers as signInDelaySeconds
 * (in ms): 0 below FREE_FAILURES, then doubling from one second, capped at MAX_DELAY_SECONDS.
 */
const CAPPED_FROM = FREE_FAILURES + Math.ceil(Math.log2(MAX_DELAY_SECONDS));
const accountDelayMs = sql<number>`(case
  when failed_sign_ins < ${sql.lit(FREE_FAILURES)} then 0
  when failed_sign_ins >= ${sql.lit(CAPPED_FROM)} then ${sql.lit(MAX_DELAY_SECONDS * 1000)}
  else (1 << (failed_sign_ins - ${sql.lit(FREE_FAILURES)})) * 1000 end)`;

/**
 * Takes the account's turn: counts the attempt as a failure in a row *before* the password is
 * verified, in one conditional update that only applies once the account's delay has passed.
 * Of any number of parallel attempts (on any instance) at most one per delay gets the turn;
 * the others are refused without being evaluated. A success resets the count.
 */
async function takeAccountTurn(db: Db, personId: string, now: number): Promise<boolean> {
  return takeSignInTurn(db, personId, now, accountMayTry);
}

/**
 * The person a login names, and whether the account's turn was taken (takeAccountTurn). Nearly
 * every sign-in gets its turn, and gets it here in one statement that finds and updates the row.
 * When that statement changes nothing (no one has the login, or the account must wait), the
 * person is looked up and the turn tried by id, as two statements: which tells the two cases
 * apart, and gives the answer the lookup-then-turn order gave, also on PostgreSQL, where each
 * statement commits on its own.
 */
async function takeTurnForLogin(
  db: Db,
  login: string,
  now: number,
): Promise<{ person: PersonRow | null; turnTaken: boolean }> {
  const key = loginKeyOf(login);
  if (key === null) return { person: null, turnTaken: false };
  const updated = await takeSignInTurnByLogin(db, key, now, accountMayTry);
  if (updated) return { person: updated, turnTaken: true };
  const person = await findPersonByLoginKey(db, key);
  return { person, turnTaken: person !== null && (await takeAccountTurn(db, person.id, now)) };
}

const accountMayTry: MayTry = (eb, now) =>
  eb.or([
    eb('failed_sign_ins', '<', FREE_FAILURES),
    eb('last_failed_sign_in_at', 'is', null),
    eb(sql<number>`last_failed_sign_in_at + ${accountDelayMs}`, '<=', now),
  ]);

/** Seconds until the account may try again (at least 1: it was just refused). */
async function accountRetryAfterSeconds(db: Db, personId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('people')
    .select(['failed_sign_ins', 'last_failed_sign_in_at'])
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!row || row.last_failed_sign_in_at === null) return 1;
  const waitUntil = row.last_failed_sign_in_at + signInDelaySeconds(row.failed_sign_ins) * 1000;
  return Math.max(1, Math.ceil((waitUntil - now) / 1000));
}

/** Sign-ins in progress on this instance, per address group (the bound answered with 503). */
const signInsInProgress = new Map<string, number>();

function busy(kind: string): AppError {
  countRateLimited({ kind });
  return new AppError('busy', { retryAfterSeconds: 1 });
}

/**
 * `currentSessionHash`: the session the request came with, if any. A sign-in always starts a new
 * session and ends that one (ASVS v5 7.2.4), so no session outlives a re-authentication.
 *
 * Order matters, so that no burst gets more evaluations than the limits allow: a bound on
 * sign-ins in progress per address (503), the address's slot reserved in the database (429),
 * room in the Argon2 queue (503, the slot given back), the account's turn taken (429), and only
 * then Argon2 (503 if the queue filled up meanwhile).
 */
export async function signIn(
  deps: Deps,
  input: { login: string; password: string; client: SessionMeta; currentSessionHash?: string | null },
): Promise<{ person: PersonRow; session: NewSession }> {
  const group = addressGroupOf(input.client.ip);
  const inProgress = signInsInProgress.get(group) ?? 0;
  if (inProgress >= deps.config.signinParallelPerAddress) throw busy('sign_in_parallel');
  signInsInProgress.set(group, inProgress + 1);
  try {
    return await signInInTurn(deps, input, group);
  } finally {
    const left = (signInsInProgress.get(group) ?? 1) - 1;
    if (left > 0) signInsInProgress.set(group, left);
    else signInsInProgress.delete(group);
  }
}

async function signInInTurn(
  deps: Deps,
  input: { login: string; password: string; client: SessionMeta; currentSessionHash?: string | null },
  group: string,
): Promise<{ person: PersonRow; session: NewSession }> {
  const now = deps.clock.now();
  const ipWindow: Window = {
    size: deps.config.rateSigninWindowMinutes * MINUTE,
    limit: deps.config.rateSigninFailures,
  };
  const ipKey = `sign-in:${group}`;
  // The address's slot, room in the Argon2 queue and the account's turn, in that order; on SQLite
  // their writes share one commit (writeTogether).
  const admitted = await writeTogether(deps.db, async (db) => {
    const slot = await reserveAttempt(db, ipKey, ipWindow, now);
    if (!slot.reserved) return { refused: 'address' as const, retryAfterSeconds: slot.retryAfterSeconds };
    // The address's slot is given back whenever the attempt is not a failure (a success, or never
    // evaluated): the limit counts failures, as SPEC §3 says. A full queue is refused before the
    // account's turn is taken, so it never charges the account.
    if (!hashQueueHasRoom()) {
      await releaseAttempt(db, slot.reservation);
      return { refused: 'busy' as const };
    }
    // The person is as updated by the turn (failures in a row counted): a success resets them.
    const { person, turnTaken } = await takeTurnForLogin(db, input.login, now);
    if (person && !turnTaken) {
      await releaseAttempt(db, slot.reservation);
      return { refused: 'account' as const, personId: person.id };
    }
    return { refused: null, slot: slot.reservation, person };
  });
  if (admitted.refused === 'address') {
    throw await refuseOverLimit(deps.db, {
      key: ipKey,
      window: ipWindow,
      now,
      kind: 'sign_in',
      action: 'sign_in.rate_limited',
      ip: input.client.ip,
      retryAfterSeconds: admitted.retryAfterSeconds,
    });
  }
  if (admitted.refused === 'busy') throw busy('password_hashing');
  if (admitted.refused === 'account') {
    countRateLimited({ kind: 'sign_in_account' });
    throw new AppError('rate_limited', {
      retryAfterSeconds: await accountRetryAfterSeconds(deps.db, admitted.personId, now),
    });
  }
  const { slot, person } = admitted;
  const giveBack = (): Promise<void> => releaseAttempt(deps.db, slot);

  const anonymous: Actor = { kind: 'anonymous', id: null, label: 'anonymous', ip: input.client.ip };
  // The failure is already counted (the address's slot, the account's turn); only the audit is left.
  const fail = async (reason: string): Promise<never> => {
    countSignIn({ outcome: 'failed' });
    await recordAuditEvent(deps.db, {
      action: 'sign_in.failed',
      actor: anonymous,
      personId: person?.id ?? null,
      details: { reason, failuresInWindow: slot.count },
      at: now,
    });
    throw new AppError('sign_in_failed');
  };

  let matches: boolean;
  try {
    const hash = person?.password_hash ?? (await timingDummy());
    matches = await verifyPassword(hash, input.password);
  } catch (error) {
    if (!(error instanceof HashQueueFullError)) throw error;
    // The queue filled up since the check above: not evaluated, so the slot goes back.
    await giveBack();
    throw busy('password_hashing');
  }
  if (!person || person.password_hash === null) return fail(person ? 'no_password' : 'unknown_login');
  if (!matches) return fail('wrong_password');
  if (person.status === 'deactivated') return fail('deactivated');

  // A recovery (redemption) or deactivation that committed while the password was being verified
  // replaced the password this sign-in checked and ended every session: the writes apply only to
  // the row as verified (and lock it), so no session outlives such a change.
  const { session, row } = newSession(deps.config, person.id, now, input.client);
  const recorded = await recordSuccessfulSignIn(deps.db, {
    personId: person.id,
    passwordHash: person.password_hash,
    now,
    endSessionHash: input.currentSessionHash ?? null,
    session: row,
    audit: {
      action: 'sign_in.succeeded',
      actor: { kind: 'person', id: person.id, label: person.username ?? person.name, ip: input.client.ip },
      personId: person.id,
      details: {},
      at: now,
    },
    slot,
  });
  if (!recorded) return fail('password_changed');
  countSignIn({ outcome: 'succeeded' });
  return { person: { ...person, failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: now }, session };
}

export async function signOut(
  deps: Deps,
  input: { idHash: string; person: Pick<PeopleTable, 'id' | 'username' | 'name'>; everywhere: boolean },
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const ended = input.everywhere
      ? (await endEverythingOf(trx, input.person.id, now)).sessions
      : await deleteSession(trx, input.idHash);
    await recordAuditEvent(trx, {
      action: input.everywhere ? 'sessions.ended' : 'session.ended',
      actor: { kind: 'person', id: input.person.id, label: input.person.username ?? input.person.name },
      personId: input.person.id,
      details: { count: ended },
      at: now,
    });
    return ended;
  });
}
