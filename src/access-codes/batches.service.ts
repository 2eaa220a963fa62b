// Bulk issue (SPEC §2 "Batches"): a code for everyone the filter selects, all or nothing. An
// admin's batch is written a chunk per transaction and works only once it is marked issued (an
// unfinished one is undone: batch-undo.ts); a manager's is one transaction. The codes stay
// downloadable, sealed with the server key, for KEYSLIP_BATCH_MINUTES; then they are erased and
// only the batch record stays.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import type { AccessCodesTable, BatchCodeChunksTable, BatchesTable, BatchState, PeopleTable } from '../db/schema.js';
import { uniqueViolationColumn } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, recordAuditEvents, type Actor } from '../audit/audit.js';
import { MINUTE } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import { decrypt, encrypt } from '../lib/keyring.js';
import { countCodesIssued } from '../lib/metrics.js';
import { applyPeopleFilter, countPeople, type PeopleFilter } from '../people/people.store.js';
import { formatAccessCode } from './access-code.js';
import { type CodeSource, hashOrderedCodes } from './code-runs.js';
import { undoBatch } from './batch-undo.js';
import { firstAreaOfEach } from '../areas/scope.js';
import { lifetimeFor, newAccessCodeRow, takeCodeQuota, type CodeQuota } from './access-codes.service.js';
import {
  deactivateOpenAccessCodes,
  insertAccessCodes,
  refreshAccessCodeStatistics,
  replaceOpenAccessCodes,
  setPersonCodeState,
} from './access-codes.store.js';

const CHUNK = 1000;
/**
 * People in the first transaction of an admin's bulk issue (and in each of a manager's chunks).
 * Each commit's cost is mostly pages written, and a larger chunk writes each page of the code
 * indexes (the keyed hash's above all, whose inserts land anywhere) fewer times.
 */
export const ISSUE_CHUNK = 2000;
/** The most people in one transaction of an admin's bulk issue. */
export const MAX_ISSUE_CHUNK = 16_000;
/**
 * How long a transaction of an admin's bulk issue should take on SQLite: later chunks are sized
 * from the time the last one took. Every other request waits for at most about one chunk at each
 * of its steps (a sign-in has three), so this bounds how long a sign-in waits during a bulk issue,
 * on a slow or busy machine too.
 */
export const ISSUE_CHUNK_MS = 200;
/** How long a batch being issued stays its instance's without a sign of life (a chunk written). */
export const ISSUING_LEASE_MS = 30_000;
/** A batch of this many codes refreshes the database's statistics before it is read back. */
const STATISTICS_AFTER_CODES = 1000;

export interface Batch {
  id: string;
  createdAt: string;
  createdBy: string | null;
  filter: PeopleFilter;
  count: number;
  downloadUntil: string;
  downloadable: boolean;
}

export interface BatchItem {
  id: string;
  name: string;
  username: string | null;
  /** Grouped for reading. */
  code: string;
  expiresAt: number;
}

function toBatch(row: BatchesTable, now: number): Batch {
  return {
    id: row.id,
    createdAt: new Date(row.created_at).toISOString(),
    createdBy: row.created_by,
    filter: JSON.parse(row.filter) as PeopleFilter,
    count: row.count,
    downloadUntil: new Date(row.download_until).toISOString(),
    downloadable: row.erased_at === null && now < row.download_until,
  };
}

function requestHash(filter: PeopleFilter, lifetimeHours: number | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({ filter, lifetimeHours: lifetimeHours ?? null }))
    .digest('base64url');
}

/**
 * A lifetime asked for must suit every kind of code the selection gets (claim codes for the
 * unclaimed, recovery codes for the others, each with its own maximum): refused here, before the
 * transaction, rather than half-way through it. lifetimeFor still guards each row inside.
 */
async function checkLifetimeForSelection(
  deps: Deps,
  options: { filter: PeopleFilter; lifetimeHours?: number },
  now: number,
): Promise<void> {
  if (options.lifetimeHours === undefined) return;
  for (const status of ['unclaimed', 'active'] as const) {
    if (options.filter.status !== undefined && options.filter.status !== status) continue;
    const selected = await countPeople(deps.db, { ...options.filter, status }, { cap: 1, now });
    if (selected.count > 0) lifetimeFor(deps, { status }, options.lifetimeHours);
  }
}

/** A manager's bulk issue: their areas, their hourly allowance (SPEC §9). */
export interface ManagerBulk {
  areaIds: readonly string[];
  quota: CodeQuota;
}

/**
 * Who a bulk issue may select: never an admin (a code for an admin account is the two-person
 * rule's, one at a time); for a manager only the members (not managers) of their areas who have
 * no email address.
 */
export function issuableFilter(filter: PeopleFilter, manager?: Pick<ManagerBulk, 'areaIds'>): PeopleFilter {
  if (!manager) return { ...filter, roles: ['member', 'manager'] };
  return { ...filter, hasEmail: false, withinAreas: [...manager.areaIds], roles: ['member'] };
}

export async function issueAccessCodes(
  deps: Deps,
  options: {
    filter: PeopleFilter;
    actor: Actor;
    idempotencyKey?: string;
    lifetimeHours?: number;
    manager?: ManagerBulk;
  },
  // Awaited after each chunk; throwing undoes the whole batch.
  onProgress?: (issued: number) => void | Promise<void>,
): Promise<{ batch: Batch; replayed: boolean }> {
  const owner = options.actor.id ?? options.actor.label;
  options = { ...options, filter: issuableFilter(options.filter, options.manager) };
  const hash = requestHash(options.filter, options.lifetimeHours);

  // A retried request (same Idempotency-Key) gets the batch it already made, never a second one
  // that would void the codes of the first, which may already be printed.
  const replay = async (): Promise<{ batch: Batch; replayed: boolean } | null> => {
    if (!options.idempotencyKey) return null;
    const existing = await deps.db
      .selectFrom('batches')
      .selectAll()
      .where('created_by', '=', owner)
      .where('idempotency_key', '=', options.idempotencyKey)
      .executeTakeFirst();
    if (!existing) return null;
    if (existing.request_hash !== hash) throw new AppError('idempotency_conflict');
    if (existing.state !== 'issued') throw new AppError('idempotency_in_progress');
    return { batch: toBatch(existing, deps.clock.now()), replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;

  const now = deps.clock.now();
  await checkLifetimeForSelection(deps, options, now);
  const work: BatchWork = {
    deps,
    options,
    now,
    owner,
    batchId: newId(now),
    codes: hashOrderedCodes(deps.keyring.current),
    perArea: new Map(),
    count: 0,
  };
  try {
    const row = options.manager
      ? await issueInOneTransaction(work, hash, onProgress)
      : await issueStaged(work, hash, onProgress);
    countCodesIssued({}, row.count);
    if (row.count >= STATISTICS_AFTER_CODES) {
      await refreshAccessCodeStatistics(deps.db).catch((error: unknown) =>
        deps.log.warn(
          { err: { message: (error as Error).message } },
          'could not refresh the statistics on access codes after a bulk issue',
        ),
      );
    }
    return { batch: toBatch(row, now), replayed: false };
  } catch (error) {
    // Two requests with one Idempotency-Key at once: the loser returns the winner's batch.
    if (uniqueViolationColumn(error) !== null && options.idempotencyKey) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw error;
  }
}

interface BatchWork {
  deps: Deps;
  options: {
    filter: PeopleFilter;
    actor: Actor;
    idempotencyKey?: string;
    lifetimeHours?: number;
    manager?: ManagerBulk;
  };
  now: number;
  owner: string;
  batchId: string;
  /** The batch's codes, drawn in runs and handed out in the order of their hash (code-runs.ts). */
  codes: CodeSource;
  /** A manager's batch: codes per area, for the per-area summaries. */
  perArea: Map<string, number>;
  count: number;
}

function newBatchRow(work: BatchWork, hash: string, state: BatchState): BatchesTable {
  const { deps, options, now } = work;
  return {
    id: work.batchId,
    created_by: work.owner,
    created_at: now,
    filter: JSON.stringify(options.filter),
    count: 0,
    idempotency_key: options.idempotencyKey ?? null,
    request_hash: hash,
    download_until: now + deps.config.batchMinutes * MINUTE,
    erased_at: null,
    // A manager's batch has an audit entry per code; the others' code rows are the record.
    actor_label: options.manager ? null : options.actor.label,
    state,
    issuing_until: state === 'issuing' ? deps.clock.now() + ISSUING_LEASE_MS : null,
  };
}

/**
 * A manager's batch (at most their hourly allowance of codes): one transaction, so the quota, the
 * codes and the per-code audit entries (each naming the person's area) commit together.
 */
async function issueInOneTransaction(
  work: BatchWork,
  hash: string,
  onProgress?: (issued: number) => void | Promise<void>,
): Promise<BatchesTable> {
  return work.deps.db.transaction().execute(async (trx) => {
    const batch = newBatchRow(work, hash, 'issued');
    await trx.insertInto('batches').values(batch).execute();
    let after = '';
    for (let seq = 0; ; seq++) {
      const last = await writeChunk(trx, work, after, seq);
      if (last === null) break;
      after = last;
      await onProgress?.(work.count);
    }
    batch.count = work.count;
    await trx.updateTable('batches').set({ count: batch.count }).where('id', '=', work.batchId).execute();
    await finishBatch(trx, work);
    return batch;
  });
}

/**
 * An admin's or token's batch, which may hold a million codes: written a chunk per transaction,
 * so other requests (on SQLite, every other write) wait at most one chunk, never the whole batch.
 * It is still all or nothing: until the last step marks the batch issued, its codes do not work
 * (checks and redemption require an issued batch) and the codes they replaced are kept, marked
 * with the batch (replaced_by); if anything fails, or the process dies, undoBatch restores them
 * and removes the batch. The batch's lease (issuing_until) tells other instances it is alive.
 */
async function issueStaged(
  work: BatchWork,
  hash: string,
  onProgress?: (issued: number) => void | Promise<void>,
): Promise<BatchesTable> {
  const { deps, batchId } = work;
  const batch = newBatchRow(work, hash, 'issuing');
  await deps.db.insertInto('batches').values(batch).execute();
  try {
    let after = '';
    let size = ISSUE_CHUNK;
    // SQLite runs synchronously: without a turn of the event loop between chunks, requests that
    // arrived meanwhile would not even be read until the whole batch was written.
    const otherRequestsTurn = () => new Promise((resolve) => setImmediate(resolve));
    for (let seq = 0; ; seq++) {
      const started = performance.now();
      const issuedBefore = work.count;
      const last = await deps.db.transaction().execute(async (trx) => {
        await holdIssuingLease(trx, deps, batchId);
        return writeChunk(trx, work, after, seq, size);
      });
      if (last === null) break;
      after = last;
      const wasFull = work.count - issuedBefore === size;
      // PostgreSQL: other requests do not wait for a chunk (only for the people it holds), so its
      // chunks stay ISSUE_CHUNK and each commit (with its WAL flush) is not repeated more often.
      if (dialectOf(deps.db) === 'sqlite') size = nextChunkSize(size, performance.now() - started);
      await onProgress?.(work.count);
      await otherRequestsTurn();
      // Twice the chunk, in two turns: the next run is as large as all the codes handed out before
      // it. A chunk that was not full was the last: nothing more is drawn.
      if (!wasFull) continue;
      for (let turn = 0; turn < 2; turn++) {
        work.codes.drawAhead(size);
        await otherRequestsTurn();
      }
    }
    batch.count = work.count;
    batch.state = 'issued';
    batch.issuing_until = null;
    await deps.db.transaction().execute(async (trx) => {
      await holdIssuingLease(trx, deps, batchId);
      await trx
        .updateTable('batches')
        .set({ count: batch.count, state: 'issued', issuing_until: null })
        .where('id', '=', batchId)
        .execute();
      await finishBatch(trx, work);
    });
    return batch;
  } catch (error) {
    await undoBatch(deps, batchId).catch((undoError: unknown) =>
      deps.log.error(
        { err: { message: (undoError as Error).message }, batchId },
        'could not undo an unfinished bulk issue; the retention sweep will try again',
      ),
    );
    throw error;
  }
}

/** The next chunk's size: what fits ISSUE_CHUNK_MS at the pace of the last one, changing at most twofold. */
export function nextChunkSize(size: number, tookMs: number): number {
  const factor = Math.min(2, Math.max(0.5, ISSUE_CHUNK_MS / Math.max(tookMs, 1)));
  return Math.min(MAX_ISSUE_CHUNK, Math.max(ISSUE_CHUNK / 4, Math.round(size * factor)));
}

/**
 * Extends the batch's lease, inside a chunk's transaction; throws when the batch is no longer
 * issuing (another instance found the lease run out and is undoing it), so this one stops.
 */
async function holdIssuingLease(trx: Db, deps: Deps, batchId: string): Promise<void> {
  const result = await trx
    .updateTable('batches')
    .set({ issuing_until: deps.clock.now() + ISSUING_LEASE_MS })
    .where('id', '=', batchId)
    .where('state', '=', 'issuing')
    .where('issuing_until', '>', 0)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new Error('the bulk issue lost its batch to another instance');
}

/**
 * Writes the next chunk of the batch: up to `size` people after `after` (by id) get a code each,
 * replacing their open one. Returns the last person's id, or null when no one is left.
 */
async function writeChunk(
  trx: Db,
  work: BatchWork,
  after: string,
  seq: number,
  size = ISSUE_CHUNK,
): Promise<string | null> {
  const { deps, options, now, batchId } = work;
  let select = applyPeopleFilter(trx, trx.selectFrom('people'), options.filter, now, { areaAfterId: after })
    .select(['people.id', 'people.status'])
    .where('people.status', '!=', 'deactivated')
    .where('people.id', '>', after)
    .orderBy('people.id')
    .limit(size);
  // PostgreSQL: lock the people first, as issueAccessCode, deactivation and redemption do
  // (person, then code), so a concurrent single issue waits instead of breaking R2's index.
  if (dialectOf(trx) === 'postgres') select = select.forUpdate();
  const walked: Pick<PeopleTable, 'id' | 'status'>[] = await select.execute();
  if (walked.length === 0) return null;
  const walkedTo = walked[walked.length - 1]!.id;
  const people = await stillInCodeState(trx, options.filter, walked, now);
  if (people.length === 0) return walkedTo;
  await replaceOpenAccessCodes(
    trx,
    people.map((p) => p.id),
    now,
    batchId,
  );
  const drawn = work.codes.take(people.length);
  const made = people.map((person, i) =>
    newAccessCodeRow(deps, person, {
      now,
      lifetimeMs: lifetimeFor(deps, person, options.lifetimeHours),
      issuedBy: work.owner,
      batchId,
      drawn: drawn[i]!,
    }),
  );
  const rows = made.map((m) => m.row);
  await insertAccessCodes(trx, rows);
  await trx
    .insertInto('batch_code_chunks')
    .values(sealChunk(deps, batchId, seq, made))
    .execute();
  // Each person's code_state follows their new code; expiry differs by kind (claim/recovery).
  for (const expiresAt of new Set(rows.map((r) => r.expires_at))) {
    const ids = rows.filter((r) => r.expires_at === expiresAt).map((r) => r.person_id);
    await setPersonCodeState(trx, ids, 'active', expiresAt);
  }
  if (options.manager) {
    // A manager's entries name the area the person is in (the first of the manager's areas they share).
    const areaOf = await firstAreaOfEach(
      trx,
      rows.map((r) => r.person_id),
      options.manager.areaIds,
    );
    await recordAuditEvents(
      trx,
      rows.map((row) => {
        const areaId = areaOf.get(row.person_id) ?? null;
        if (areaId) work.perArea.set(areaId, (work.perArea.get(areaId) ?? 0) + 1);
        return {
          action: 'access_code.issued' as const,
          actor: options.actor,
          personId: row.person_id,
          areaId,
          details: { codeId: row.id, kind: row.kind, expiresAt: new Date(row.expires_at).toISOString(), batchId },
          at: now,
        };
      }),
    );
  }
  work.count += rows.length;
  return walkedTo;
}

/**
 * PostgreSQL, a batch for a code state (the people with none, or whose code expired): the walked
 * people still in it. The walk's code-state test was read before its row locks were granted, and
 * a code issued or used meanwhile changes only person_code_states, which the walk does not read
 * again; this statement, after the locks, sees it. SQLite's write lock already serialises.
 */
async function stillInCodeState<T extends { id: string }>(
  trx: Db,
  filter: PeopleFilter,
  walked: T[],
  now: number,
): Promise<T[]> {
  if (filter.codeState === undefined || dialectOf(trx) !== 'postgres') return walked;
  const rows = await applyPeopleFilter(trx, trx.selectFrom('people'), { codeState: filter.codeState }, now)
    .select('people.id')
    .where(
      'people.id',
      'in',
      walked.map((person) => person.id),
    )
    .execute();
  const still = new Set(rows.map((row) => row.id));
  return walked.filter((person) => still.has(person.id));
}

/** The batch's summary entries (and a manager's quota), in the transaction that completes it. */
async function finishBatch(trx: Db, work: BatchWork): Promise<void> {
  const { options, now, batchId, count } = work;
  // A manager's codes count against their hour, all of them or none (the batch rolls back).
  if (options.manager) await takeCodeQuota(trx, options.manager.quota, count, now);
  if (!options.manager) {
    await recordAuditEvent(trx, {
      action: 'access_codes.issued',
      actor: options.actor,
      details: { batchId, count, filter: options.filter },
      at: now,
    });
    return;
  }
  // One summary per area, so each area's log tells how many of the batch were its people.
  for (const [areaId, inArea] of [...work.perArea].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await recordAuditEvent(trx, {
      action: 'access_codes.issued',
      actor: options.actor,
      areaId,
      details: { batchId, count: inArea, batchCount: count, filter: options.filter },
      at: now,
    });
  }
}

/**
 * A chunk of the batch's codes, sealed as one AES-GCM message (one per code cost a bulk issue
 * more than writing the code). The batch id and chunk number are the associated data, so a chunk
 * copied into another batch or place does not open. Codes ids ascend within a batch (UUIDv7 from
 * one process), so a chunk covers the id range [first, last] of the batch's rows.
 */
function sealChunk(
  deps: Pick<Deps, 'keyring'>,
  batchId: string,
  seq: number,
  made: readonly { row: AccessCodesTable; code: string }[],
): BatchCodeChunksTable {
  const pairs = made.map(({ row, code }) => [row.id, code]);
  return {
    batch_id: batchId,
    seq,
    first_code_id: made[0]!.row.id,
    last_code_id: made[made.length - 1]!.row.id,
    sealed: encrypt(deps.keyring, 'batch code', JSON.stringify(pairs), { associatedData: `${batchId}:${seq}` }),
  };
}

/** A sealed chunk's codes by code id; empty when it does not open (a key no longer held). */
function openChunk(deps: Pick<Deps, 'keyring'>, chunk: BatchCodeChunksTable): Map<string, string> {
  const plain = decrypt(deps.keyring, 'batch code', chunk.sealed, {
    associatedData: `${chunk.batch_id}:${chunk.seq}`,
  });
  return new Map(plain === null ? [] : (JSON.parse(plain) as [string, string][]));
}

/** The batch's sealed chunk number `seq`, if it has one. */
function batchChunk(db: Db, batchId: string, seq: number): Promise<BatchCodeChunksTable | undefined> {
  return db
    .selectFrom('batch_code_chunks')
    .selectAll()
    .where('batch_id', '=', batchId)
    .where('seq', '=', seq)
    .executeTakeFirst();
}

/**
 * Every code of the batch still worth printing, by code id: the sealed chunks opened one after
 * another. For the slips, which are sorted by store and name across the whole batch.
 */
export async function openBatchCodes(
  deps: Deps,
  batchId: string,
  codeIds: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (let seq = 0; ; seq++) {
    const chunk = await batchChunk(deps.db, batchId, seq);
    if (!chunk) return codes;
    for (const [id, code] of openChunk(deps, chunk)) if (codeIds.has(id)) codes.set(id, code);
  }
}

/** A batch whose codes can still be downloaded: 404 when there is none, 410 once its window closed. */
export async function downloadableBatch(deps: Deps, batchId: string): Promise<Batch> {
  const batch = await getBatch(deps, batchId);
  if (!batch) throw new AppError('not_found', { message: 'No batch with that id.' });
  if (!batch.downloadable) throw new AppError('batch_expired');
  return batch;
}

export async function getBatch(deps: Deps, id: string): Promise<Batch | null> {
  // A batch still being issued is not there yet (its codes do not work until it is).
  const row = await deps.db
    .selectFrom('batches')
    .selectAll()
    .where('id', '=', id)
    .where('state', '=', 'issued')
    .executeTakeFirst();
  return row ? toBatch(row, deps.clock.now()) : null;
}

/**
 * The batch's codes, decrypted chunk by chunk (bounded memory at any size). Codes used,
 * replaced or deactivated since the issue are no longer offered.
 */
export async function* readBatchCodes(deps: Deps, batchId: string): AsyncGenerator<BatchItem> {
  for await (const page of readBatchCodePages(deps, batchId)) yield* page;
}

/**
 * readBatchCodes a sealed chunk at a time: a large download spent more in handing its items one
 * by one through async generators than in reading and opening them.
 */
export async function* readBatchCodePages(deps: Deps, batchId: string): AsyncGenerator<BatchItem[]> {
  await downloadableBatch(deps, batchId);
  let after = '';
  for (let seq = 0; ; seq++) {
    // Batches made before migration 0011 kept each code sealed on its own row instead.
    const chunk = await batchChunk(deps.db, batchId, seq);
    const rows = await offeredCodes(deps.db, batchId)
      .select(['access_codes.code_encrypted'])
      .where('access_codes.id', chunk ? '>=' : '>', chunk ? chunk.first_code_id : after)
      .$if(chunk !== undefined, (q) => q.where('access_codes.id', '<=', chunk!.last_code_id))
      .$if(chunk === undefined, (q) => q.where('access_codes.code_encrypted', 'is not', null).limit(CHUNK))
      .orderBy('access_codes.id')
      .execute();
    if (!chunk && rows.length === 0) return;
    // A turn of the event loop per chunk: SQLite answers synchronously, and a download of a large
    // batch would otherwise keep every other request waiting until it is done.
    await new Promise((resolve) => setImmediate(resolve));
    const codes = chunk ? openChunk(deps, chunk) : null;
    const page: BatchItem[] = [];
    for (const row of rows) {
      after = row.codeId;
      const code =
        codes?.get(row.codeId) ??
        (row.code_encrypted
          ? decrypt(deps.keyring, 'batch code', row.code_encrypted, { associatedData: batchId })
          : null);
      if (code === null || code === undefined) continue;
      page.push({
        id: row.personId,
        name: row.name,
        username: row.username,
        code: formatAccessCode(code),
        expiresAt: row.expiresAt,
      });
    }
    if (page.length > 0) yield page;
  }
}

/**
 * The batch's codes that are still open (not used, replaced or deactivated), with their person:
 * what a download offers (here, and the slips' facts in batch-slips.ts).
 */
export function offeredCodes(db: Db, batchId: string) {
  return db
    .selectFrom('access_codes')
    .innerJoin('people', 'people.id', 'access_codes.person_id')
    .select([
      'access_codes.id as codeId',
      'people.id as personId',
      'people.name',
      'people.username',
      'access_codes.expires_at as expiresAt',
    ])
    .where('access_codes.batch_id', '=', batchId)
    .where('access_codes.used_at', 'is', null)
    .where('access_codes.deactivated_at', 'is', null)
    .where('access_codes.replaced_at', 'is', null);
}

/** Erases the encrypted codes of every batch whose download window has closed. */
export async function eraseExpiredBatches(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('batches')
    .select('id')
    .where('download_until', '<=', now)
    .where('erased_at', 'is', null)
    .execute();
  for (const { id } of due) {
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('access_codes')
        .set({ code_encrypted: null })
        .where('batch_id', '=', id)
        .where('code_encrypted', 'is not', null)
        .execute();
      await trx.deleteFrom('batch_code_chunks').where('batch_id', '=', id).execute();
      await trx.updateTable('batches').set({ erased_at: now }).where('id', '=', id).execute();
    });
  }
  return due.length;
}

/** R6 in bulk: deactivates the open codes of everyone the filter selects. */
export async function deactivateAccessCodes(
  deps: Deps,
  options: { filter: PeopleFilter; actor: Actor },
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    let after = '';
    let total = 0;
    for (;;) {
      let select = applyPeopleFilter(trx, trx.selectFrom('people'), options.filter, now, { areaAfterId: after })
        .select('people.id')
        // An open code, expired or not (person_code_states' 'active').
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('person_code_states as s')
              .select('s.person_id')
              .whereRef('s.person_id', '=', 'people.id')
              .where('s.state', '=', 'active'),
          ),
        )
        .where('people.id', '>', after)
        .orderBy('people.id')
        .limit(CHUNK);
      // Person before code, the lock order of every other code write (no deadlock on PostgreSQL).
      if (dialectOf(trx) === 'postgres') select = select.forUpdate();
      const people = await select.execute();
      if (people.length === 0) break;
      after = people[people.length - 1]!.id;
      const ids = people.map((p) => p.id);
      const codes = await deactivateOpenAccessCodes(trx, ids, now);
      total += codes.length;
      // The people whose open code this deactivated: on PostgreSQL the selection's code-state test
      // was read before its row locks were granted, so a code used meanwhile is not among them.
      const deactivated = [...new Set(codes.map((code) => code.person_id))];
      await setPersonCodeState(trx, deactivated, 'deactivated', null);
      // Each person's deactivation is audited as the single one is, so a person's history shows it.
      await recordAuditEvents(
        trx,
        codes.map((code) => ({
          action: 'access_code.deactivated' as const,
          actor: options.actor,
          personId: code.person_id,
          details: { codeId: code.id, source: 'selection' },
          at: now,
        })),
      );
    }
    await recordAuditEvent(trx, {
      action: 'access_codes.deactivated',
      actor: options.actor,
      details: { count: total, filter: options.filter },
      at: now,
    });
    return total;
  });
}
