// SCIM Groups are areas (SPEC §9, §10), through the areas service and nothing else: create,
// rename, delete and members are its `…In(trx)` cores, composed here into one transaction per
// request, each change audited by the service with the SCIM token as the actor. A group's members
// are the area's members (not its managers: who manages a store is Keyslip's own business).
// Membership operations are idempotent: adding a member twice or removing a non-member changes
// nothing, as Entra ID and Okta expect when they retry.
import type { Filter } from 'scim2-parse-filter';
import type { Db } from '../db/database.js';
import { retryOnConflict, uniqueViolationColumn } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordAuditEvent } from '../audit/audit.js';
import {
  addAreaPersonIn,
  createAreaIn,
  deleteAreaIn,
  removeAreaPersonIn,
  renameAreaIn,
} from '../areas/areas.service.js';
import { lockArea } from '../areas/areas.store.js';
import type { EqCondition, GroupFilterAttribute } from './scim-filter.js';
import type { PatchOperation, PatchPath, Resource } from './scim-patch.js';
import { GROUP_SCHEMA, SCIM_PREFIX } from './scim-resources.js';
import { ScimError } from './scim-errors.js';
import {
  findScimGroup,
  listScimGroups,
  membersOfGroups,
  saveScimGroup,
  type ScimGroupRow,
  type ScimMember,
} from './scim-groups.store.js';
import { findScimUser } from './scim-users.store.js';
import { assertVersion, versionOf, type ScimContext, type WriteOptions } from './scim-users.js';

const NOT_FOUND = 'No group with that id.';

export function toScimGroup(row: ScimGroupRow, members: ScimMember[] | null, baseUrl: string): Resource {
  const resource: Resource = {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    displayName: row.name,
    ...(members
      ? {
          members: members.map((member) => ({
            value: member.id,
            display: member.name,
            $ref: `${baseUrl}${SCIM_PREFIX}/Users/${member.id}`,
          })),
        }
      : {}),
  };
  resource.meta = {
    resourceType: 'Group',
    created: new Date(row.created_at).toISOString(),
    lastModified: new Date(row.updated_at).toISOString(),
    location: `${baseUrl}${SCIM_PREFIX}/Groups/${row.id}`,
    ...(members ? { version: versionOf(resource) } : {}),
  };
  return resource;
}

/** An area-service error as SCIM words it: a name clash is `uniqueness`. */
function scimErrorOfArea(error: unknown): unknown {
  if (error instanceof AppError && error.options.fields?.some((f) => f.code === 'area_name_taken')) {
    return new ScimError(409, 'displayName is already in use.', 'uniqueness');
  }
  const column = uniqueViolationColumn(error);
  if (column === 'name_key') return new ScimError(409, 'displayName is already in use.', 'uniqueness');
  if (column !== null) return new ScimError(409, 'externalId is already in use.', 'uniqueness');
  return error;
}

async function inTransaction<T>(context: ScimContext, work: (trx: Db) => Promise<T>): Promise<T> {
  try {
    return await retryOnConflict(() => context.deps.db.transaction().execute(work));
  } catch (error) {
    throw scimErrorOfArea(error);
  }
}

function text(value: unknown, attribute: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ScimError(400, `${attribute} must be a string.`, 'invalidValue');
  return value.trim() === '' ? null : value;
}

function externalIdOf(value: unknown): string | null {
  const externalId = text(value, 'externalId');
  if (externalId !== null && (externalId.length > 256 || externalId.includes('\u0000'))) {
    throw new ScimError(400, 'externalId must be at most 256 characters.', 'invalidValue');
  }
  return externalId;
}

/** The member ids of a `members` value: a list (or one) of `{ value }`. */
function memberIdsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((member) => {
    const id = member && typeof member === 'object' ? (member as { value?: unknown }).value : undefined;
    if (typeof id !== 'string' || id === '') {
      throw new ScimError(400, 'Each member needs a "value": the id of a user.', 'invalidValue');
    }
    return id;
  });
}

/** The ids a `members[value eq "…"]` path names (an `or` of such terms too). */
function memberIdsOfFilter(filter: Filter): string[] {
  const { op, attrPath, compValue, filters } = filter as {
    op: string;
    attrPath?: string;
    compValue?: unknown;
    filters?: Filter[];
  };
  if (op === 'eq' && attrPath?.toLowerCase() === 'value' && typeof compValue === 'string') return [compValue];
  if (op === 'or' && filters) return filters.flatMap(memberIdsOfFilter);
  throw new ScimError(400, 'A members path filter may only be value eq "…".', 'invalidFilter');
}

async function assertUsers(trx: Db, ids: readonly string[]): Promise<void> {
  for (const id of new Set(ids)) {
    if (!(await findScimUser(trx, id))) throw new ScimError(400, `No user with the id "${id}".`, 'invalidValue');
  }
}

async function currentMemberIds(trx: Db, areaId: string): Promise<Set<string>> {
  const members = (await membersOfGroups(trx, [areaId])).get(areaId) ?? [];
  return new Set(members.map((member) => member.id));
}

// ---- Use cases -----------------------------------------------------------------------------

export async function getScimGroup(
  context: ScimContext,
  id: string,
  options: { members: boolean } = { members: true },
): Promise<Resource> {
  const row = await findScimGroup(context.deps.db, id);
  if (!row) throw new ScimError(404, NOT_FOUND);
  const members = options.members ? ((await membersOfGroups(context.deps.db, [id])).get(id) ?? []) : null;
  return toScimGroup(row, members, context.baseUrl);
}

export async function searchScimGroups(
  context: ScimContext,
  conditions: readonly EqCondition<GroupFilterAttribute>[],
  page: { startIndex: number; count: number; members: boolean },
): Promise<{ resources: Resource[]; total: number }> {
  const db = context.deps.db;
  const { rows, total } = await listScimGroups(db, conditions, { offset: page.startIndex - 1, limit: page.count });
  const members = page.members
    ? await membersOfGroups(
        db,
        rows.map((row) => row.id),
      )
    : null;
  return {
    resources: rows.map((row) => toScimGroup(row, members ? (members.get(row.id) ?? []) : null, context.baseUrl)),
    total,
  };
}

export async function createScimGroup(context: ScimContext, resource: Resource): Promise<Resource> {
  const { deps, actor } = context;
  const displayName = text(resource.displayName, 'displayName');
  if (displayName === null) throw new ScimError(400, 'displayName is required.', 'invalidValue');
  const externalId = externalIdOf(resource.externalId);
  const memberIds = memberIdsOf(resource.members);
  const now = deps.clock.now();
  const area = await inTransaction(context, async (trx) => {
    const created = await createAreaIn(trx, displayName, actor, now);
    if (externalId !== null) await saveScimGroup(trx, created.id, externalId);
    await assertUsers(trx, memberIds);
    for (const personId of memberIds) {
      await addAreaPersonIn(trx, 'area_members', { areaId: created.id, personId }, actor, now);
    }
    return created;
  });
  return getScimGroup(context, area.id);
}

/** What a request does to a group, gathered from its operations (or a PUT) before it is applied. */
interface GroupChange {
  displayName?: string;
  externalId?: string | null;
  add: string[];
  remove: string[];
  /** Replace the members with exactly these (a PUT, or `replace` of members). */
  exactly?: string[];
  removeAll?: boolean;
}

function attributeOf(path: PatchPath): string {
  if (path.extension !== null || path.attribute === null) {
    throw new ScimError(400, 'Groups have no extension attributes.', 'invalidPath');
  }
  return path.attribute.toLowerCase();
}

function collect(change: GroupChange, op: PatchOperation['op'], path: PatchPath, value: unknown): void {
  const attribute = attributeOf(path);
  if (attribute === 'members') {
    if (op === 'remove') {
      if (path.filter) change.remove.push(...memberIdsOfFilter(path.filter));
      else if (value !== undefined && value !== null) change.remove.push(...memberIdsOf(value));
      else {
        change.removeAll = true;
        change.add = [];
        change.remove = [];
      }
    } else if (op === 'replace' && !path.filter) {
      change.exactly = memberIdsOf(value);
      change.add = [];
      change.remove = [];
      change.removeAll = false;
    } else {
      change.add.push(...memberIdsOf(value));
    }
    return;
  }
  if (path.filter || path.sub)
    throw new ScimError(400, `The path "${attribute}" takes no filter or sub-attribute.`, 'invalidPath');
  if (attribute === 'displayname') {
    if (op === 'remove') throw new ScimError(400, 'displayName is required and cannot be removed.', 'mutability');
    const name = text(value, 'displayName');
    if (name === null) throw new ScimError(400, 'displayName cannot be empty.', 'invalidValue');
    change.displayName = name;
    return;
  }
  if (attribute === 'externalid') {
    change.externalId = op === 'remove' ? null : externalIdOf(value);
    return;
  }
  if (attribute === 'id' || attribute === 'meta' || attribute === 'schemas') {
    throw new ScimError(400, `${path.attribute} is read-only.`, 'mutability');
  }
  throw new ScimError(400, `Groups have no attribute "${path.attribute}".`, 'invalidPath');
}

async function applyGroupChange(
  context: ScimContext,
  id: string,
  change: GroupChange,
  options: WriteOptions,
): Promise<void> {
  const { deps, actor } = context;
  const now = deps.clock.now();
  await inTransaction(context, async (trx) => {
    if (!(await lockArea(trx, id))) throw new ScimError(404, NOT_FOUND);
    const row = (await findScimGroup(trx, id))!;
    const before = await currentMemberIds(trx, id);
    await assertGroupVersion(trx, context, row, options.ifMatch);
    if (change.displayName !== undefined) await renameAreaIn(trx, id, change.displayName, actor, now);
    if (change.externalId !== undefined && change.externalId !== row.external_id) {
      await saveScimGroup(trx, id, change.externalId);
      const details = { changed: ['externalId'] };
      await recordAuditEvent(trx, { action: 'area.updated', actor, areaId: id, details, at: now });
    }
    let adds = change.add;
    let removes = change.remove;
    if (change.exactly !== undefined) {
      const wanted = new Set(change.exactly);
      adds = [...wanted].filter((personId) => !before.has(personId));
      removes = [...before].filter((personId) => !wanted.has(personId));
    } else if (change.removeAll) {
      removes = [...before, ...removes];
    }
    await assertUsers(
      trx,
      adds.filter((personId) => !before.has(personId)),
    );
    for (const personId of new Set(removes)) {
      if (before.has(personId)) await removeAreaPersonIn(trx, 'area_members', { areaId: id, personId }, actor, now);
    }
    for (const personId of new Set(adds)) {
      await addAreaPersonIn(trx, 'area_members', { areaId: id, personId }, actor, now);
    }
  });
}

async function memberRows(trx: Db, id: string): Promise<ScimMember[]> {
  return (await membersOfGroups(trx, [id])).get(id) ?? [];
}

/** If-Match: the group (with its members, which its version covers) must still be that version. */
async function assertGroupVersion(
  trx: Db,
  context: ScimContext,
  row: ScimGroupRow,
  ifMatch: string | undefined,
): Promise<void> {
  if (ifMatch === undefined) return;
  assertVersion(toScimGroup(row, await memberRows(trx, row.id), context.baseUrl), ifMatch);
}

export async function patchScimGroup(
  context: ScimContext,
  id: string,
  operations: readonly PatchOperation[],
  options: WriteOptions = {},
): Promise<void> {
  const change: GroupChange = { add: [], remove: [] };
  for (const operation of operations) {
    if (operation.path) {
      collect(change, operation.op, operation.path, operation.value);
      continue;
    }
    for (const [key, value] of Object.entries(operation.value as Resource)) {
      const attribute = key.toLowerCase();
      // Okta's path-less replace repeats the group's id beside the new name: not a change.
      if (attribute === 'id' && value === id) continue;
      if (attribute === 'schemas' || attribute === 'meta') continue;
      collect(change, operation.op, { extension: null, attribute, filter: null, sub: null }, value);
    }
  }
  await applyGroupChange(context, id, change, options);
}

/** PUT: the name, the externalId and exactly the members given (none given: no members). */
export async function replaceScimGroup(
  context: ScimContext,
  id: string,
  resource: Resource,
  options: WriteOptions = {},
): Promise<Resource> {
  const displayName = text(resource.displayName, 'displayName');
  if (displayName === null) throw new ScimError(400, 'displayName is required.', 'invalidValue');
  const change: GroupChange = {
    displayName,
    externalId: externalIdOf(resource.externalId),
    add: [],
    remove: [],
    exactly: memberIdsOf(resource.members),
  };
  await applyGroupChange(context, id, change, options);
  return getScimGroup(context, id);
}

export async function deleteScimGroup(context: ScimContext, id: string, options: WriteOptions = {}): Promise<void> {
  const { deps, actor } = context;
  const now = deps.clock.now();
  await inTransaction(context, async (trx) => {
    const row = await findScimGroup(trx, id);
    if (!row) throw new ScimError(404, NOT_FOUND);
    await assertGroupVersion(trx, context, row, options.ifMatch);
    await deleteAreaIn(trx, id, actor, now);
  });
}
