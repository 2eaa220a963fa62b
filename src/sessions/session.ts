// Sessions: the id is 256 random bits, known only to the browser's cookie; the database keeps
// its SHA-256, so a stolen database copy cannot be replayed as a session.
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { SessionsTable } from '../db/schema.js';
import { MINUTE } from '../lib/clock.js';
import { randomToken, sha256 } from '../lib/random.js';
import type { SignedInPerson } from '../people/person.js';
import { findSignedInPerson } from '../people/people.store.js';
import { deleteSession, findSessionByHash, insertSession, touchSession } from './sessions.store.js';

export const SESSION_COOKIE = 'keyslip_session';

export interface NewSession {
  /** The secret for the cookie; never stored, never logged. */
  token: string;
  idHash: string;
  expiresAt: number;
}

export interface SessionMeta {
  ip: string | null;
  userAgent: string | null;
}

export async function createSession(
  db: Db,
  config: Config,
  personId: string,
  now: number,
  meta: SessionMeta,
): Promise<NewSession> {
  const { session, row } = newSession(config, personId, now, meta);
  await insertSession(db, row);
  return session;
}

/** A new session (its secret) and the row that stores it, for the caller to insert. */
export function newSession(
  config: Config,
  personId: string,
  now: number,
  meta: SessionMeta,
): { session: NewSession; row: SessionsTable } {
  const token = randomToken(32);
  const idHash = sha256(token);
  const expiresAt = now + config.sessionAbsoluteHours * 60 * MINUTE;
  const row: SessionsTable = {
    id_hash: idHash,
    person_id: personId,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    user_agent: meta.userAgent?.slice(0, 300) ?? null,
    ip: meta.ip,
  };
  return { session: { token, idHash, expiresAt }, row };
}

export interface CurrentSession {
  session: SessionsTable;
  /** Without the password hash: a request never carries it. */
  person: SignedInPerson;
}

/**
 * The live session for a cookie value, or null. A session ends at its absolute expiry, after
 * the idle timeout, or when its person is deactivated. last_seen_at is written at most once a
 * minute, so reading pages does not turn every request into a database write.
 */
export async function resolveSession(
  db: Db,
  config: Config,
  token: string,
  now: number,
): Promise<CurrentSession | null> {
  if (token.length < 20 || token.length > 100) return null;
  const idHash = sha256(token);
  const session = await findSessionByHash(db, idHash);
  if (!session) return null;
  const idleLimit = session.last_seen_at + config.sessionIdleMinutes * MINUTE;
  if (now >= session.expires_at || now >= idleLimit) {
    await deleteSession(db, idHash);
    return null;
  }
  const person = await findSignedInPerson(db, session.person_id);
  if (!person || person.status === 'deactivated') return null;
  if (now - session.last_seen_at > MINUTE) await touchSession(db, idHash, now);
  return { session, person };
}
