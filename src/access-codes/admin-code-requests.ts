// The two-person rule (SPEC §9): while two or more active admins exist, a code for an admin
// account is asked for by one admin and approved by another within 24 hours (never the one who
// asked); then the one who asked gets the code, once.
//
// ```mermaid
// stateDiagram-v2
//   [*] --> pending: an admin asks
//   pending --> approved: another admin approves (within 24 h)
//   pending --> declined: another admin (or the one who asked) declines
//   approved --> issued: the one who asked collects the code (within 24 h of approval)
//   pending --> expired
//   approved --> expired
// ```
//
// The code is made when the one who asked collects it, not at approval. Generating it at
// approval would keep a live code for an admin account in the database (encrypted, but readable
// by anyone with the database and the server key) for up to a day, and a request approved but
// never collected would leave that code valid; made at collection, no code exists before the
// requester reads it, it is shown once and never stored (only its hash), and the admin's old
// code stays as it was until then. Every step is one conditional update, so of two approvals,
// two collections or an approval racing a decline, exactly one wins, on any number of instances.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { uniqueViolationColumn } from '../db/database.js';
import type { AdminCodeRequestsTable, AdminCodeRequestStatus } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, SYSTEM_ACTOR, type Actor } from '../audit/audit.js';
import { HOUR } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import { countCodesIssued } from '../lib/metrics.js';
import { findPersonById, lockPerson } from '../people/people.store.js';
import { countActiveAdmins, issueAccessCodeIn, lifetimeFor, type IssuedAccessCode } from './access-codes.service.js';

/** How long a request waits for approval, and then how long the one who asked has to collect. */
export const ADMIN_CODE_REQUEST_HOURS = 24;

export interface AdminCodeRequest {
  id: string;
  person: { id: string; name: string; username: string | null };
  requestedBy: { id: string; name: string; username: string | null };
  requestedAt: string;
  expiresAt: string;
  status: AdminCodeRequestStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  lifetimeHours: number | null;
}

/** Whether the rule applies now: two or more active admins. With one, that admin issues directly. */
export async function twoPersonRuleOn(db: Db): Promise<boolean> {
  return (await countActiveAdmins(db)) >= 2;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

async function toRequest(db: Db, row: AdminCodeRequestsTable): Promise<AdminCodeRequest> {
  const [person, requester] = await Promise.all([
    findPersonById(db, row.person_id),
    findPersonById(db, row.requested_by),
  ]);
  const who = (p: typeof person, id: string) => ({ id, name: p?.name ?? '–', username: p?.username ?? null });
  return {
    id: row.id,
    person: who(person, row.person_id),
    requestedBy: who(requester, row.requested_by),
    requestedAt: new Date(row.requested_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    status: row.status,
    decidedBy: row.decided_by,
    decidedAt: iso(row.decided_at),
    lifetimeHours: row.lifetime_hours,
  };
}

/** Closes (and audits) every open request whose time has run out. Run before any read or step. */
export async function expireAdminCodeRequests(deps: Pick<Deps, 'db' | 'clock'>): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('admin_code_requests')
    .select(['id', 'person_id', 'status'])
    .where('status', 'in', ['pending', 'approved'])
    .where('expires_at', '<=', now)
    .execute();
  let expired = 0;
  for (const row of due) {
    await deps.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('admin_code_requests')
        .set({ status: 'expired' })
        .where('id', '=', row.id)
        .where('status', '=', row.status)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return;
      expired += 1;
      await recordAuditEvent(trx, {
        action: 'admin_code.expired',
        actor: SYSTEM_ACTOR,
        personId: row.person_id,
        details: { requestId: row.id, was: row.status },
        at: now,
      });
    });
  }
  return expired;
}

/** An admin asks for a code for an admin account (perhaps their own). */
export async function requestAdminCode(
  deps: Deps,
  options: { personId: string; actor: Actor; lifetimeHours?: number },
): Promise<AdminCodeRequest> {
  await expireAdminCodeRequests(deps);
  const requester = options.actor.id;
  if (options.actor.kind !== 'person' || !requester) throw new AppError('admin_code_needs_approval');
  const person = await findPersonById(deps.db, options.personId);
  if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
  if (person.role !== 'admin') throw new AppError('bad_request', { message: 'Only admin accounts need a request.' });
  if (person.status === 'deactivated') throw new AppError('person_deactivated');
  if (options.lifetimeHours !== undefined) lifetimeFor(deps, person, options.lifetimeHours);
  const now = deps.clock.now();
  const row: AdminCodeRequestsTable = {
    id: newId(now),
    person_id: person.id,
    requested_by: requester,
    requested_at: now,
    expires_at: now + ADMIN_CODE_REQUEST_HOURS * HOUR,
    status: 'pending',
    decided_by: null,
    decided_at: null,
    issued_at: null,
    lifetime_hours: options.lifetimeHours ?? null,
  };
  try {
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('admin_code_requests').values(row).execute();
      await recordAuditEvent(trx, {
        action: 'admin_code.requested',
        actor: options.actor,
        personId: person.id,
        details: { requestId: row.id, expiresAt: new Date(row.expires_at).toISOString() },
        at: now,
      });
    });
  } catch (error) {
    if (uniqueViolationColumn(error) !== null) throw new AppError('admin_code_request_open');
    throw error;
  }
  return toRequest(deps.db, row);
}

export async function getAdminCodeRequest(deps: Deps, id: string): Promise<AdminCodeRequest | null> {
  await expireAdminCodeRequests(deps);
  const row = await deps.db.selectFrom('admin_code_requests').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRequest(deps.db, row) : null;
}

/** The open requests (pending or approved), oldest first. */
export async function listOpenAdminCodeRequests(deps: Deps): Promise<AdminCodeRequest[]> {
  await expireAdminCodeRequests(deps);
  const rows = await deps.db
    .selectFrom('admin_code_requests')
    .selectAll()
    .where('status', 'in', ['pending', 'approved'])
    .orderBy('requested_at')
    .orderBy('id')
    .limit(200)
    .execute();
  return Promise.all(rows.map((row) => toRequest(deps.db, row)));
}

/** Requests waiting for this admin's approval: pending, asked for by someone else. */
export async function countAwaitingApproval(deps: Pick<Deps, 'db' | 'clock'>, adminId: string): Promise<number> {
  const row = await deps.db
    .selectFrom('admin_code_requests')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending')
    .where('expires_at', '>', deps.clock.now())
    .where('requested_by', '!=', adminId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function decide(
  deps: Deps,
  options: { id: string; actor: Actor; to: 'approved' | 'declined' },
): Promise<AdminCodeRequest> {
  await expireAdminCodeRequests(deps);
  const decider = options.actor.id;
  if (options.actor.kind !== 'person' || !decider) throw new AppError('admin_code_needs_approval');
  const now = deps.clock.now();
  const row = await deps.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('admin_code_requests')
      .selectAll()
      .where('id', '=', options.id)
      .executeTakeFirst();
    if (!current) throw new AppError('not_found', { message: 'No request with that id.' });
    // Never the same person: the one who asked may withdraw (decline) their request, not approve it.
    if (options.to === 'approved' && current.requested_by === decider) {
      throw new AppError('forbidden', { message: 'A second admin must approve this request, not the one who asked.' });
    }
    const set =
      options.to === 'approved'
        ? {
            status: 'approved' as const,
            decided_by: decider,
            decided_at: now,
            expires_at: now + ADMIN_CODE_REQUEST_HOURS * HOUR,
          }
        : {
            status: 'declined' as const,
            decided_by: current.requested_by === decider ? null : decider,
            decided_at: now,
          };
    const result = await trx
      .updateTable('admin_code_requests')
      .set(set)
      .where('id', '=', options.id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new AppError('admin_code_request_closed');
    await recordAuditEvent(trx, {
      action: options.to === 'approved' ? 'admin_code.approved' : 'admin_code.declined',
      actor: options.actor,
      personId: current.person_id,
      details: { requestId: current.id, requestedBy: current.requested_by },
      at: now,
    });
    return { ...current, ...set };
  });
  return toRequest(deps.db, row);
}

/** Another admin approves: the one who asked may then collect the code within 24 hours. */
export function approveAdminCodeRequest(deps: Deps, options: { id: string; actor: Actor }): Promise<AdminCodeRequest> {
  return decide(deps, { ...options, to: 'approved' });
}

/** Another admin declines (or the one who asked withdraws). */
export function declineAdminCodeRequest(deps: Deps, options: { id: string; actor: Actor }): Promise<AdminCodeRequest> {
  return decide(deps, { ...options, to: 'declined' });
}

/**
 * The one who asked collects the approved code, in one transaction: the request is closed (a
 * conditional update: of two collections one wins), the code made, both audited. Should the issue
 * fail (the admin was deactivated meanwhile), all of it rolls back and the request stays approved.
 */
export async function collectAdminCode(
  deps: Deps,
  options: { id: string; actor: Actor },
): Promise<{ request: AdminCodeRequest; issued: IssuedAccessCode }> {
  await expireAdminCodeRequests(deps);
  const now = deps.clock.now();
  const row = await deps.db
    .selectFrom('admin_code_requests')
    .selectAll()
    .where('id', '=', options.id)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', { message: 'No request with that id.' });
  if (row.requested_by !== options.actor.id) {
    throw new AppError('forbidden', { message: 'Only the admin who asked for this code can collect it.' });
  }
  const issued = await deps.db.transaction().execute(async (trx) => {
    const taken = await trx
      .updateTable('admin_code_requests')
      .set({ status: 'issued', issued_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'approved')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) throw new AppError('admin_code_request_closed');
    const person = await lockPerson(trx, row.person_id);
    if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
    const code = await issueAccessCodeIn(trx, deps, person, {
      actor: options.actor,
      now,
      approvedRequestId: row.id,
      ...(row.lifetime_hours !== null ? { lifetimeHours: row.lifetime_hours } : {}),
    });
    await recordAuditEvent(trx, {
      action: 'admin_code.issued',
      actor: options.actor,
      personId: row.person_id,
      details: { requestId: row.id, approvedBy: row.decided_by },
      at: now,
    });
    return code;
  });
  countCodesIssued({}, 1);
  return { request: await toRequest(deps.db, { ...row, status: 'issued', issued_at: now }), issued };
}
