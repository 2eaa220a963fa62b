// What a manager may see and touch (SPEC §9), asked of the database on every request: a manager
// acts only on members of the areas they manage. Outside their areas a person does not exist for
// them (404, the very answer a missing id gets); inside, an admin, another manager or themselves
// is seen but not acted on (403). Admins' sessions and API tokens see everyone.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import type { PeopleTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { managedAreaIdsOf, sharedAreaIdsOf } from '../areas/scope.js';
import { findPersonById } from '../people/people.store.js';
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
  const person = await findPersonById(deps.db, personId);
  const manager = managerOf(request);
  if (!manager) {
    if (!person) throw noSuchPerson();
    return { person, areaId: null };
  }
  if (!person) throw noSuchPerson();
  if (person.id === manager.id) {
    if (intent === 'act') throw new AppError('forbidden', { message: 'A manager cannot act on their own account.' });
    return { person, areaId: null };
  }
  const shared = await sharedAreaIdsOf(deps.db, manager.id, person.id);
  if (shared.length === 0) throw noSuchPerson();
  if (intent === 'act' && person.role !== 'member') {
    throw new AppError('forbidden', { message: 'A manager can act only on members, not on admins or managers.' });
  }
  return { person, areaId: shared[0]! };
}
