// The audit log: a closed set of `noun.past_verb` events, each written in the same transaction as
// the change it records. Details never hold a secret (no code, password, session id or token).
import type { Db } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import { insertRows } from '../db/bulk-insert.js';
import type { AuditEventsTable } from '../db/schema.js';
import { newId } from '../lib/id.js';

export const AUDIT_ACTIONS = [
  'person.created',
  'person.updated',
  'person.deactivated',
  'person.reactivated',
  'person.deprovisioned',
  'person.erased',
  'person.claimed',
  'person.started_over',
  'people.imported',
  'access_code.issued',
  'access_codes.issued',
  'access_code.deactivated',
  'access_codes.deactivated',
  'access_code.redeemed',
  'access_code.failed',
  'access_code.rate_limited',
  'access_code.requested',
  'access_code.failures_tallied',
  'batch.downloaded',
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.rate_limited',
  'session.ended',
  'sessions.ended',
  'password.changed',
  'api_token.created',
  'api_token.revoked',
  'oidc.client_created',
  'oidc.client_deleted',
  'oidc.signed_in',
  'oidc.consented',
  'oidc.keys_rotated',
  'oidc.logout_sent',
  'oidc.logout_failed',
  'area.created',
  'area.renamed',
  'area.updated',
  'area.deleted',
  'area.member_added',
  'area.member_removed',
  'area.manager_added',
  'area.manager_removed',
  'admin_code.requested',
  'admin_code.approved',
  'admin_code.declined',
  'admin_code.expired',
  'admin_code.issued',
  'break_glass.admin_created',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did something: an admin or member (person), an API token, the CLI, or Keyslip itself. */
export interface Actor {
  readonly kind: 'person' | 'token' | 'cli' | 'system' | 'anonymous';
  readonly id: string | null;
  readonly label: string;
  readonly ip?: string | null;
}

export const CLI_ACTOR: Actor = { kind: 'cli', id: null, label: 'cli' };
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, label: 'keyslip' };

export interface AuditEventInput {
  action: AuditAction;
  actor: Actor;
  personId?: string | null;
  /** The area the entry concerns (SPEC §9); required of every entry a manager causes. */
  areaId?: string | null;
  details?: Record<string, unknown>;
  at: number;
}

const AUDIT_COLUMNS: readonly (keyof AuditEventsTable)[] = [
  'id',
  'at',
  'action',
  'actor_id',
  'actor_label',
  'person_id',
  'details',
  'ip',
  'area_id',
];

/** The row an event is stored as (its id made now, from its time). */
export function auditRow(event: AuditEventInput): AuditEventsTable {
  return {
    id: newId(event.at),
    at: event.at,
    action: event.action,
    actor_id: event.actor.id,
    actor_label: event.actor.label,
    person_id: event.personId ?? null,
    details: JSON.stringify(event.details ?? {}),
    ip: event.actor.ip ?? null,
    area_id: event.areaId ?? null,
  };
}

const insertAuditRow = prepared(
  (
    db: Db,
    id: string,
    at: number,
    action: string,
    actorId: string | null,
    actorLabel: string,
    personId: string | null,
    details: string,
    ip: string | null,
    areaId: string | null,
  ) =>
    db.insertInto('audit_events').values({
      id,
      at,
      action,
      actor_id: actorId,
      actor_label: actorLabel,
      person_id: personId,
      details,
      ip,
      area_id: areaId,
    }),
);

export async function recordAuditEvent(db: Db, event: AuditEventInput): Promise<void> {
  const row = auditRow(event);
  await insertAuditRow(
    db,
    row.id,
    row.at,
    row.action,
    row.actor_id,
    row.actor_label,
    row.person_id,
    row.details,
    row.ip,
    row.area_id,
  );
}

/** Many events at once (bulk issue: one per person), in multi-row inserts. */
export async function recordAuditEvents(db: Db, events: readonly AuditEventInput[]): Promise<void> {
  await insertRows(db, 'audit_events', AUDIT_COLUMNS, events.map(auditRow));
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { id: string | null; label: string };
  personId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  /** The area the entry concerns (every entry a manager causes names one). */
  areaId: string | null;
}

export interface AuditFilter {
  personId?: string;
  actorId?: string;
  /** Any of these people (a name search that matched several); empty matches nothing. */
  personIds?: readonly string[];
  /** Done by any of these people. */
  actorIds?: readonly string[];
  /**
   * Leaves out the per-person entries of bulk issues (`access_code.issued` with a batch id):
   * each batch is then one line, its `access_codes.issued` summary, whose recipients are read
   * from the batch's codes.
   */
  foldBatches?: boolean;
  action?: string;
  /** Only entries naming one of these areas (a manager reads their areas' log; an admin filters). */
  areaIds?: readonly string[];
  from?: number;
  to?: number;
  limit: number;
  /** The id of the last event of the previous page (newest first). */
  cursor?: string;
}

export async function listAuditEvents(
  db: Db,
  filter: AuditFilter,
): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.personId) query = query.where('person_id', '=', filter.personId);
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.personIds) query = query.where('person_id', 'in', ['', ...filter.personIds]);
  if (filter.actorIds) query = query.where('actor_id', 'in', ['', ...filter.actorIds]);
  if (filter.foldBatches)
    query = query.where((eb) =>
      eb.or([eb('action', '!=', 'access_code.issued'), eb('details', 'not like', '%"batchId":%')]),
    );
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.areaIds !== undefined) {
    const areas = filter.areaIds;
    if (areas.length === 0) return { items: [], nextCursor: null };
    query = areas.length === 1 ? query.where('area_id', '=', areas[0]!) : query.where('area_id', 'in', areas);
  }
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const events = rows.map(
    (row): AuditEvent => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      action: row.action,
      actor: { id: row.actor_id, label: row.actor_label },
      personId: row.person_id,
      details: JSON.parse(row.details) as Record<string, unknown>,
      ip: row.ip,
      areaId: row.area_id,
    }),
  );
  const merged = [...events, ...(await batchIssuesOf(db, filter))].sort((a, b) => (a.id < b.id ? 1 : -1));
  const page = merged.slice(0, filter.limit);
  return { items: page, nextCursor: merged.length > filter.limit ? page[page.length - 1]!.id : null };
}

/**
 * A person's "access_code.issued" entries of bulk issues made since migration 0011, which are
 * read from the batch's code rows rather than written one per code (issue 14): each code row
 * names person, batch, time and kind, its batch the issuer. Only for a view of particular people
 * (their history, the log's person filter); the whole log shows such a batch as its one
 * "access_codes.issued" entry. The entry's id is the code's: both are UUIDv7, so the two kinds
 * of entry interleave by time and page together.
 */
async function batchIssuesOf(db: Db, filter: AuditFilter): Promise<AuditEvent[]> {
  const people = filter.personId ? [filter.personId] : filter.personIds;
  const applies =
    people !== undefined &&
    !filter.foldBatches &&
    filter.areaIds === undefined &&
    (filter.action === undefined || filter.action === 'access_code.issued');
  if (!applies || people.length === 0) return [];
  let query = db
    .selectFrom('access_codes')
    .innerJoin('batches', 'batches.id', 'access_codes.batch_id')
    .select([
      'access_codes.id',
      'access_codes.person_id',
      'access_codes.kind',
      'access_codes.created_at',
      'access_codes.expires_at',
      'access_codes.batch_id',
      'batches.created_by',
      'batches.actor_label',
    ])
    .where('batches.actor_label', 'is not', null)
    .where('access_codes.person_id', people.length === 1 ? '=' : 'in', people.length === 1 ? people[0]! : people);
  const actors = filter.actorId ? [filter.actorId] : filter.actorIds;
  if (actors) query = query.where('batches.created_by', 'in', ['', ...actors]);
  if (filter.from !== undefined) query = query.where('access_codes.created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('access_codes.created_at', '<', filter.to);
  if (filter.cursor) query = query.where('access_codes.id', '<', filter.cursor);
  const rows = await query
    .orderBy('access_codes.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    at: new Date(row.created_at).toISOString(),
    action: 'access_code.issued',
    actor: { id: actorIdOf(row.created_by, row.actor_label!), label: row.actor_label! },
    personId: row.person_id,
    details: {
      codeId: row.id,
      kind: row.kind,
      expiresAt: new Date(row.expires_at).toISOString(),
      batchId: row.batch_id,
    },
    ip: null,
    areaId: null,
  }));
}

/** A batch records its issuer as the actor's id, or their label when they have no id (the CLI). */
function actorIdOf(createdBy: string | null, label: string): string | null {
  return createdBy === null || createdBy === label ? null : createdBy;
}

/**
 * Counts one event in its address's tally for the window (audit_tallies) instead of writing an
 * entry of its own: under attack the log stays readable and the database grows by one small row
 * per address and window, not one per attempt. An atomic upsert, so parallel requests on any
 * number of instances all count.
 */
const countInTally = prepared((db: Db, action: string, address: string, windowStart: number, at: number) =>
  db
    .insertInto('audit_tallies')
    .values({ action, address, window_start: windowStart, count: 1, first_at: at, last_at: at })
    .onConflict((oc) =>
      oc
        .columns(['action', 'address', 'window_start'])
        .doUpdateSet((eb) => ({ count: eb('audit_tallies.count', '+', 1), last_at: at })),
    ),
);

export async function recordAuditTally(
  db: Db,
  tally: { action: AuditAction; address: string; windowStart: number; at: number },
): Promise<void> {
  await countInTally(db, tally.action, tally.address, tally.windowStart, tally.at);
}
