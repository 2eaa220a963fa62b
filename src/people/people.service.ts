// The people rules that take several writes: create and edit (deactivation, which ends sessions and
// closes codes too, is an account use case: src/accounts/; the CSV import is people-import.ts).
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import { retryOnConflict, uniqueViolationColumn } from '../db/database.js';
import type { PeopleTable, PersonRow } from '../db/schema.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { newId } from '../lib/id.js';
import { describeProblems } from '../problems.js';
import {
  etagOf,
  NO_CODE,
  ifMatchAdmits,
  searchTextOf,
  toPerson,
  validatePersonInput,
  type Person,
  type PersonInput,
  type ValidPersonFields,
} from './person.js';
import { findPersonById, insertPerson, lockPerson, updatePersonFields } from './people.store.js';

export function conflictError(column: string | null): AppError {
  if (column === 'username')
    return new AppError('username_taken', { fields: [{ field: 'username', code: 'username_taken' }] });
  if (column === 'email') return new AppError('email_taken', { fields: [{ field: 'email', code: 'email_taken' }] });
  if (column === 'employee_id')
    return new AppError('employee_id_taken', { fields: [{ field: 'employeeId', code: 'employee_id_taken' }] });
  return new AppError('conflict');
}

/** A new, unclaimed person's row with its search text; not yet written. */
export function newPersonRow(fields: ValidPersonFields & { name: string }, now: number): PeopleTable {
  const row: PeopleTable = {
    id: newId(now),
    name: fields.name,
    username: fields.username ?? null,
    email: fields.email ?? null,
    employee_id: fields.employee_id ?? null,
    department: fields.department ?? null,
    location: fields.location ?? null,
    title: fields.title ?? null,
    role: fields.role ?? 'member',
    status: 'unclaimed',
    password_hash: null,
    search_text: '',
    failed_sign_ins: 0,
    last_failed_sign_in_at: null,
    created_at: now,
    updated_at: now,
    claimed_at: null,
    last_sign_in_at: null,
    deactivated_at: null,
  };
  row.search_text = searchTextOf(row);
  return row;
}

type OldAndNew = { from: string | null; to: string | null };

/** The fields whose old and new values an update's audit entry records: the role and the identifiers. */
const TRACED_FIELDS = { role: 'role', username: 'username', email: 'email', employee_id: 'employeeId' } as const;

/**
 * Old → new of the role and identifiers an update changed, for its audit entry: who was made an
 * admin, or whose username was changed, must be readable from the log alone.
 */
export function tracedChanges(
  before: Pick<PeopleTable, keyof typeof TRACED_FIELDS>,
  after: Pick<PeopleTable, keyof typeof TRACED_FIELDS>,
): Record<string, OldAndNew> {
  const changes: Record<string, OldAndNew> = {};
  for (const [column, name] of Object.entries(TRACED_FIELDS) as [keyof typeof TRACED_FIELDS, string][]) {
    if (before[column] !== after[column]) changes[name] = { from: before[column], to: after[column] };
  }
  return changes;
}

/**
 * Locks the active admins' rows (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises), in id
 * order. A path that may take an admin away takes these locks *before* the person's own row:
 * when two admins demoted each other, each held its own row and waited for the other's, and
 * PostgreSQL broke the deadlock with an error (a 500).
 */
export async function lockActiveAdmins(trx: Db): Promise<{ id: string }[]> {
  let query = trx
    .selectFrom('people')
    .select('id')
    .where('role', '=', 'admin')
    .where('status', '!=', 'deactivated')
    .orderBy('id');
  if (dialectOf(trx) === 'postgres') query = query.forUpdate();
  return query.execute();
}

/**
 * Keyslip must keep an admin who can act: demoting or deactivating the last one is refused. The
 * admins' rows are locked (lockActiveAdmins) so two admins cannot demote each other at once.
 */
export async function assertAnotherAdminRemains(trx: Db, leavingId: string): Promise<void> {
  const admins = await lockActiveAdmins(trx);
  if (!admins.some((admin) => admin.id !== leavingId)) {
    throw new AppError('conflict', { message: 'Keyslip needs at least one admin: make someone else an admin first.' });
  }
}

/** Writes a new person (a row from newPersonRow) and its audit entry, in the caller's transaction. */
export async function createPersonIn(trx: Db, row: PeopleTable, actor: Actor, now: number): Promise<void> {
  await insertPerson(trx, row);
  const details = { role: row.role };
  await recordAuditEvent(trx, { action: 'person.created', actor, personId: row.id, details, at: now });
}

export async function createPerson(deps: Deps, input: PersonInput, actor: Actor): Promise<Person> {
  const checked = validatePersonInput(input, { creating: true });
  if (!checked.ok)
    throw new AppError('validation_failed', {
      fields: checked.problems,
      message: describeProblems('en', checked.problems),
    });
  const now = deps.clock.now();
  const row = newPersonRow({ ...checked.fields, name: checked.fields.name! }, now);
  try {
    await deps.db.transaction().execute((trx) => createPersonIn(trx, row, actor, now));
  } catch (error) {
    const column = uniqueViolationColumn(error);
    if (column) throw conflictError(column);
    throw error;
  }
  return toPerson({ ...row, ...NO_CODE }, now);
}

export async function getPerson(deps: Deps, id: string): Promise<Person | null> {
  const row = await findPersonById(deps.db, id);
  return row ? toPerson(row, deps.clock.now()) : null;
}

/** Writes checked fields of a person and the audit entry, in the caller's transaction. */
export async function updatePersonIn(
  trx: Db,
  id: string,
  fields: ValidPersonFields,
  actor: Actor,
  now: number,
  options: { ifMatch?: string } = {},
): Promise<Person> {
  if (fields.role !== undefined && fields.role !== 'admin') await lockActiveAdmins(trx);
  const current = await lockPerson(trx, id);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  if (options.ifMatch !== undefined && !ifMatchAdmits(options.ifMatch, etagOf(toPerson(current, now)))) {
    throw new AppError('precondition_failed');
  }
  await assertNotErased(trx, id);
  const next: PersonRow = { ...current, ...fields, updated_at: now };
  if (!next.username && !next.email && !next.employee_id) {
    throw new AppError('validation_failed', { fields: [{ field: 'username', code: 'identity_kept' }] });
  }
  if (current.role === 'admin' && next.role !== 'admin') await assertAnotherAdminRemains(trx, id);
  next.search_text = searchTextOf(next);
  const differs = (key: string): boolean => current[key as keyof PeopleTable] !== next[key as keyof PeopleTable];
  const changed = Object.keys(fields).filter(differs);
  // An unchanged search text is not written: SQLite's search index triggers then do not run.
  const searchText = next.search_text === current.search_text ? {} : { searchText: next.search_text };
  await updatePersonFields(trx, id, fields, { ...searchText, now });
  const details = { changed, ...tracedChanges(current, next) };
  await recordAuditEvent(trx, { action: 'person.updated', actor, personId: id, details, at: now });
  return toPerson(next, now);
}

/** An erased person's record is kept only as an opaque id: it is never filled in again. */
export async function assertNotErased(trx: Db, id: string): Promise<void> {
  const erased = await trx
    .selectFrom('erased_people')
    .select('person_id')
    .where('person_id', '=', id)
    .executeTakeFirst();
  if (erased) throw new AppError('person_erased');
}

export async function updatePerson(
  deps: Deps,
  id: string,
  input: PersonInput,
  actor: Actor,
  options: { ifMatch?: string } = {},
): Promise<Person> {
  const checked = validatePersonInput(input, { creating: false });
  if (!checked.ok)
    throw new AppError('validation_failed', {
      fields: checked.problems,
      message: describeProblems('en', checked.problems),
    });
  const now = deps.clock.now();
  try {
    const update = (trx: Db): Promise<Person> => updatePersonIn(trx, id, checked.fields, actor, now, options);
    return await retryOnConflict(() => deps.db.transaction().execute(update));
  } catch (error) {
    const column = uniqueViolationColumn(error);
    if (column) throw conflictError(column);
    throw error;
  }
}
