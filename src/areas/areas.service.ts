// Areas (SPEC §9): create, rename, delete, members and managers, and a person's areas set at
// once (the import). Each change and its audit entry (naming the area) are one transaction.
// The `…In(trx)` cores take the caller's transaction, so other use cases (SCIM Groups, the CSV
// import) compose them into their own.
//
// Lock order, on PostgreSQL: an area's row (FOR NO KEY UPDATE, which leaves the membership
// inserts' foreign-key checks free to proceed), then the active admins and the person (when a
// role changes, as people.service does). retryOnConflict is the net under any other order.
import { recordAuditEvent, recordAuditEvents, type Actor, type AuditEventInput } from '../audit/audit.js';
import { retryOnConflict, uniqueViolationColumn, type Db } from '../db/database.js';
import type { AreasTable } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { newId } from '../lib/id.js';
import { describeProblem, type FieldProblem } from '../problems.js';
import { updatePersonIn } from '../people/people.service.js';
import { findPersonById } from '../people/people.store.js';
import { areaNameKey, cleanAreaName, toArea, type Area, type AreaRef } from './area.js';
import {
  areaIdsOfPeople,
  areaRefsOfPeople,
  countAreaRows,
  deleteAreaPerson,
  deleteAreaRow,
  findAreaRow,
  findAreaRowByKey,
  findAreasByKeys,
  insertArea,
  insertAreaPerson,
  insertAreas,
  listAreaPeople,
  listAreaRows,
  lockArea,
  renameAreaRow,
  touchArea,
  type AreaPageCursor,
  type AreaPersonRow,
  type AreaRoleTable,
} from './areas.store.js';

const AREA_NOT_FOUND = 'No area with that id.';
const PERSON_NOT_FOUND = 'No person with that id.';

function invalidName(): AppError {
  const problem: FieldProblem = { field: 'name', code: 'area_name_invalid' };
  return new AppError('validation_failed', { message: describeProblem('en', problem), fields: [problem] });
}

function nameTaken(): AppError {
  const problem: FieldProblem = { field: 'name', code: 'area_name_taken' };
  return new AppError('conflict', { message: describeProblem('en', problem), fields: [problem] });
}

/** The name checked and cleaned, or validation_failed. */
export function checkAreaName(input: unknown): string {
  const name = typeof input === 'string' ? cleanAreaName(input) : null;
  if (name === null) throw invalidName();
  return name;
}

/** Runs a use case in its own transaction, retried on a PostgreSQL deadlock; a name clash is 409. */
async function inTransaction<T>(deps: Deps, run: (trx: Db) => Promise<T>): Promise<T> {
  try {
    return await retryOnConflict(() => deps.db.transaction().execute(run));
  } catch (error) {
    if (uniqueViolationColumn(error) === 'name_key') throw nameTaken();
    throw error;
  }
}

async function lockAreaFor(trx: Db, id: string): Promise<AreasTable> {
  const area = await lockArea(trx, id);
  if (!area) throw new AppError('not_found', { message: AREA_NOT_FOUND });
  return area;
}

// --- reading -------------------------------------------------------------------------------

export async function getArea(db: Db, id: string): Promise<Area | null> {
  const row = await findAreaRow(db, id);
  return row ? toArea(row) : null;
}

/** The area with this name, compared folded (NFKC, lower case, trimmed), or null. */
export async function findAreaByName(db: Db, name: string): Promise<Area | null> {
  const row = await findAreaRowByKey(db, areaNameKey(name));
  return row ? toArea(row) : null;
}

/**
 * One page of areas in name order, after a cursor (`after`) or, for SCIM's startIndex, after
 * skipping `offset` areas; `q` narrows to names holding it (compared folded).
 */
export async function listAreas(
  db: Db,
  options: { q?: string; limit: number; after: AreaPageCursor | null; offset?: number },
): Promise<{ items: Area[]; next: AreaPageCursor | null }> {
  const q = options.q === undefined ? '' : areaNameKey(options.q);
  const page = await listAreaRows(db, { ...options, q });
  return { items: page.rows.map(toArea), next: page.next };
}

export async function countAreas(db: Db, options: { q?: string } = {}): Promise<number> {
  return countAreaRows(db, { q: options.q === undefined ? '' : areaNameKey(options.q) });
}

/** One page of an area's members (or managers) in name order. */
export async function listAreaMembers(
  db: Db,
  areaId: string,
  options: { managers?: boolean; limit: number; after: AreaPageCursor | null },
): Promise<{ rows: AreaPersonRow[]; next: AreaPageCursor | null }> {
  return listAreaPeople(db, options.managers ? 'area_managers' : 'area_members', areaId, options);
}

/** The areas a person is a member of, in name order. */
export async function areasOfPerson(db: Db, personId: string): Promise<AreaRef[]> {
  return (await areaRefsOfPeople(db, 'area_members', [personId])).get(personId) ?? [];
}

/** The areas a person manages, in name order. */
export async function areasManagedBy(db: Db, personId: string): Promise<AreaRef[]> {
  return (await areaRefsOfPeople(db, 'area_managers', [personId])).get(personId) ?? [];
}

/** The member areas of many people at once (a page of search results): one query. */
export async function areasOfPeople(db: Db, personIds: readonly string[]): Promise<Map<string, AreaRef[]>> {
  return areaRefsOfPeople(db, 'area_members', personIds);
}

// --- the area itself -----------------------------------------------------------------------

export async function createAreaIn(trx: Db, name: string, actor: Actor, now: number): Promise<AreasTable> {
  const clean = checkAreaName(name);
  const row: AreasTable = {
    id: newId(now),
    name: clean,
    name_key: areaNameKey(clean),
    created_at: now,
    updated_at: now,
  };
  // Asked first for a clear answer; the unique index decides under concurrency.
  if (await findAreaRowByKey(trx, row.name_key)) throw nameTaken();
  await insertArea(trx, row);
  await recordAuditEvent(trx, { action: 'area.created', actor, areaId: row.id, details: { name: clean }, at: now });
  return row;
}

export async function createArea(deps: Deps, name: string, actor: Actor): Promise<Area> {
  const now = deps.clock.now();
  const row = await inTransaction(deps, (trx) => createAreaIn(trx, name, actor, now));
  return toArea({ ...row, member_count: 0, manager_count: 0 });
}

export async function renameAreaIn(trx: Db, id: string, name: string, actor: Actor, now: number): Promise<void> {
  const clean = checkAreaName(name);
  const area = await lockAreaFor(trx, id);
  if (area.name === clean) return;
  const key = areaNameKey(clean);
  const other = key === area.name_key ? null : await findAreaRowByKey(trx, key);
  if (other) throw nameTaken();
  await renameAreaRow(trx, id, clean, key, now);
  const details = { from: area.name, to: clean };
  await recordAuditEvent(trx, { action: 'area.renamed', actor, areaId: id, details, at: now });
}

export async function renameArea(deps: Deps, id: string, name: string, actor: Actor): Promise<Area> {
  const now = deps.clock.now();
  await inTransaction(deps, (trx) => renameAreaIn(trx, id, name, actor, now));
  const area = await getArea(deps.db, id);
  if (!area) throw new AppError('not_found', { message: AREA_NOT_FOUND });
  return area;
}

/** Deletes an area with its memberships; the audit entry keeps its name and how many it held. */
export async function deleteAreaIn(trx: Db, id: string, actor: Actor, now: number): Promise<void> {
  await lockAreaFor(trx, id);
  const area = await findAreaRow(trx, id);
  if (!area || !(await deleteAreaRow(trx, id))) throw new AppError('not_found', { message: AREA_NOT_FOUND });
  const details = { name: area.name, members: Number(area.member_count), managers: Number(area.manager_count) };
  await recordAuditEvent(trx, { action: 'area.deleted', actor, areaId: id, details, at: now });
}

export async function deleteArea(deps: Deps, id: string, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await inTransaction(deps, (trx) => deleteAreaIn(trx, id, actor, now));
}

// --- members and managers ------------------------------------------------------------------

const ADDED = { area_members: 'area.member_added', area_managers: 'area.manager_added' } as const;
const REMOVED = { area_members: 'area.member_removed', area_managers: 'area.manager_removed' } as const;

/**
 * Adds a person to an area's members or managers; false when they already were (nothing
 * written). A new manager whose role is `member` becomes a `manager` in the same transaction
 * (audited as a person.updated, role member → manager): making someone an area's manager means
 * they are to act as one. An admin stays an admin. A deactivated person cannot become a manager.
 */
export async function addAreaPersonIn(
  trx: Db,
  table: AreaRoleTable,
  ids: { areaId: string; personId: string },
  actor: Actor,
  now: number,
): Promise<boolean> {
  await lockAreaFor(trx, ids.areaId);
  const person = await findPersonById(trx, ids.personId);
  if (!person) throw new AppError('not_found', { message: PERSON_NOT_FOUND });
  if (table === 'area_managers') {
    if (person.status === 'deactivated') {
      throw new AppError('person_deactivated', { message: 'A deactivated person cannot manage an area.' });
    }
    if (person.role === 'member') await updatePersonIn(trx, person.id, { role: 'manager' }, actor, now);
  }
  if (!(await insertAreaPerson(trx, table, { ...ids, now }))) return false;
  await touchArea(trx, ids.areaId, now);
  await recordAuditEvent(trx, { action: ADDED[table], actor, areaId: ids.areaId, personId: ids.personId, at: now });
  return true;
}

/**
 * Removes a person from an area's members or managers; false when they were not there. A
 * manager who manages no area any more keeps the role (roles change only when an admin says
 * so) and, with no area, acts on no one.
 */
export async function removeAreaPersonIn(
  trx: Db,
  table: AreaRoleTable,
  ids: { areaId: string; personId: string },
  actor: Actor,
  now: number,
): Promise<boolean> {
  await lockAreaFor(trx, ids.areaId);
  if (!(await deleteAreaPerson(trx, table, ids))) return false;
  await touchArea(trx, ids.areaId, now);
  await recordAuditEvent(trx, { action: REMOVED[table], actor, areaId: ids.areaId, personId: ids.personId, at: now });
  return true;
}

export async function addAreaMember(deps: Deps, areaId: string, personId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps, (trx) => addAreaPersonIn(trx, 'area_members', { areaId, personId }, actor, now));
}

export async function removeAreaMember(deps: Deps, areaId: string, personId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps, (trx) => removeAreaPersonIn(trx, 'area_members', { areaId, personId }, actor, now));
}

export async function addAreaManager(deps: Deps, areaId: string, personId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps, (trx) => addAreaPersonIn(trx, 'area_managers', { areaId, personId }, actor, now));
}

export async function removeAreaManager(deps: Deps, areaId: string, personId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps, (trx) => removeAreaPersonIn(trx, 'area_managers', { areaId, personId }, actor, now));
}

// --- a person's areas at once (the import, the person page) -------------------------------

export interface PersonAreas {
  personId: string;
  /** Area names as given; cleaned and folded here. Empty: the person belongs to no area. */
  names: readonly string[];
}

/**
 * Makes each person a member of exactly the named areas: areas that do not exist yet are
 * created (first spelling wins), memberships not named are removed. Every area created and
 * every membership added or removed is audited, in the caller's transaction. Any invalid name
 * refuses the whole call (the import checks names per row first). `source` goes into the
 * audit details ('import').
 */
export async function setAreasOfPeopleIn(
  trx: Db,
  entries: readonly PersonAreas[],
  actor: Actor,
  now: number,
  options: { source?: string } = {},
): Promise<void> {
  if (entries.length === 0) return;
  const extra = options.source ? { source: options.source } : {};
  const wanted = new Map<string, Set<string>>(); // person → folded names
  const spelling = new Map<string, string>(); // folded name → the first clean spelling
  for (const entry of entries) {
    const keys = new Set<string>();
    for (const raw of entry.names) {
      const clean = checkAreaName(raw);
      const key = areaNameKey(clean);
      keys.add(key);
      if (!spelling.has(key)) spelling.set(key, clean);
    }
    wanted.set(entry.personId, keys);
  }

  const idByKey = new Map<string, string>();
  for (const area of await findAreasByKeys(trx, [...spelling.keys()])) idByKey.set(area.name_key, area.id);
  const created: AreasTable[] = [];
  for (const [key, name] of spelling) {
    if (idByKey.has(key)) continue;
    const row: AreasTable = { id: newId(now), name, name_key: key, created_at: now, updated_at: now };
    created.push(row);
    idByKey.set(key, row.id);
  }
  await insertAreas(trx, created);
  const events: AuditEventInput[] = created.map((row) => ({
    action: 'area.created',
    actor,
    areaId: row.id,
    details: { name: row.name, ...extra },
    at: now,
  }));

  const personIds = [...wanted.keys()];
  const current = new Map<string, Set<string>>(personIds.map((id) => [id, new Set<string>()]));
  for (const row of await areaIdsOfPeople(trx, 'area_members', personIds)) current.get(row.person_id)!.add(row.area_id);

  const additions: { area_id: string; person_id: string; added_at: number }[] = [];
  const touched = new Set<string>();
  for (const [personId, keys] of wanted) {
    const next = new Set([...keys].map((key) => idByKey.get(key)!));
    const before = current.get(personId)!;
    for (const areaId of next) {
      if (before.has(areaId)) continue;
      additions.push({ area_id: areaId, person_id: personId, added_at: now });
      events.push({ action: 'area.member_added', actor, areaId, personId, details: extra, at: now });
      touched.add(areaId);
    }
    const gone = [...before].filter((areaId) => !next.has(areaId));
    if (gone.length > 0) {
      await trx.deleteFrom('area_members').where('person_id', '=', personId).where('area_id', 'in', gone).execute();
      for (const areaId of gone) {
        events.push({ action: 'area.member_removed', actor, areaId, personId, details: extra, at: now });
        touched.add(areaId);
      }
    }
  }
  for (let i = 0; i < additions.length; i += 300) {
    await trx
      .insertInto('area_members')
      .values(additions.slice(i, i + 300))
      .execute();
  }
  const touchedIds = [...touched].filter((id) => !created.some((row) => row.id === id));
  for (let i = 0; i < touchedIds.length; i += 500) {
    await trx
      .updateTable('areas')
      .set({ updated_at: now })
      .where('id', 'in', touchedIds.slice(i, i + 500))
      .execute();
  }
  await recordAuditEvents(trx, events);
}

/** One person's areas, replaced by these names (creating areas on first use); see setAreasOfPeopleIn. */
export async function setAreasOfPersonIn(
  trx: Db,
  personId: string,
  names: readonly string[],
  actor: Actor,
  now: number,
): Promise<void> {
  if (!(await findPersonById(trx, personId))) throw new AppError('not_found', { message: PERSON_NOT_FOUND });
  await setAreasOfPeopleIn(trx, [{ personId, names }], actor, now);
}

export async function setAreasOfPerson(
  deps: Deps,
  personId: string,
  names: readonly string[],
  actor: Actor,
): Promise<AreaRef[]> {
  const now = deps.clock.now();
  await inTransaction(deps, (trx) => setAreasOfPersonIn(trx, personId, names, actor, now));
  return areasOfPerson(deps.db, personId);
}

/**
 * An area's members replaced by exactly these people (SCIM's PUT of a Group), in the caller's
 * transaction: the ones not named are removed, the new ones added, each change audited. Unknown
 * person ids are refused (not_found) before anything changes.
 */
export async function setAreaMembersIn(
  trx: Db,
  areaId: string,
  personIds: readonly string[],
  actor: Actor,
  now: number,
): Promise<void> {
  await lockAreaFor(trx, areaId);
  const wanted = new Set(personIds);
  const known = new Set<string>();
  const ids = [...wanted];
  for (let i = 0; i < ids.length; i += 500) {
    const slice = ids.slice(i, i + 500);
    for (const row of await trx.selectFrom('people').select('id').where('id', 'in', slice).execute()) known.add(row.id);
  }
  if (known.size !== wanted.size) throw new AppError('not_found', { message: PERSON_NOT_FOUND });
  const current = new Set(
    (await trx.selectFrom('area_members').select('person_id').where('area_id', '=', areaId).execute()).map(
      (row) => row.person_id,
    ),
  );
  const events: AuditEventInput[] = [];
  const added = ids.filter((id) => !current.has(id));
  const removed = [...current].filter((id) => !wanted.has(id));
  for (let i = 0; i < added.length; i += 300) {
    const rows = added.slice(i, i + 300).map((personId) => ({ area_id: areaId, person_id: personId, added_at: now }));
    await trx.insertInto('area_members').values(rows).execute();
  }
  for (let i = 0; i < removed.length; i += 500) {
    const slice = removed.slice(i, i + 500);
    await trx.deleteFrom('area_members').where('area_id', '=', areaId).where('person_id', 'in', slice).execute();
  }
  for (const personId of added) events.push({ action: 'area.member_added', actor, areaId, personId, at: now });
  for (const personId of removed) events.push({ action: 'area.member_removed', actor, areaId, personId, at: now });
  if (events.length > 0) await touchArea(trx, areaId, now);
  await recordAuditEvents(trx, events);
}
