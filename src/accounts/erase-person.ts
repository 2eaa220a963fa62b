// Erasing a person on request (GDPR art. 17): irreversible. The record stays as an opaque id so
// the audit log keeps its entries (who did what, when, to which id), but the name becomes
// "Erased person" and every identifier, contact and job field is removed; the password, codes,
// sessions and app sessions end (apps are told by back-channel logout). In the audit log, the
// person's former values are scrubbed from the details of every entry about or by them, and so are
// the addresses of what they did themselves. The erasure itself is audited without personal data.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { retryOnConflict } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import type { PeopleTable, PersonRow } from '../db/schema.js';
import { toPerson, type Person } from '../people/person.js';
import { assertAnotherAdminRemains, lockActiveAdmins } from '../people/people.service.js';
import { lockPerson } from '../people/people.store.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { deactivateOpenAccessCode, setPersonCodeState } from '../access-codes/access-codes.store.js';

export const ERASED_NAME = 'Erased person';
const ERASED = '[erased]';

/** Detail keys whose values are a person's data (an update's old → new identifiers, a typed login). */
const PERSONAL_KEYS = new Set(['name', 'username', 'email', 'employeeId', 'login', 'department', 'location', 'title']);

/**
 * Replaces, anywhere in a JSON value, the strings that are one of `values` (letter case ignored),
 * and every string under a personal key.
 */
function scrub(value: unknown, values: ReadonlySet<string>, personal = false, byKey = true): unknown {
  if (typeof value === 'string') return personal || values.has(value.toLowerCase()) ? ERASED : value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, values, personal, byKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        scrub(item, values, personal || (byKey && PERSONAL_KEYS.has(key)), byKey),
      ]),
    );
  }
  return value;
}

/**
 * A bulk issue's or deactivation's filter may name the person (an exact email or employee id):
 * in the batch record and its audit entry, those values are scrubbed too (others' are kept).
 */
async function scrubFiltersOf(trx: Db, values: ReadonlySet<string>): Promise<void> {
  const changed = (text: string): string | null => {
    const next = JSON.stringify(scrub(JSON.parse(text) as unknown, values, false, false));
    return next === text ? null : next;
  };
  const batches = await trx.selectFrom('batches').select(['id', 'filter']).execute();
  for (const batch of batches) {
    const filter = changed(batch.filter);
    if (filter !== null) await trx.updateTable('batches').set({ filter }).where('id', '=', batch.id).execute();
  }
  const events = await trx
    .selectFrom('audit_events')
    .select(['id', 'details'])
    .where('action', 'in', ['access_codes.issued', 'access_codes.deactivated'])
    .execute();
  for (const event of events) {
    const details = changed(event.details);
    if (details !== null) await trx.updateTable('audit_events').set({ details }).where('id', '=', event.id).execute();
  }
}

/** Every string found under a personal key (the values a person had before, as the log recorded them). */
function collectPersonal(value: unknown, into: Set<string>, personal = false): void {
  if (typeof value === 'string') {
    if (personal && value !== '') into.add(value.toLowerCase());
  } else if (Array.isArray(value)) {
    for (const item of value) collectPersonal(item, into, personal);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) collectPersonal(item, into, personal || PERSONAL_KEYS.has(key));
  }
}

function formerValuesOf(person: PeopleTable): Set<string> {
  const values = [person.name, person.username, person.email, person.employee_id];
  return new Set(values.filter((v): v is string => v !== null && v !== '').map((v) => v.toLowerCase()));
}

async function scrubAuditOf(trx: Db, person: PeopleTable): Promise<number> {
  const values = formerValuesOf(person);
  const events = await trx
    .selectFrom('audit_events')
    .select(['id', 'details', 'actor_id', 'actor_label', 'ip'])
    .where((eb) => eb.or([eb('person_id', '=', person.id), eb('actor_id', '=', person.id)]))
    .execute();
  // The values the entries about the person recorded (an old email, a former username) go too.
  for (const event of events) collectPersonal(JSON.parse(event.details) as unknown, values);
  let scrubbed = 0;
  for (const event of events) {
    const details = JSON.stringify(scrub(JSON.parse(event.details) as unknown, values));
    const actorLabel = event.actor_id === person.id ? ERASED : event.actor_label;
    // The address of the person's own doings (signed in, or anonymous with their code); an
    // admin's or a token's address stays with what they did.
    const ip = event.actor_id === person.id || event.actor_id === null ? null : event.ip;
    if (details === event.details && actorLabel === event.actor_label && ip === event.ip) continue;
    await trx
      .updateTable('audit_events')
      .set({ details, actor_label: actorLabel, ip })
      .where('id', '=', event.id)
      .execute();
    scrubbed += 1;
  }
  await scrubFiltersOf(trx, values);
  return scrubbed;
}

export async function erasePersonIn(trx: Db, id: string, actor: Actor, now: number): Promise<Person> {
  await lockActiveAdmins(trx);
  const current = await lockPerson(trx, id);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  const already = await trx
    .selectFrom('erased_people')
    .select('person_id')
    .where('person_id', '=', id)
    .executeTakeFirst();
  if (already) return toPerson(current, now);
  if (current.role === 'admin' && current.status !== 'deactivated') await assertAnotherAdminRemains(trx, id);
  const codes = await deactivateOpenAccessCode(trx, id, now);
  const sessions = (await endEverythingOf(trx, id, now)).sessions;
  const erased: PersonRow = {
    ...current,
    name: ERASED_NAME,
    username: null,
    email: null,
    employee_id: null,
    department: null,
    location: null,
    title: null,
    role: 'member',
    status: 'deactivated',
    password_hash: null,
    search_text: '',
    code_state: codes > 0 ? 'deactivated' : current.code_state,
    code_expires_at: null,
    failed_sign_ins: 0,
    last_failed_sign_in_at: null,
    deactivated_at: current.deactivated_at ?? now,
    updated_at: now,
  };
  const { id: _id, code_state: _state, code_expires_at: _expires, ...fields } = erased;
  await trx.updateTable('people').set(fields).where('id', '=', id).execute();
  if (codes > 0) await setPersonCodeState(trx, [id], 'deactivated', null);
  await trx.insertInto('erased_people').values({ person_id: id, erased_at: now }).execute();
  await trx.deleteFrom('api_idempotency').where('person_id', '=', id).execute();
  const auditEntries = await scrubAuditOf(trx, current);
  const details = { codesDeactivated: codes, sessionsEnded: sessions, auditEntriesScrubbed: auditEntries };
  await recordAuditEvent(trx, { action: 'person.erased', actor, personId: id, details, at: now });
  return toPerson(erased, now);
}

export async function erasePerson(deps: Deps, id: string, actor: Actor): Promise<Person> {
  const now = deps.clock.now();
  return retryOnConflict(() => deps.db.transaction().execute((trx) => erasePersonIn(trx, id, actor, now)));
}
