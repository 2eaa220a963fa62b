import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { listAuditEvents, type Actor } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { DAY } from '../lib/clock.js';
import { importPeople } from '../people/people-import.js';
import { sweepExpiredData } from '../retention/retention.js';
import { checkAccessCode, issueAccessCode, redeemAccessCode } from './access-codes.service.js';
import { readBatchSlips } from './batch-slips.js';
import { issueAccessCodes, readBatchCodes } from './batches.service.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-0000000000ad', label: 'Ada Admin' };
/** More people than one chunk of a bulk issue (1,000), so a batch spans several sealed chunks. */
const PEOPLE = 2_345;

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

  it('every person gets one working code, downloadable once each, and a used one is no longer offered', async () => {
    const { batch } = await issueAccessCodes(deps, { filter: { hasEmail: false }, actor: ADMIN });
    expect(batch.count).toBe(PEOPLE);
    const items = await read(batch.id);
    expect(items).toHaveLength(PEOPLE);
    expect(new Set(items.map((item) => item.id)).size).toBe(PEOPLE);
    expect(new Set(items.map((item) => item.code)).size).toBe(PEOPLE);
    // Codes from the first, a middle and the last chunk all work, for the right person.
    for (const item of [items[0]!, items[1_500]!, items[PEOPLE - 1]!]) {
      const checked = await checkAccessCode(deps, { code: item.code, client: client() });
      expect(checked.name).toBe(item.name);
    }
    const used = items[1_200]!;
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
