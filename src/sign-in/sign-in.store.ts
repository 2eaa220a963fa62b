// The writes of a successful sign-in, all or nothing. On SQLite they are one transaction of four
// statements, each a few microseconds in this process. On PostgreSQL each statement is a round
// trip to the server, and the transaction's BEGIN and COMMIT are two more: there the same writes
// are one statement (data-modifying WITH clauses, committed on their own), which cost the server
// and this process about a third of a sign-in's work besides Argon2.
import { sql } from 'kysely';
import { type AuditEventInput, auditRow, recordAuditEvent } from '../audit/audit.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { SessionsTable } from '../db/schema.js';
import { recordSignIn } from '../people/people.store.js';
import { releaseAttempt, type Reservation } from '../rate-limits/rate-limits.js';
import { deleteSession, insertSession } from '../sessions/sessions.store.js';

export interface SignInWrites {
  personId: string;
  /** The password hash that was verified: nothing is written if the person's has changed since. */
  passwordHash: string;
  now: number;
  /** The session the request came with, which the new one replaces. */
  endSessionHash: string | null;
  session: SessionsTable;
  audit: AuditEventInput;
  /** The address's slot, given back: a success is not a failure. */
  slot: Reservation;
}

/**
 * Records a successful sign-in: the person's failures in a row forgiven (recordSignIn), the
 * request's old session ended, the new session and the audit entry written, the address's slot
 * given back. False, with nothing written, when the person was deactivated or their password
 * replaced (a recovery) since it was verified: recordSignIn's update, which on PostgreSQL also
 * locks the person's row, comes first and gates the rest.
 */
export async function recordSuccessfulSignIn(db: Db, writes: SignInWrites): Promise<boolean> {
  if (dialectOf(db) === 'postgres') return recordInOneStatement(db, writes);
  return db.transaction().execute(async (trx) => {
    if (!(await recordSignIn(trx, writes.personId, writes.passwordHash, writes.now))) return false;
    if (writes.endSessionHash) await deleteSession(trx, writes.endSessionHash);
    await insertSession(trx, writes.session);
    await recordAuditEvent(trx, writes.audit);
    await releaseAttempt(trx, writes.slot);
    return true;
  });
}

async function recordInOneStatement(db: Db, writes: SignInWrites): Promise<boolean> {
  const { personId, passwordHash, now, endSessionHash, session, slot } = writes;
  const audit = auditRow(writes.audit);
  const result = await signInRecorded(
    db,
    personId,
    passwordHash,
    now,
    endSessionHash,
    [
      session.id_hash,
      session.person_id,
      session.created_at,
      session.last_seen_at,
      session.expires_at,
      session.user_agent,
      session.ip,
    ],
    [
      audit.id,
      audit.at,
      audit.action,
      audit.actor_id,
      audit.actor_label,
      audit.person_id,
      audit.details,
      audit.ip,
      audit.area_id,
    ],
    slot.key,
    slot.windowStart,
  );
  return Number(result.rows[0]?.signed ?? 0) === 1;
}

/** A sessions row, column by column in the table's order (SessionsTable). */
type SessionValues = [string, string, number, number, number, string | null, string | null];
/** An audit_events row, column by column in the table's order (AuditEventsTable). */
type AuditValues = [string, number, string, string | null, string, string | null, string, string | null, string | null];

/**
 * PostgreSQL: recordSignIn's conditional update, then what the transaction would write, each
 * written only if that update matched (`from signed`, `exists (select from signed)`), in one
 * statement. The person's row is locked first (the others read what `signed` returned) and the
 * address's counter row after it, as in the transaction; both only until this statement commits.
 * The values are cast: in a SELECT list a parameter's type is not taken from the column it fills.
 * The columns are spelled out: a column added to sessions or audit_events must be added here too.
 */
const signInRecorded = prepared(
  (
    db: Db,
    personId: string,
    passwordHash: string,
    now: number,
    endSessionHash: string | null,
    session: SessionValues,
    audit: AuditValues,
    slotKey: string,
    slotStart: number,
  ) => {
    const [idHash, sessionPerson, createdAt, lastSeenAt, expiresAt, userAgent, sessionIp] = session;
    const [auditId, at, action, actorId, actorLabel, auditPerson, details, auditIp, areaId] = audit;
    const query = sql<{ signed: number }>`with signed as (
        update people set failed_sign_ins = 0, last_failed_sign_in_at = null, last_sign_in_at = ${now}
        where id = ${personId} and password_hash = ${passwordHash} and status <> 'deactivated'
        returning id),
      ended as (delete from sessions where id_hash = ${endSessionHash} and exists (select from signed)),
      started as (
        insert into sessions (id_hash, person_id, created_at, last_seen_at, expires_at, user_agent, ip)
        select ${idHash}::text, ${sessionPerson}::text, ${createdAt}::bigint, ${lastSeenAt}::bigint,
          ${expiresAt}::bigint, ${userAgent}::text, ${sessionIp}::text from signed),
      audited as (
        insert into audit_events (id, at, action, actor_id, actor_label, person_id, details, ip, area_id)
        select ${auditId}::text, ${at}::bigint, ${action}::text, ${actorId}::text, ${actorLabel}::text,
          ${auditPerson}::text, ${details}::text, ${auditIp}::text, ${areaId}::text from signed),
      released as (
        update rate_limits set count = count - 1
        where key = ${slotKey} and window_start = ${slotStart} and count > 0 and exists (select from signed))
      select count(*) as signed from signed`;
    return { compile: () => query.compile(db) };
  },
);
