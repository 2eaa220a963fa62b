// Sign-in with username (or email) and password. Failures look the same from outside; the audit
// log keeps the real reason. Guessing is slowed per account (a growing delay after 5 failures in
// a row, capped, so a stranger cannot lock anyone out for long) and limited per client address.
import type { Deps } from '../deps.js';
import type { PeopleTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { MINUTE } from '../lib/clock.js';
import { countRateLimited, countSignIn } from '../http/metrics.js';
import { normaliseEmail, normaliseUsername } from '../people/person.js';
import { findPersonByEmail, findPersonByUsername } from '../people/people.store.js';
import { addressGroupOf, readLimit, recordFailure, type Window } from '../rate-limits/rate-limits.js';
import { createSession, type NewSession, type SessionMeta } from '../sessions/session.js';
import { endEverythingOf } from '../accounts/end-everything.js';
import { deleteSession } from '../sessions/sessions.store.js';
import { hashPassword, verifyPassword } from './password.js';

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
  dummyHash ??= hashPassword('keyslip timing equaliser, never a real password');
  return dummyHash;
}

export async function findPersonByLogin(deps: Deps, login: string): Promise<PeopleTable | null> {
  if (login.includes('@')) {
    const email = normaliseEmail(login);
    return email ? findPersonByEmail(deps.db, email) : null;
  }
  const username = normaliseUsername(login);
  return username ? findPersonByUsername(deps.db, username) : null;
}

/**
 * `currentSessionHash`: the session the request came with, if any. A sign-in always starts a new
 * session and ends that one (ASVS v5 7.2.4), so no session outlives a re-authentication.
 */
export async function signIn(
  deps: Deps,
  input: { login: string; password: string; client: SessionMeta; currentSessionHash?: string | null },
): Promise<{ person: PeopleTable; session: NewSession }> {
  const now = deps.clock.now();
  const ipWindow: Window = { size: deps.config.rateSigninWindowMinutes * MINUTE, limit: deps.config.rateSigninFailures };
  const ipKey = `sign-in:${addressGroupOf(input.client.ip)}`;
  const ipState = await readLimit(deps.db, ipKey, ipWindow, now);
  if (ipState.limited) {
    countRateLimited({ kind: 'sign_in' });
    throw new AppError('rate_limited', { retryAfterSeconds: ipState.retryAfterSeconds });
  }

  const person = await findPersonByLogin(deps, input.login);
  if (person && person.last_failed_sign_in_at !== null) {
    const waitUntil = person.last_failed_sign_in_at + signInDelaySeconds(person.failed_sign_ins) * 1000;
    if (now < waitUntil) {
      countRateLimited({ kind: 'sign_in_account' });
      throw new AppError('rate_limited', { retryAfterSeconds: Math.ceil((waitUntil - now) / 1000) });
    }
  }

  const anonymous: Actor = { kind: 'anonymous', id: null, label: 'anonymous', ip: input.client.ip };
  const fail = async (reason: string): Promise<never> => {
    countSignIn({ outcome: 'failed' });
    await recordFailure(deps.db, ipKey, ipWindow, now);
    await deps.db.transaction().execute(async (trx) => {
      if (person) {
        await trx
          .updateTable('people')
          .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1), last_failed_sign_in_at: now }))
          .where('id', '=', person.id)
          .execute();
      }
      await recordAuditEvent(trx, { action: 'sign_in.failed', actor: anonymous, personId: person?.id ?? null, details: { reason }, at: now });
    });
    throw new AppError('sign_in_failed');
  };

  if (!person || person.password_hash === null) {
    await verifyPassword(await timingDummy(), input.password);
    return fail(person ? 'no_password' : 'unknown_login');
  }
  const matches = await verifyPassword(person.password_hash, input.password);
  if (!matches) return fail('wrong_password');
  if (person.status === 'deactivated') return fail('deactivated');

  const session = await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('people').set({ failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: now }).where('id', '=', person.id).execute();
    if (input.currentSessionHash) await deleteSession(trx, input.currentSessionHash);
    const created = await createSession(trx, deps.config, person.id, now, input.client);
    await recordAuditEvent(trx, {
      action: 'sign_in.succeeded',
      actor: { kind: 'person', id: person.id, label: person.username ?? person.name, ip: input.client.ip },
      personId: person.id,
      details: {},
      at: now,
    });
    return created;
  });
  countSignIn({ outcome: 'succeeded' });
  return { person: { ...person, failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: now }, session };
}

export async function signOut(deps: Deps, input: { idHash: string; person: PeopleTable; everywhere: boolean }): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const ended = input.everywhere ? (await endEverythingOf(trx, input.person.id, now)).sessions : await deleteSession(trx, input.idHash);
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

/** An admin ends every session of a person. */
export async function endSessionsOf(deps: Deps, personId: string, actor: Actor): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const ended = (await endEverythingOf(trx, personId, now)).sessions;
    await recordAuditEvent(trx, { action: 'sessions.ended', actor, personId, details: { count: ended }, at: now });
    return ended;
  });
}
