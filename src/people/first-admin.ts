// Keyslip bootstraps itself with its own mechanism: the first admin is an unclaimed account
// whose access code is printed once, on the first start of an empty database.
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../audit/audit.js';
import { issueAccessCode, type IssuedAccessCode } from '../access-codes/access-codes.service.js';
import { createPerson } from './people.service.js';

export async function createAdmin(deps: Deps, input: { name: string; username: string }, actor: Actor): Promise<IssuedAccessCode> {
  const person = await createPerson(deps, { name: input.name, username: input.username, role: 'admin' }, actor);
  return issueAccessCode(deps, { personId: person.id, actor });
}

/**
 * Creates the first admin when the directory is empty; null when it is not. Several instances
 * starting at once on an empty database may all see it empty: the unique username lets one
 * create the admin, and the others carry on without one.
 */
export async function createFirstAdminIfEmpty(deps: Deps): Promise<IssuedAccessCode | null> {
  const anyone = await deps.db.selectFrom('people').select('id').limit(1).executeTakeFirst();
  if (anyone) return null;
  try {
    return await createAdmin(deps, { name: 'Administrator', username: 'admin' }, SYSTEM_ACTOR);
  } catch (error) {
    if (error instanceof AppError && error.code === 'username_taken') return null;
    throw error;
  }
}
