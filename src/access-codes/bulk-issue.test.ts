import { Readable } from 'node:stream';
import { findPersonById } from '../people/people.store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { listAuditEvents, type Actor } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { DAY } from '../lib/clock.js';
import { importPeople } from '../people/people-import.js';
import { sweepExpiredData } from '../retention/retention.js';
import { checkAccessCode, issueAccessCode, redeemAccessCode } from './access-codes.service.js';
import { consumeAccessCode, findAccessCodeForAttempt } from './access-codes.store.js';
import { undoAbandonedBatches, undoBatch } from './batch-undo.js';
import { readBatchSlips } from './batch-slips.js';
import {
  getBatch,
  ISSUE_CHUNK,
  ISSUE_CHUNK_MS,
  ISSUING_LEASE_MS,
  issueAccessCodes,
  MAX_ISSUE_CHUNK,
  nextChunkSize,
  readBatchCodes,
} from './batches.service.js';
import { expectAppError } from '../../test/helpers/core.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-0000000000ad', label: 'Ada Admin' };
/** More people than two first-sized chunks of a bulk issue (ISSUE_CHUNK), so a batch spans several sealed chunks. */
const PEOPLE = 2 * ISSUE_CHUNK + 345;

describe("the size of a bulk issue's chunks on SQLite", () => {
  it('follows the time the last chunk took, at most twofold each time and within bounds', () => {
    expect(nextChunkSize(ISSUE_CHUNK, ISSUE_CHUNK_MS)).toBe(ISSUE_CHUNK);
    expect(nextChunkSize(ISSUE_CHUNK, ISSUE_CHUNK_MS / 4)).toBe(2 * ISSUE_CHUNK);
    expect(nextChunkSize(ISSUE_CHUNK, ISSUE_CHUNK_MS * 1.25)).toBe(ISSUE_CHUNK * 0.8);
    expect(nextChunkSize(ISSUE_CHUNK, ISSUE_CHUNK_MS * 10)).toBe(ISSUE_CHUNK / 2);
    expect(nextChunkSize(ISSUE_CHUNK / 4, ISSUE_CHUNK_MS * 10)).toBe(ISSUE_CHUNK / 4);
    expect(nextChunkSize(MAX_ISSUE_CHUNK, 0)).toBe(MAX_ISSUE_CHUNK);
  });
});

describe.each(DIALECTS)('a bulk issue across chunks (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
    const lines = ['name,employeeId'];
    for (let i = 0; i < PEOPLE; i++) lines.push(`Worker ${i},E${String(i).padStart(5, '0')}`);
    const report = await importPeople(deps, Readable.from([`${lines.join('\n')}\n`]), ADMIN);
    expect(report.created).toBe(PEOPLE);
  });
  afterEach(async () => {
    await context.close();
  });

  const read = async (batchId: string) => {
    const items = [];
    for await (const item of readBatchCodes(deps, batchId)) items.push(item);
    return items;
  };

  /** Three people with a code each (issued one by one), to see what a bulk issue does to them. */
  async function withOldCodes(): Promise<{ id: string; code: string }[]> {
    const people = await deps.db.selectFrom('people').select('id').orderBy('id').limit(3).execute();
    const held = [];
    for (const { id } of people)
      held.push({ id, code: (await issueAccessCode(deps, { personId: id, actor: ADMIN })).code });
    context.clock.advance(1_000);
    return held;
  }

  async function stateOf(personIds: string[]) {
    const rows = await Promise.all(personIds.map((id) => findPersonById(deps.db, id)));
    return rows
      .map((row) => ({ id: row!.id, code_state: row!.code_state, code_expires_at: row!.code_expires_at }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  it('while a batch is being issued its codes do not work; a failure half-way restores what it replaced', async () => {
    const held = await withOldCodes();
    const before = await stateOf(held.map((h) => h.id));
    let chunks = 0;
    let seen: { pending: number; found: unknown; consumed: boolean } | null = null;
    await expect(
      issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN }, async () => {
        chunks += 1;
        if (chunks === 1) {
          // Between chunks, other requests go on; the batch's first codes are written but do not work.
          const pending = await deps.db
            .selectFrom('access_codes')
            .selectAll()
            .where('batch_id', 'is not', null)
            .execute();
          const first = pending[0]!;
          seen = {
            pending: pending.length,
            found: await findAccessCodeForAttempt(deps.db, [first.code_hash], { key: 'test', windowStart: 0 }),
            consumed: await consumeAccessCode(deps.db, first.id, deps.clock.now()),
          };
        }
        if (chunks === 2) throw new Error('the disk is full');
      }),
    ).rejects.toThrow('the disk is full');
    expect(seen).toEqual({ pending: ISSUE_CHUNK, found: null, consumed: false });
    // Nothing of the batch is left, and the codes it replaced work again, as if it had never run.
    expect(await deps.db.selectFrom('access_codes').select('id').where('batch_id', 'is not', null).execute()).toEqual(
      [],
    );
    expect(await deps.db.selectFrom('batches').select('id').execute()).toEqual([]);
    expect(await stateOf(held.map((h) => h.id))).toEqual(before);
    for (const { code } of held) await checkAccessCode(deps, { code, client: client() });
    const codeStates = await deps.db
      .selectFrom('person_code_states')
      .select('state')
      .where('state', '!=', 'none')
      .execute();
    expect(codeStates).toHaveLength(held.length);
  });

  it('a batch whose instance died is undone by another once its lease runs out, and the first one stops', async () => {
    const held = await withOldCodes();
    let release: () => void = () => undefined;
    let chunks = 0;
    const issuing = issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN }, async () => {
      chunks += 1;
      // The issuing instance stalls after its first chunk (as if it had died).
      if (chunks === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const outcome = issuing.then(
      () => 'issued',
      (error: Error) => error.message,
    );
    await expect.poll(() => chunks).toBe(1);
    // The replaced codes are refused while the batch is unfinished…
    await expectAppError(checkAccessCode(deps, { code: held[0]!.code, client: client() }), 'code_unusable');
    // …a live lease is left alone…
    expect(await undoAbandonedBatches(deps)).toBe(0);
    // …and one that ran out is undone: the old codes work again.
    context.clock.advance(ISSUING_LEASE_MS + 1);
    expect(await undoAbandonedBatches(deps)).toBe(1);
    for (const { code } of held) await checkAccessCode(deps, { code, client: client() });
    release();
    expect(await outcome).toMatch(/lost its batch/);
    expect(await deps.db.selectFrom('access_codes').select('id').where('batch_id', 'is not', null).execute()).toEqual(
      [],
    );
  });

  it('a person deactivated while the batch is issued keeps no code if the batch is then undone', async () => {
    const held = await withOldCodes();
    let chunks = 0;
    await expect(
      issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN }, async () => {
        chunks += 1;
        if (chunks === 1) {
          // The admin deactivates the first person's code: the batch's, which had replaced the old one.
          const { deactivateAccessCode } = await import('./access-codes.service.js');
          await deactivateAccessCode(deps, { personId: held[0]!.id, actor: ADMIN });
        }
        if (chunks === 2) throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    await expectAppError(checkAccessCode(deps, { code: held[0]!.code, client: client() }), 'code_unusable');
    expect((await stateOf([held[0]!.id]))[0]!.code_state).toBe('deactivated');
    await checkAccessCode(deps, { code: held[1]!.code, client: client() });
  });

  it('a batch once issued is never undone, even if asked', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    const [first] = await read(batch.id);
    await undoBatch(deps, batch.id);
    expect((await getBatch(deps, batch.id))?.count).toBe(PEOPLE);
    expect((await checkAccessCode(deps, { code: first!.code, client: client() })).name).toBe(first!.name);
  });

  it('a batch being issued cannot be read or downloaded yet', async () => {
    const seen: unknown[] = [];
    await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN }, async () => {
      const row = await deps.db.selectFrom('batches').select('id').executeTakeFirstOrThrow();
      seen.push(await getBatch(deps, row.id));
    });
    const [batch] = await deps.db.selectFrom('batches').select('id').execute();
    expect((await getBatch(deps, batch!.id))?.count).toBe(PEOPLE);
    // After every chunk (how many depends on how fast they were written: their size follows their time).
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.filter((batch) => batch !== null)).toEqual([]);
  });

  it('every person gets one working code, downloadable once each, and a used one is no longer offered', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    expect(batch.count).toBe(PEOPLE);
    const items = await read(batch.id);
    expect(items).toHaveLength(PEOPLE);
    expect(new Set(items.map((item) => item.id)).size).toBe(PEOPLE);
    expect(new Set(items.map((item) => item.code)).size).toBe(PEOPLE);
    // Codes from the first, a middle and the last chunk all work, for the right person.
    for (const item of [items[0]!, items[ISSUE_CHUNK + 10]!, items[PEOPLE - 1]!]) {
      const checked = await checkAccessCode(deps, { code: item.code, client: client() });
      expect(checked.name).toBe(item.name);
    }
    const used = items[ISSUE_CHUNK + 200]!;
    await redeemAccessCode(deps, {
      code: used.code,
      username: 'worker.used',
      password: 'violet harbour lamp q',
      client: client(),
    });
    const again = await read(batch.id);
    expect(again).toHaveLength(PEOPLE - 1);
    expect(again.map((item) => item.id)).not.toContain(used.id);
    // The slips offer the same codes.
    const slips = [];
    for await (const slip of readBatchSlips(deps, batch.id, 'en')) slips.push(slip);
    expect(new Map(slips.map((slip) => [slip.id, slip.code]))).toEqual(
      new Map(again.map((item) => [item.id, item.code])),
    );
  });

  it('writes its codes in the order of their hash: the first chunk’s rows, by the hash’s first letters', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    // Code ids ascend in the order the rows were written; the first chunk is the first run, whole.
    const rows = await deps.db
      .selectFrom('access_codes')
      .select('code_hash')
      .where('batch_id', '=', batch.id)
      .orderBy('id')
      .limit(ISSUE_CHUNK)
      .execute();
    const places = rows.map(({ code_hash }) => code_hash.charCodeAt(0) * 128 + code_hash.charCodeAt(1));
    expect(places).toHaveLength(ISSUE_CHUNK);
    expect(places).toEqual([...places].sort((a, b) => a - b));
  });

  it('the batch is one audit entry, and each person’s history still shows their code issued in it', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    const written = await deps.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('action', 'in', ['access_code.issued', 'access_codes.issued'])
      .execute();
    expect(written.map((row) => row.action)).toEqual(['access_codes.issued']);
    expect(JSON.parse(written[0]!.details)).toMatchObject({ batchId: batch.id, count: PEOPLE });

    const [someone] = (await read(batch.id)).slice(2_000, 2_001);
    context.clock.advance(60_000);
    const single = await issueAccessCode(deps, { personId: someone!.id, actor: ADMIN });
    const history = await listAuditEvents(deps.db, { personId: someone!.id, limit: 10 });
    const issues = history.items.filter((event) => event.action.startsWith('access_code'));
    // Newest first: the single issue, then the batch's, as entries of the same kind.
    expect(issues.map((event) => [event.action, event.details.batchId ?? null])).toEqual([
      ['access_code.issued', null],
      ['access_code.issued', batch.id],
    ]);
    expect(issues[1]).toMatchObject({
      personId: someone!.id,
      actor: { id: ADMIN.id, label: 'Ada Admin' },
      at: new Date(batch.createdAt).toISOString(),
      details: { kind: 'claim' },
    });
    expect(single.person.id).toBe(someone!.id);
    // Paged one at a time, the two sources interleave without loss or repeat.
    const paged = [];
    for (let cursor: string | undefined, page = 0; page < 10; page++) {
      const next = await listAuditEvents(deps.db, { personId: someone!.id, limit: 1, ...(cursor ? { cursor } : {}) });
      paged.push(...next.items);
      if (!next.nextCursor) break;
      cursor = next.nextCursor;
    }
    expect(paged.map((event) => event.id)).toEqual(history.items.map((e) => e.id));
    // Filtered by the issuer, or by another actor.
    expect(
      (
        await listAuditEvents(deps.db, {
          personId: someone!.id,
          actorId: ADMIN.id!,
          action: 'access_code.issued',
          limit: 10,
        })
      ).items,
    ).toHaveLength(2);
    expect((await listAuditEvents(deps.db, { personId: someone!.id, actorId: 'nobody', limit: 10 })).items).toEqual([]);
    // The whole log folds the batch into its one entry.
    const folded = await listAuditEvents(deps.db, { foldBatches: true, action: 'access_code.issued', limit: 10 });
    expect(folded.items.map((event) => event.personId)).toEqual([someone!.id]);
  });

  it('a bulk-issued code row outlives the code sweep as long as audit entries are kept', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    const [someone] = await read(batch.id);
    // A newer code makes the batch's the person's older one; then time passes beyond every expiry.
    await issueAccessCode(deps, { personId: someone!.id, actor: ADMIN });
    context.clock.advance(200 * DAY);
    await sweepExpiredData(deps, 'test');
    const kept = await listAuditEvents(deps.db, { personId: someone!.id, limit: 10 });
    expect(kept.items.filter((event) => event.details.batchId === batch.id)).toHaveLength(1);
    context.clock.advance((deps.config.auditRetentionDays + 1) * DAY);
    await sweepExpiredData(deps, 'test');
    const gone = await listAuditEvents(deps.db, { personId: someone!.id, limit: 10 });
    expect(gone.items.filter((event) => event.details.batchId === batch.id)).toEqual([]);
  });
});
