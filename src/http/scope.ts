// What a manager may see and touch (SPEC §9), asked of the database on every request: a manager
// acts only on members of the areas they manage. Outside their areas a person does not exist for
// them (404, the very answer a missing id gets); inside, an admin, another manager or themselves
// is seen but not acted on (403). Admins' sessions and API tokens see everyone.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import type { PeopleTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { managedAreaIdsOf, sharedAreaIdsOf } from '../areas/scope.js';
import type { CodeQuota } from '../access-codes/access-codes.service.js';
import type { Batch, ManagerBulk } from '../access-codes/batches.service.js';
import { findPersonById, type PeopleFilter } from '../people/people.store.js';
import { managerOf } from './auth.js';

/** Everyone (admin, API token), or the members of a manager's areas. */
export type Scope = { all: true } | { all: false; managerId: string; areaIds: string[] };

export async function scopeOf(deps: Pick<Deps, 'db'>, request: FastifyRequest): Promise<Scope> {
  const manager = managerOf(request);
  if (!manager) return { all: true };
  return { all: false, managerId: manager.id, areaIds: await managedAreaIdsOf(deps.db, manager.id) };
}

/** The one answer for a person who does not exist and for one outside a manager's areas. */
export function noSuchPerson(): AppError {
  return new AppError('not_found', { message: 'No person with that id.' });
}

export interface Target {
  person: PeopleTable;
  /** The area the manager and the person share (the first by id); null for admins and tokens. */
  areaId: string | null;
}

/**
 * A person the request may see ('view') or act on ('act': issue, deactivate or print a code).
 * Throws not_found for a missing or out-of-scope person, forbidden for an admin, a manager or
 * the manager themselves when acting.
 */
export async function authorizeTarget(
  deps: Pick<Deps, 'db'>,
  request: FastifyRequest,
  personId: string,
  intent: 'view' | 'act',
): Promise<Target> {
  const manager = managerOf(request);
  if (!manager) {
    const person = await findPersonById(deps.db, personId);
    if (!person) throw noSuchPerson();
    return { person, areaId: null };
  }
  // The same two queries whether the person is missing, outside or inside the manager's areas,
  // so neither the answer nor its timing tells a manager who exists elsewhere.
  const [person, shared] = await Promise.all([
    findPersonById(deps.db, personId),
    sharedAreaIdsOf(deps.db, manager.id, personId),
  ]);
  if (!person) throw noSuchPerson();
  if (person.id === manager.id) {
    if (intent === 'act') throw new AppError('forbidden', { message: 'A manager cannot act on their own account.' });
    return { person, areaId: null };
  }
  if (shared.length === 0) throw noSuchPerson();
  if (intent === 'act' && person.role !== 'member') {
    throw new AppError('forbidden', { message: 'A manager can act only on members, not on admins or managers.' });
  }
  return { person, areaId: shared[0]! };
}

/** A manager's hourly allowance of codes; undefined for admins and API tokens. */
export function codeQuotaOf(deps: Pick<Deps, 'config'>, request: FastifyRequest): CodeQuota | undefined {
  const manager = managerOf(request);
  return manager ? { managerId: manager.id, perHour: deps.config.managerCodesPerHour } : undefined;
}

/**
 * A manager's bulk issue: their areas (now) and their allowance; undefined for admins and tokens.
 * A manager's bulk is for people without email only: asking for people with email is refused.
 */
export async function managerBulkOf(
  deps: Pick<Deps, 'db' | 'config'>,
  request: FastifyRequest,
  filter: PeopleFilter,
): Promise<ManagerBulk | undefined> {
  const quota = codeQuotaOf(deps, request);
  if (!quota) return undefined;
  if (filter.hasEmail === true) {
    throw new AppError('forbidden', { message: "A manager's codes for a group are for people without email only." });
  }
  return { areaIds: await managedAreaIdsOf(deps.db, quota.managerId), quota };
}

/**
 * A batch the request may see: any for an admin or a token; for a manager only their own, and
 * only while they still manage every area it was made for. Otherwise the batch does not exist.
 */
export async function authorizeBatch(deps: Pick<Deps, 'db'>, request: FastifyRequest, batch: Batch): Promise<void> {
  const manager = managerOf(request);
  if (!manager) return;
  const missing = new AppError('not_found', { message: 'No batch with that id.' });
  if (batch.createdBy !== manager.id) throw missing;
  const managed = new Set(await managedAreaIdsOf(deps.db, manager.id));
  if (!(batch.filter.withinAreas ?? []).every((area) => managed.has(area))) throw missing;
}
