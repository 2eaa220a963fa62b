// People with a code state, written as Keyslip keeps them: the person in people, the code state in
// person_code_states. For tests that build a directory row by row.
import type { Db } from '../../src/db/database.js';
import { insertRows } from '../../src/db/bulk-insert.js';
import type { PersonRow } from '../../src/db/schema.js';
import { insertPeople } from '../../src/people/people.store.js';

export async function insertPeopleRows(db: Db, rows: readonly PersonRow[]): Promise<void> {
  await insertPeople(db, rows);
  const states = rows.map((row) => ({ person_id: row.id, state: row.code_state, expires_at: row.code_expires_at }));
  await insertRows(db, 'person_code_states', ['person_id', 'state', 'expires_at'], states, { upsertOn: 'person_id' });
}
