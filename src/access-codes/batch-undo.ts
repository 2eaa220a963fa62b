// Undoing a bulk issue that did not finish (issue 14): an admin's batch is written a chunk per
// transaction and works only once it is marked issued. If the issue fails, or its process dies,
// its codes are removed and the codes they replaced come back, so a batch is still all or nothing
// (SPEC §2) while other requests never wait for the whole of it.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import type { PersonCodeState } from '../db/schema.js';
import { setPersonCodeState } from './access-codes.store.js';

/** Codes undone per transaction: a request waits behind at most one such step. */
const UNDO_CHUNK = 1_000;

/**
 * Undoes the batches still issuing whose lease ran out (their instance died or stalled): at
 * start-up and every minute. Each is claimed first, so of several instances one undoes it, and
 * the instance writing it (if it still lives) stops at its next chunk. Returns how many.
 */
export async function undoAbandonedBatches(deps: Pick<Deps, 'db' | 'clock' | 'log'>): Promise<number> {
  const now = deps.clock.now();
  const abandoned = await deps.db
    .selectFrom('batches')
    .select('id')
    .where('state', '=', 'issuing')
    .where('issuing_until', '<', now)
    .execute();
  let undone = 0;
  for (const { id } of abandoned) {
    const claimed = await deps.db
      .updateTable('batches')
      .set({ issuing_until: 0 })
      .where('id', '=', id)
      .where('state', '=', 'issuing')
      .where('issuing_until', '<', now)
      .where('issuing_until', '>', 0)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    deps.log.warn({ batchId: id }, 'undoing a bulk issue that did not finish');
    await undoBatch(deps, id);
    undone += 1;
  }
  return undone;
}

/**
 * Removes a batch that is not issued, a chunk at a time: each person's code from it that is still
 * open is deleted and the code it replaced is open again; a code from it that has since been
 * deactivated or replaced stays as it is (so does the code it replaced: the person's newer state
 * wins). Each person's code state is then read again from their codes. The caller owns the batch
 * (its issuing_until is 0, or it is the instance that was writing it).
 */
export async function undoBatch(deps: Pick<Deps, 'db' | 'clock' | 'log'>, batchId: string): Promise<void> {
  // Never a batch that was issued: its codes are in people's hands.
  const batch = await deps.db.selectFrom('batches').select('state').where('id', '=', batchId).executeTakeFirst();
  if (batch?.state === 'issued') return;
  await deps.db
    .updateTable('batches')
    .set({ issuing_until: 0 })
    .where('id', '=', batchId)
    .where('state', '=', 'issuing')
    .execute();
  let after = '';
  for (;;) {
    const last = await deps.db.transaction().execute(async (trx) => {
      const codes = await trx
        .selectFrom('access_codes')
        .select(['id', 'person_id', 'used_at', 'deactivated_at', 'replaced_at'])
        .where('batch_id', '=', batchId)
        .where('id', '>', after)
        .orderBy('id')
        .limit(UNDO_CHUNK)
        .execute();
      if (codes.length === 0) return null;
      const personIds = [...new Set(codes.map((code) => code.person_id))].sort();
      // PostgreSQL: person before code, the lock order of every other code write.
      if (dialectOf(trx) === 'postgres')
        await trx.selectFrom('people').select('id').where('id', 'in', personIds).orderBy('id').forUpdate().execute();
      const open = codes.filter((c) => c.used_at === null && c.deactivated_at === null && c.replaced_at === null);
      if (open.length > 0) {
        await trx
          .deleteFrom('access_codes')
          .where(
            'id',
            'in',
            open.map((code) => code.id),
          )
          .where('used_at', 'is', null)
          .where('deactivated_at', 'is', null)
          .where('replaced_at', 'is', null)
          .execute();
        await trx
          .updateTable('access_codes')
          .set({ replaced_at: null, replaced_by: null })
          .where('replaced_by', '=', batchId)
          .where(
            'person_id',
            'in',
            open.map((code) => code.person_id),
          )
          .execute();
      }
      await refreshPersonCodeStates(trx, personIds);
      return codes[codes.length - 1]!.id;
    });
    if (last === null) break;
    after = last;
  }
  await deps.db.deleteFrom('batch_code_chunks').where('batch_id', '=', batchId).execute();
  await deps.db.deleteFrom('batches').where('id', '=', batchId).where('state', '=', 'issuing').execute();
}

/**
 * Sets each person's code state (person_code_states) from their codes again: their open code if
 * they have one, else their newest; none without any.
 */
async function refreshPersonCodeStates(trx: Db, personIds: readonly string[]): Promise<void> {
  const codes = await trx
    .selectFrom('access_codes')
    .select(['person_id', 'created_at', 'id', 'expires_at', 'used_at', 'deactivated_at', 'replaced_at'])
    .where('person_id', 'in', personIds)
    .execute();
  const rank = (c: (typeof codes)[number]): number =>
    c.used_at === null && c.deactivated_at === null && c.replaced_at === null ? 1 : 0;
  const latest = new Map<string, (typeof codes)[number]>();
  for (const code of codes) {
    const known = latest.get(code.person_id);
    const newer =
      !known ||
      rank(code) > rank(known) ||
      (rank(code) === rank(known) &&
        (code.created_at > known.created_at || (code.created_at === known.created_at && code.id > known.id)));
    if (newer) latest.set(code.person_id, code);
  }
  const groups = new Map<string, { state: PersonCodeState; expiresAt: number | null; ids: string[] }>();
  for (const personId of personIds) {
    const code = latest.get(personId);
    const state: PersonCodeState = !code
      ? 'none'
      : code.used_at !== null
        ? 'used'
        : code.deactivated_at !== null
          ? 'deactivated'
          : 'active';
    const expiresAt = state === 'active' ? code!.expires_at : null;
    const key = `${state}:${expiresAt}`;
    const group = groups.get(key) ?? { state, expiresAt, ids: [] };
    group.ids.push(personId);
    groups.set(key, group);
  }
  for (const { state, expiresAt, ids } of groups.values()) await setPersonCodeState(trx, ids, state, expiresAt);
}
