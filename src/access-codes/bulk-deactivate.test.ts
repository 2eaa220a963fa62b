// R6 in bulk: deactivating the codes of a selection leaves an audit entry for each person whose
// code it deactivated, in the same transaction as the codes; on every dialect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { addPerson, auditRows, failAuditInserts, openCodeCount } from '../../test/helpers/core.js';
import type { Actor } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import type { Person } from '../people/person.js';
import { deactivateAccessCodes } from './batches.service.js';
import { issueAccessCode } from './access-codes.service.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-000000000001', label: 'boss', ip: '198.51.100.7' };

const nightWorkers = (deps: Deps, ids: string[]): Promise<Person[]> =>
  Promise.all(ids.map((id) => addPerson(deps, { name: `Night ${id}`, employeeId: id, department: 'Night' })));

describe.each(DIALECTS)('bulk deactivation of access codes (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  it('writes one access_code.deactivated entry per person whose code it deactivated, and the summary', async () => {
    const night = await nightWorkers(context.deps, ['N-1', 'N-2', 'N-3']);
    const [noCode] = await nightWorkers(context.deps, ['N-4']);
    const day = await addPerson(context.deps, { name: 'Day Worker', employeeId: 'D-1', department: 'Day' });
    for (const person of [...night, day]) await issueAccessCode(context.deps, { personId: person.id, actor: ADMIN });

    expect(await deactivateAccessCodes(context.deps, { filter: { department: 'Night' }, actor: ADMIN })).toBe(3);

    const entries = await auditRows(context.deps.db, { action: 'access_code.deactivated' });
    expect(entries.map((e) => e.person_id).sort()).toEqual(night.map((p) => p.id).sort());
    for (const entry of entries) {
      expect(entry).toMatchObject({ actor_id: ADMIN.id, actor_label: 'boss', ip: ADMIN.ip });
      const codeId = (JSON.parse(entry.details) as { codeId: string }).codeId;
      const code = await context.deps.db
        .selectFrom('access_codes')
        .select(['person_id', 'deactivated_at'])
        .where('id', '=', codeId)
        .executeTakeFirstOrThrow();
      expect(code.person_id).toBe(entry.person_id);
      expect(code.deactivated_at).not.toBeNull();
    }
    expect(await auditRows(context.deps.db, { personId: noCode!.id, action: 'access_code.deactivated' })).toEqual([]);
    expect(await openCodeCount(context.deps.db, day.id)).toBe(1);
    const [summary] = await auditRows(context.deps.db, { action: 'access_codes.deactivated' });
    expect(JSON.parse(summary!.details)).toMatchObject({ count: 3 });
  });

  it('when the per-person entries cannot be written, no code is deactivated', async () => {
    const people = await nightWorkers(context.deps, ['N-1', 'N-2']);
    for (const person of people) await issueAccessCode(context.deps, { personId: person.id, actor: ADMIN });
    const restore = await failAuditInserts(context, 'access_code.deactivated');
    const bulk = deactivateAccessCodes(context.deps, { filter: { department: 'Night' }, actor: ADMIN });
    await expect(bulk).rejects.toThrow();
    await restore();
    for (const person of people) expect(await openCodeCount(context.deps.db, person.id)).toBe(1);
  });
});
