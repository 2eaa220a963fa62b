// Areas, members, managers and roles written straight into the tables (SPEC §9), for the tests of
// a manager's scope; the areas module's own service is not needed for them.
import type { Deps } from '../../src/deps.js';
import type { PersonRole } from '../../src/db/schema.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { newId } from '../../src/lib/id.js';
import { createPerson } from '../../src/people/people.service.js';
import { createSession } from '../../src/sessions/session.js';

export async function makeArea(deps: Deps, name: string): Promise<string> {
  const now = deps.clock.now();
  const id = newId(now);
  const nameKey = name.normalize('NFKC').toLowerCase().trim();
  await deps.db.insertInto('areas').values({ id, name, name_key: nameKey, created_at: now, updated_at: now }).execute();
  return id;
}

export async function addMember(deps: Deps, areaId: string, personId: string): Promise<void> {
  await deps.db
    .insertInto('area_members')
    .values({ area_id: areaId, person_id: personId, added_at: deps.clock.now() })
    .execute();
}

export async function addManager(deps: Deps, areaId: string, personId: string): Promise<void> {
  await deps.db
    .insertInto('area_managers')
    .values({ area_id: areaId, person_id: personId, added_at: deps.clock.now() })
    .execute();
}

export async function removeManager(deps: Deps, areaId: string, personId: string): Promise<void> {
  await deps.db.deleteFrom('area_managers').where('area_id', '=', areaId).where('person_id', '=', personId).execute();
}

/** A person with a role, claimed (active) unless told otherwise. */
export async function makePerson(
  deps: Deps,
  fields: { name: string; username: string; email?: string; role?: PersonRole; unclaimed?: boolean },
): Promise<string> {
  const { role = 'member', unclaimed = false, ...rest } = fields;
  const person = await createPerson(deps, { ...rest }, CLI_ACTOR);
  await deps.db
    .updateTable('people')
    .set({ role, ...(unclaimed ? {} : { status: 'active', claimed_at: deps.clock.now() }) })
    .where('id', '=', person.id)
    .execute();
  return person.id;
}

/** A session cookie header for a person. */
export async function sessionCookie(deps: Deps, personId: string): Promise<string> {
  const session = await createSession(deps.db, deps.config, personId, deps.clock.now(), { ip: null, userAgent: null });
  return `keyslip_session=${session.token}`;
}
