import type { Db } from '../db/database.js';
import { everyColumn, prepared } from '../db/prepared.js';
import type { SessionsTable } from '../db/schema.js';

// Compiled once (db/prepared.ts): every sign-in and redemption starts a session.
const sessionInserted = prepared(
  (
    db: Db,
    idHash: string,
    personId: string,
    createdAt: number,
    lastSeenAt: number,
    expiresAt: number,
    userAgent: string | null,
    ip: string | null,
  ) =>
    db.insertInto('sessions').values({
      id_hash: idHash,
      person_id: personId,
      created_at: createdAt,
      last_seen_at: lastSeenAt,
      expires_at: expiresAt,
      user_agent: userAgent,
      ip,
    }),
);

export async function insertSession(db: Db, row: SessionsTable): Promise<void> {
  const { id_hash, person_id, created_at, last_seen_at, expires_at, user_agent, ip } = row;
  await sessionInserted(db, id_hash, person_id, created_at, last_seen_at, expires_at, user_agent, ip);
}

const SESSION_COLUMNS = everyColumn<SessionsTable>()([
  'id_hash',
  'person_id',
  'created_at',
  'last_seen_at',
  'expires_at',
  'user_agent',
  'ip',
]);

// Compiled once: every signed-in page request looks its session up.
const sessionRow = prepared((db: Db, idHash: string) =>
  db.selectFrom('sessions').select(SESSION_COLUMNS).where('id_hash', '=', idHash),
);

export async function findSessionByHash(db: Db, idHash: string): Promise<SessionsTable | null> {
  return (await sessionRow(db, idHash)).rows[0] ?? null;
}

export async function touchSession(db: Db, idHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Ends every session of a person, except `keep` when given; returns how many ended. */
export async function endPersonSessions(db: Db, personId: string, options: { keep?: string } = {}): Promise<number> {
  let query = db.deleteFrom('sessions').where('person_id', '=', personId);
  if (options.keep) query = query.where('id_hash', '!=', options.keep);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listPersonSessions(db: Db, personId: string, now: number): Promise<SessionsTable[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('person_id', '=', personId)
    .where('expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .execute();
}
