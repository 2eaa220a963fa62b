import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { addPerson, auditRows, client, failAuditInserts } from '../../test/helpers/core.js';
import type { Deps } from '../deps.js';
import { MINUTE } from '../lib/clock.js';
import { reserveAttempt, type Reservation } from '../rate-limits/rate-limits.js';
import { newSession } from '../sessions/session.js';
import { findSessionByHash } from '../sessions/sessions.store.js';
import { recordSuccessfulSignIn, type SignInWrites } from './sign-in.store.js';

// The writes of a successful sign-in are one transaction on SQLite and one statement on
// PostgreSQL: both must write all of them, or (the password replaced, the person deactivated, an
// entry that cannot be written) none.
describe.each(DIALECTS)('a successful sign-in’s writes (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  const window = { size: 15 * MINUTE, limit: 50 };

  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });

  afterEach(async () => {
    await context.close();
  });

  /** A person with a password, three failures in a row, a session to be replaced and an address slot taken. */
  async function prepare(): Promise<SignInWrites> {
    const now = context.clock.now();
    const person = await addPerson(deps, { name: 'Sam Ek', username: 'sam' });
    await deps.db
      .updateTable('people')
      .set({ password_hash: 'verified-hash', status: 'active', failed_sign_ins: 3, last_failed_sign_in_at: now })
      .where('id', '=', person.id)
      .execute();
    const old = newSession(deps.config, person.id, now - MINUTE, client());
    await deps.db.insertInto('sessions').values(old.row).execute();
    const slot = await reserveAttempt(deps.db, 'sign-in:192.0.2.10', window, now);
    if (!slot.reserved) throw new Error('no slot');
    return {
      personId: person.id,
      passwordHash: 'verified-hash',
      now,
      endSessionHash: old.session.idHash,
      session: newSession(deps.config, person.id, now, client()).row,
      audit: {
        action: 'sign_in.succeeded',
        actor: { kind: 'person', id: person.id, label: 'sam', ip: '192.0.2.10' },
        personId: person.id,
        details: {},
        at: now,
      },
      slot: slot.reservation,
    };
  }

  async function state(writes: SignInWrites) {
    const person = await deps.db
      .selectFrom('people')
      .select(['failed_sign_ins', 'last_failed_sign_in_at', 'last_sign_in_at'])
      .where('id', '=', writes.personId)
      .executeTakeFirstOrThrow();
    const slot: Reservation = writes.slot;
    const counter = await deps.db
      .selectFrom('rate_limits')
      .select('count')
      .where('key', '=', slot.key)
      .where('window_start', '=', slot.windowStart)
      .executeTakeFirstOrThrow();
    return {
      person,
      oldSession: (await findSessionByHash(deps.db, writes.endSessionHash ?? '')) !== null,
      newSession: await findSessionByHash(deps.db, writes.session.id_hash),
      audited: await auditRows(deps.db, { action: 'sign_in.succeeded' }),
      slotsTaken: counter.count,
    };
  }

  it('forgives the failures, replaces the session, audits and gives the address’s slot back', async () => {
    const writes = await prepare();
    expect(await recordSuccessfulSignIn(deps.db, writes)).toBe(true);
    const after = await state(writes);
    expect(after.person).toEqual({ failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: writes.now });
    expect(after.oldSession).toBe(false);
    expect(after.newSession).toEqual(writes.session);
    expect(after.audited).toHaveLength(1);
    expect(after.audited[0]).toMatchObject({
      at: writes.now,
      action: 'sign_in.succeeded',
      actor_id: writes.personId,
      actor_label: 'sam',
      person_id: writes.personId,
      details: '{}',
      ip: '192.0.2.10',
      area_id: null,
    });
    expect(after.slotsTaken).toBe(0);
  });

  it('writes nothing when the password was replaced or the person deactivated since it was verified', async () => {
    const writes = await prepare();
    const before = await state(writes);
    await deps.db.updateTable('people').set({ password_hash: 'new-hash' }).where('id', '=', writes.personId).execute();
    expect(await recordSuccessfulSignIn(deps.db, writes)).toBe(false);
    expect(await state(writes)).toEqual(before);

    await deps.db
      .updateTable('people')
      .set({ password_hash: 'verified-hash', status: 'deactivated' })
      .where('id', '=', writes.personId)
      .execute();
    expect(await recordSuccessfulSignIn(deps.db, writes)).toBe(false);
    expect(await state(writes)).toEqual(before);
  });

  it('writes nothing when the audit entry cannot be written', async () => {
    const writes = await prepare();
    const before = await state(writes);
    const restore = await failAuditInserts(context, 'sign_in.succeeded');
    await expect(recordSuccessfulSignIn(deps.db, writes)).rejects.toThrow();
    await restore();
    expect(await state(writes)).toEqual(before);
  });
});
