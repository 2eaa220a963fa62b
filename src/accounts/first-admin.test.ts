// The bootstrap admin: a claim code that lives 24 hours, and person, code and audit written in
// one transaction so no admin is ever left without a code; on every dialect.
import { findPersonById } from '../people/people.store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { auditRows, failAuditInserts, openCodeCount } from '../../test/helpers/core.js';
import { CLI_ACTOR } from '../audit/audit.js';
import { HOUR } from '../lib/clock.js';
import { createAdmin, createFirstAdminIfEmpty } from './first-admin.js';

describe.each(DIALECTS)('the first admin (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  const peopleCount = async (): Promise<number> => {
    const row = await context.deps.db
      .selectFrom('people')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  it('is made once, on an empty database, with a claim code that lives 24 hours', async () => {
    const now = context.clock.now();
    const issued = await createFirstAdminIfEmpty(context.deps);
    expect(issued).not.toBeNull();
    expect(issued!.expiresAt).toBe(now + 24 * HOUR);
    const db = context.deps.db;
    const id = issued!.person.id;
    const code = await db.selectFrom('access_codes').selectAll().where('person_id', '=', id).executeTakeFirstOrThrow();
    expect(code).toMatchObject({ kind: 'claim', created_at: now, expires_at: now + 24 * HOUR });
    const person = (await findPersonById(db, id))!;
    expect(person).toMatchObject({ username: 'admin', role: 'admin', status: 'unclaimed', code_state: 'active' });
    expect(person.code_expires_at).toBe(now + 24 * HOUR);
    expect(await createFirstAdminIfEmpty(context.deps)).toBeNull();
    expect(await peopleCount()).toBe(1);
  });

  it('`keyslip admin create` gives a 24-hour claim code too', async () => {
    const issued = await createAdmin(context.deps, { name: 'Ada Admin', username: 'ada' }, CLI_ACTOR);
    expect(issued.expiresAt).toBe(context.clock.now() + 24 * HOUR);
  });

  const failing = ['access_code.issued', 'person.created'];
  it.each(failing)('when the %s entry cannot be written, no admin remains; a later start makes one', async (action) => {
    const restore = await failAuditInserts(context, action);
    await expect(createFirstAdminIfEmpty(context.deps)).rejects.toThrow();
    await restore();
    expect(await peopleCount()).toBe(0);
    expect(await auditRows(context.deps.db)).toEqual([]);

    const issued = await createFirstAdminIfEmpty(context.deps);
    expect(issued).not.toBeNull();
    expect(await openCodeCount(context.deps.db, issued!.person.id)).toBe(1);
  });
});
