// SCIM Users (SPEC §10) over Keyslip's people. A resource is mapped to Keyslip one way, the same
// for POST, PUT and the result of a PATCH:
//   userName → username · displayName, else name.formatted, else the name parts → name ·
//   externalId kept · enterprise employeeNumber → employeeId, department → department ·
//   emails (the primary one) → email · title → title · active → deactivate / reactivate ·
//   roles → role, only with KEYSLIP_SCIM_MANAGES_ROLES.
// Every change is one transaction with its audit entries, the SCIM token's name as the actor.
// The access code is never part of a resource; its state is, read-only, in Keyslip's extension.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { retryOnConflict, uniqueViolationColumn } from '../db/database.js';
import type { PersonRole, ScimUsersTable } from '../db/schema.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { deactivatePersonIn } from '../accounts/deactivate-person.js';
import { reactivatePersonIn } from '../accounts/reactivate-person.js';
import {
  codeStateOf,
  NO_CODE,
  validatePersonInput,
  type PersonInput,
  type ValidPersonFields,
} from '../people/person.js';
import { createPersonIn, lockActiveAdmins, newPersonRow, updatePersonIn } from '../people/people.service.js';
import { describeProblem } from '../problems.js';
import type { EqCondition, UserFilterAttribute } from './scim-filter.js';
import { applyPatch, operationsTouch, type PatchOperation, type Resource } from './scim-patch.js';
import { ENTERPRISE_SCHEMA, KEYSLIP_SCHEMA, SCIM_PREFIX, USER_SCHEMA } from './scim-resources.js';
import { ScimError } from './scim-errors.js';
import { findScimUser, listScimUsers, saveScimUser, type ScimUserRow } from './scim-users.store.js';

export interface ScimContext {
  deps: Deps;
  actor: Actor;
  baseUrl: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A weak ETag over the resource's content (meta aside): it changes exactly when the resource does. */
export function versionOf(resource: Resource): string {
  const { meta: _meta, ...content } = resource;
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)}"`;
}

/** The person as a SCIM User resource (RFC 7643 §4.1), with Keyslip's read-only extension. */
export function toScimUser(row: ScimUserRow, baseUrl: string, now: number): Resource {
  const { person, scim } = row;
  const codeState = codeStateOf(person, now);
  const name: Resource = { formatted: person.name };
  if (scim?.given_name) name.givenName = scim.given_name;
  if (scim?.family_name) name.familyName = scim.family_name;
  const enterprise: Resource = {};
  if (person.employee_id !== null) enterprise.employeeNumber = person.employee_id;
  if (person.department !== null) enterprise.department = person.department;
  const resource: Resource = {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA, KEYSLIP_SCHEMA],
    id: person.id,
    ...(scim?.external_id ? { externalId: scim.external_id } : {}),
    ...(person.username !== null ? { userName: person.username } : {}),
    name,
    displayName: person.name,
    ...(person.title !== null ? { title: person.title } : {}),
    active: person.status !== 'deactivated',
    ...(person.email !== null ? { emails: [{ value: person.email, type: 'work', primary: true }] } : {}),
    roles: [{ value: person.role, primary: true }],
    [ENTERPRISE_SCHEMA]: enterprise,
    [KEYSLIP_SCHEMA]: {
      status: person.status,
      codeState,
      ...(codeState === 'active' ? { codeExpiresAt: iso(person.code_expires_at) } : {}),
    },
  };
  const lastModified = Math.max(person.updated_at, scim?.updated_at ?? 0);
  resource.meta = {
    resourceType: 'User',
    created: new Date(person.created_at).toISOString(),
    lastModified: new Date(lastModified).toISOString(),
    location: `${baseUrl}${SCIM_PREFIX}/Users/${person.id}`,
    version: versionOf(resource),
  };
  return resource;
}

// ---- From a resource to Keyslip ------------------------------------------------------------

interface MappedUser {
  person: PersonInput & { name: string };
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean | undefined;
  role: PersonRole | undefined;
}

const isObject = (value: unknown): value is Resource =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function text(value: unknown, attribute: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ScimError(400, `${attribute} must be a string.`, 'invalidValue');
  return value.trim() === '' ? null : value;
}

/** A boolean, or Entra's "True"/"False" strings. */
export function booleanOf(value: unknown, attribute: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new ScimError(400, `${attribute} must be true or false.`, 'invalidValue');
}

/** The attribute a Keyslip field problem is about, as SCIM calls it. */
const SCIM_NAMES: Record<string, string> = {
  name: 'displayName',
  username: 'userName',
  email: 'emails',
  employeeId: `${ENTERPRISE_SCHEMA}:employeeNumber`,
  department: `${ENTERPRISE_SCHEMA}:department`,
  title: 'title',
  role: 'roles',
};

function primaryEmail(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ScimError(400, 'emails must be a list.', 'invalidValue');
  const emails = value.filter(isObject);
  const chosen =
    emails.find((email) => booleanOf(email.primary, 'emails.primary') === true) ??
    emails.find((email) => typeof email.type === 'string' && email.type.toLowerCase() === 'work') ??
    emails[0];
  return chosen ? text(chosen.value, 'emails.value') : null;
}

function roleOf(value: unknown): PersonRole | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ScimError(400, 'roles must be a list.', 'invalidValue');
  const roles = value.filter(isObject);
  if (roles.length === 0) return undefined;
  const chosen = roles.find((role) => booleanOf(role.primary, 'roles.primary') === true) ?? roles[0]!;
  const role = text(chosen.value, 'roles.value');
  if (role === 'member' || role === 'manager' || role === 'admin') return role;
  throw new ScimError(400, 'roles.value must be member, manager or admin.', 'invalidValue');
}

function namePartsOf(resource: Resource): { formatted: string | null; given: string | null; family: string | null } {
  const name = isObject(resource.name) ? resource.name : {};
  return {
    formatted: text(name.formatted, 'name.formatted'),
    given: text(name.givenName, 'name.givenName'),
    family: text(name.familyName, 'name.familyName'),
  };
}

/**
 * The person a resource describes. `before` is the resource a PATCH started from: then the name
 * follows whichever of displayName, name.formatted or the name parts the operations changed.
 */
function mapUserResource(resource: Resource, before: Resource | null): MappedUser {
  const userName = text(resource.userName, 'userName');
  const displayName = text(resource.displayName, 'displayName');
  const parts = namePartsOf(resource);
  const joined = [parts.given, parts.family].filter((part) => part !== null).join(' ') || null;
  let name = displayName ?? parts.formatted ?? joined ?? userName;
  if (before) {
    const old = namePartsOf(before);
    const oldJoined = [old.given, old.family].filter((part) => part !== null).join(' ') || null;
    if (displayName !== null && displayName !== text(before.displayName, 'displayName')) name = displayName;
    else if (parts.formatted !== null && parts.formatted !== old.formatted) name = parts.formatted;
    else if (joined !== null && joined !== oldJoined) name = joined;
  }
  const enterprise = isObject(resource[ENTERPRISE_SCHEMA]) ? resource[ENTERPRISE_SCHEMA] : {};
  return {
    person: {
      name: name ?? '',
      username: userName,
      email: primaryEmail(resource.emails),
      employeeId: text(enterprise.employeeNumber, 'employeeNumber'),
      department: text(enterprise.department, 'department'),
      title: text(resource.title, 'title'),
    },
    externalId: text(resource.externalId, 'externalId'),
    givenName: parts.given,
    familyName: parts.family,
    active: booleanOf(resource.active, 'active'),
    role: roleOf(resource.roles),
  };
}

function validated(input: PersonInput, options: { creating: boolean }): ValidPersonFields {
  const checked = validatePersonInput(input, options);
  if (checked.ok) return checked.fields;
  const detail = checked.problems
    .map((problem) => `${SCIM_NAMES[problem.field] ?? problem.field}: ${describeProblem('en', problem)}`)
    .join(' ');
  throw new ScimError(400, detail, 'invalidValue');
}

function checkExternalId(externalId: string | null): void {
  if (externalId !== null && (externalId.length > 256 || externalId.includes('\u0000'))) {
    throw new ScimError(400, 'externalId must be at most 256 characters.', 'invalidValue');
  }
}

const ROLES_ARE_KEYSLIPS =
  'Roles are managed in Keyslip: a SCIM client may not set them (KEYSLIP_SCIM_MANAGES_ROLES is off).';
const ADMINS_ARE_KEYSLIPS =
  'This person is a Keyslip admin: admins are managed in Keyslip (KEYSLIP_SCIM_MANAGES_ROLES is off).';

/** Unique violations (username, email, employee id, externalId) as SCIM's 409 uniqueness. */
function uniquenessError(error: unknown): ScimError | null {
  const column = uniqueViolationColumn(error);
  if (column === null) return null;
  const constraint = (error as { constraint?: string; message?: string }).constraint ?? '';
  const message = (error as { message?: string }).message ?? '';
  const attribute =
    column === 'username'
      ? 'userName'
      : column === 'email'
        ? 'emails'
        : column === 'employee_id'
          ? 'employeeNumber'
          : column === 'external_id' || constraint.includes('external_id') || message.includes('external_id')
            ? 'externalId'
            : 'a unique attribute';
  return new ScimError(409, `${attribute} is already in use.`, 'uniqueness');
}

async function inTransaction<T>(deps: Deps, work: (trx: Db) => Promise<T>): Promise<T> {
  try {
    return await retryOnConflict(() => deps.db.transaction().execute(work));
  } catch (error) {
    throw uniquenessError(error) ?? error;
  }
}

// ---- Use cases -----------------------------------------------------------------------------

export async function getScimUser(context: ScimContext, id: string): Promise<Resource> {
  const row = await findScimUser(context.deps.db, id);
  if (!row) throw new ScimError(404, 'No user with that id.');
  return toScimUser(row, context.baseUrl, context.deps.clock.now());
}

export async function searchScimUsers(
  context: ScimContext,
  conditions: readonly EqCondition<UserFilterAttribute>[],
  page: { startIndex: number; count: number },
): Promise<{ resources: Resource[]; total: number }> {
  const { rows, total } = await listScimUsers(context.deps.db, conditions, {
    offset: page.startIndex - 1,
    limit: page.count,
  });
  const now = context.deps.clock.now();
  return { resources: rows.map((row) => toScimUser(row, context.baseUrl, now)), total };
}

export async function createScimUser(context: ScimContext, resource: Resource): Promise<Resource> {
  const { deps, actor } = context;
  const mapped = mapUserResource(resource, null);
  if (mapped.person.username === null) throw new ScimError(400, 'userName is required.', 'invalidValue');
  checkExternalId(mapped.externalId);
  const role = mapped.role ?? 'member';
  if (role !== 'member' && !deps.config.scimManagesRoles) throw new ScimError(400, ROLES_ARE_KEYSLIPS, 'mutability');
  const fields = validated({ ...mapped.person, role }, { creating: true });
  const now = deps.clock.now();
  const row = newPersonRow({ ...fields, name: fields.name! }, now);
  const scim = scimRowOf(row.id, mapped, null, now);
  await inTransaction(deps, async (trx) => {
    await createPersonIn(trx, row, actor, now);
    await saveScimUser(trx, scim);
    if (mapped.active === false) await deactivatePersonIn(trx, row.id, actor, now);
  });
  // The rows just written are the resource (a person made inactive is read back: deactivation wrote more).
  if (mapped.active === false) return getScimUser(context, row.id);
  return toScimUser({ person: { ...row, ...NO_CODE }, scim }, context.baseUrl, now);
}

function scimRowOf(personId: string, mapped: MappedUser, deletedAt: number | null, now: number): ScimUsersTable {
  return {
    person_id: personId,
    external_id: mapped.externalId,
    given_name: mapped.givenName,
    family_name: mapped.familyName,
    deleted_at: deletedAt,
    updated_at: now,
  };
}

export interface WriteOptions {
  /** The If-Match header: the update happens only if the resource is still this version. */
  ifMatch?: string | undefined;
}

/** If-Match (RFC 7644 §3.14): 412 unless the resource is still one of the versions named (or `*`). */
export function assertVersion(resource: Resource, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  const current = String((resource.meta as Resource).version).replace(/^W\//, '');
  if (!wanted.includes(current)) {
    throw new ScimError(412, 'The resource has changed since that version (If-Match).');
  }
}

/** PUT: the resource replaces the user (attributes it leaves out are cleared; active left out stays). */
export async function replaceScimUser(
  context: ScimContext,
  id: string,
  resource: Resource,
  options: WriteOptions = {},
): Promise<Resource> {
  if (text(resource.userName, 'userName') === null) throw new ScimError(400, 'userName is required.', 'invalidValue');
  const touchesAdmins = resource.active !== undefined || resource.roles !== undefined;
  return updateScimUser(context, id, () => ({ next: resource, before: null }), { ...options, touchesAdmins });
}

export async function patchScimUser(
  context: ScimContext,
  id: string,
  operations: readonly PatchOperation[],
  options: WriteOptions = {},
): Promise<Resource> {
  // id and meta in an operation are ignored (a client may echo them); Keyslip's extension is read-only.
  if (operationsTouch(operations, [KEYSLIP_SCHEMA])) {
    throw new ScimError(400, 'The Keyslip extension is read-only.', 'mutability');
  }
  const touchesAdmins = operationsTouch(operations, ['active', 'roles']);
  return updateScimUser(
    context,
    id,
    (current) => {
      const next = applyPatch(current, operations);
      if (current.userName !== undefined && text(next.userName, 'userName') === null) {
        throw new ScimError(400, 'userName cannot be removed.', 'mutability');
      }
      return { next, before: current };
    },
    { ...options, touchesAdmins },
  );
}

const FIELD_KEYS = ['name', 'username', 'email', 'employee_id', 'department', 'title', 'role'] as const;

async function updateScimUser(
  context: ScimContext,
  id: string,
  transform: (current: Resource) => { next: Resource; before: Resource | null },
  options: WriteOptions & { touchesAdmins: boolean },
): Promise<Resource> {
  const { deps, actor } = context;
  const now = deps.clock.now();
  await inTransaction(deps, async (trx) => {
    // The admins before the person: the lock order of every path that may take an admin away.
    if (options.touchesAdmins) await lockActiveAdmins(trx);
    const row = await findScimUser(trx, id, { lock: true });
    if (!row) throw new ScimError(404, 'No user with that id.');
    const current = toScimUser(row, context.baseUrl, now);
    assertVersion(current, options.ifMatch);
    const { next, before } = transform(current);
    const mapped = mapUserResource(next, before);
    checkExternalId(mapped.externalId);
    const person = row.person;
    const role = mapped.role ?? person.role;
    if (role !== person.role && !deps.config.scimManagesRoles) {
      throw new ScimError(400, ROLES_ARE_KEYSLIPS, 'mutability');
    }
    // The role is checked only when it changes: a manager stays one through any update.
    const fields = validated({ ...mapped.person, ...(role !== person.role ? { role } : {}) }, { creating: false });
    const changed: ValidPersonFields = {};
    for (const key of FIELD_KEYS) {
      if (fields[key] !== undefined && fields[key] !== person[key]) Object.assign(changed, { [key]: fields[key] });
    }
    const deactivating = mapped.active === false && person.status !== 'deactivated';
    const reactivating = mapped.active === true && person.status === 'deactivated';
    // An admin's account is Keyslip's own: SCIM neither ends nor revives it (a revived admin would
    // also count towards the two-person rule) unless the setting allows roles to be managed.
    const touchesAdmin = deactivating || reactivating || changed.role !== undefined;
    if (person.role === 'admin' && !deps.config.scimManagesRoles && touchesAdmin) {
      throw new ScimError(403, ADMINS_ARE_KEYSLIPS);
    }
    if (Object.keys(changed).length > 0) await updatePersonIn(trx, id, changed, actor, now);
    const scimChanged = scimChanges(row.scim, mapped);
    if (scimChanged.length > 0) {
      await saveScimUser(trx, scimRowOf(id, mapped, null, now));
      if (Object.keys(changed).length === 0) {
        const details = { changed: scimChanged };
        await recordAuditEvent(trx, { action: 'person.updated', actor, personId: id, details, at: now });
      }
    }
    if (deactivating) await deactivatePersonIn(trx, id, actor, now);
    if (reactivating) await reactivatePersonIn(trx, id, actor, now);
  });
  return getScimUser(context, id);
}

function scimChanges(current: ScimUsersTable | null, mapped: MappedUser): string[] {
  const changes: string[] = [];
  if ((current?.external_id ?? null) !== mapped.externalId) changes.push('externalId');
  if ((current?.given_name ?? null) !== mapped.givenName) changes.push('name.givenName');
  if ((current?.family_name ?? null) !== mapped.familyName) changes.push('name.familyName');
  return changes;
}

/**
 * DELETE: the person is deactivated (code voided, sessions ended, apps told) and no longer seen
 * through SCIM; the row and its audit history stay, so the admin still finds them, deactivated.
 */
export async function deleteScimUser(context: ScimContext, id: string, options: WriteOptions = {}): Promise<void> {
  const { deps, actor } = context;
  const now = deps.clock.now();
  await inTransaction(deps, async (trx) => {
    await lockActiveAdmins(trx);
    const row = await findScimUser(trx, id, { lock: true });
    if (!row) throw new ScimError(404, 'No user with that id.');
    assertVersion(toScimUser(row, context.baseUrl, now), options.ifMatch);
    if (row.person.role === 'admin' && !deps.config.scimManagesRoles) throw new ScimError(403, ADMINS_ARE_KEYSLIPS);
    await deactivatePersonIn(trx, id, actor, now);
    const scim = row.scim ?? { person_id: id, external_id: null, given_name: null, family_name: null };
    await saveScimUser(trx, { ...scim, person_id: id, deleted_at: now, updated_at: now });
    await recordAuditEvent(trx, { action: 'person.deprovisioned', actor, personId: id, details: {}, at: now });
  });
}
