import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPersonById } from '../people/people.store.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import {
  addPerson,
  auditRows,
  client,
  expectAppError,
  failAuditInserts,
  openCodeCount,
  OTHER_PASSWORD,
  PASSWORD,
  sessionCount,
  spellingsOf,
} from '../../test/helpers/core.js';
import { CLI_ACTOR, type Actor } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { ERRORS } from '../errors.js';
import { DAY, HOUR, MINUTE } from '../lib/clock.js';
import { deactivatePerson } from '../accounts/deactivate-person.js';
import { signIn } from '../sign-in/sign-in.service.js';
import { verifyPassword } from '../sign-in/password.js';
import { formatAccessCode, generateAccessCode } from './access-code.js';
import type { AccessCodesTable } from '../db/schema.js';
import {
  accessCodeStateOf,
  checkAccessCode,
  checkUsernameAvailable,
  deactivateAccessCode,
  getAccessCodeStatus,
  issueAccessCode,
  redeemAccessCode,
} from './access-codes.service.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-000000000001', label: 'boss', ip: '198.51.100.7' };

describe('a code’s state', () => {
  const now = Date.UTC(2026, 0, 1);
  const row = (changes: Partial<AccessCodesTable>): AccessCodesTable => ({
    id: 'id',
    person_id: 'p',
    code_hash: 'h',
    key_id: 'k',
    kind: 'claim',
    created_at: now - DAY,
    expires_at: now + DAY,
    used_at: null,
    deactivated_at: null,
    replaced_at: null,
    issued_by: null,
    batch_id: null,
    code_encrypted: null,
    ...changes,
  });

  it.each([
    ['none', null],
    ['active', row({})],
    ['used', row({ used_at: now - 1 })],
    ['deactivated', row({ deactivated_at: now - 1 })],
    ['replaced', row({ replaced_at: now - 1 })],
    ['expired', row({ expires_at: now })],
    ['used', row({ used_at: now - 2, expires_at: now - 1 })], // what happened beats the calendar
  ] as const)('is %s', (state, code) => {
    expect(accessCodeStateOf(code, now)).toBe(state);
  });
});

describe.each(DIALECTS)('access-code rules (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });
  afterEach(async () => {
    await context.close();
  });

  /** An account that has been claimed (status active, username set, password known). */
  async function activePerson(username: string): Promise<string> {
    const person = await addPerson(deps, { name: `Person ${username}`, username });
    const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    await redeemAccessCode(deps, { code, username, password: PASSWORD, client: client() });
    return person.id;
  }

  describe('R2 and R3: one active code; a new one replaces the old', () => {
    it('issuing twice leaves exactly one open code, and only the newer one works', async () => {
      const person = await addPerson(deps, { name: 'Sam Ek', username: 'sam' });
      const first = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      expect(await openCodeCount(deps.db, person.id)).toBe(1);
      const second = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      expect(await openCodeCount(deps.db, person.id)).toBe(1);
      expect(second.code).not.toBe(first.code);

      await expectAppError(checkAccessCode(deps, { code: first.code, client: client() }), 'code_unusable');
      await expectAppError(
        redeemAccessCode(deps, { code: first.code, username: 'sam', password: PASSWORD, client: client() }),
        'code_unusable',
      );
      expect(await checkAccessCode(deps, { code: second.code, client: client() })).toMatchObject({
        username: 'sam',
        claim: true,
      });

      const issued = await auditRows(deps.db, { action: 'access_code.issued', personId: person.id });
      expect(issued.map((row) => JSON.parse(row.details).replaced)).toEqual([0, 1]);
      const replacedRows = await deps.db
        .selectFrom('access_codes')
        .select('replaced_at')
        .where('person_id', '=', person.id)
        .where('replaced_at', 'is not', null)
        .execute();
      expect(replacedRows).toEqual([{ replaced_at: context.clock.now() }]);
    });

    it('the database itself refuses a second open code for a person (partial unique index)', async () => {
      const person = await addPerson(deps, { name: 'Sam Ek', username: 'sam' });
      await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      const row = await deps.db
        .selectFrom('access_codes')
        .selectAll()
        .where('person_id', '=', person.id)
        .executeTakeFirstOrThrow();
      await expect(
        deps.db
          .insertInto('access_codes')
          .values({ ...row, id: '00000000-0000-7000-8000-0000000000ff', code_hash: 'another-hash' })
          .execute(),
      ).rejects.toThrow();
      expect(await openCodeCount(deps.db, person.id)).toBe(1);
    });

    it('replacing the old code, writing the new one and the audit entry are one transaction', async () => {
      const person = await addPerson(deps, { name: 'Sam Ek', username: 'sam' });
      const first = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      const restore = await failAuditInserts(context, 'access_code.issued');
      await expect(issueAccessCode(deps, { personId: person.id, actor: ADMIN })).rejects.toThrow();
      await restore();
      // Nothing of the failed issue stayed: the old code is still the one open code, and it works.
      expect(await openCodeCount(deps.db, person.id)).toBe(1);
      const rows = await deps.db.selectFrom('access_codes').select('id').where('person_id', '=', person.id).execute();
      expect(rows).toHaveLength(1);
      expect(await checkAccessCode(deps, { code: first.code, client: client() })).toMatchObject({
        username: 'sam',
        claim: true,
      });
      expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('active');
    });

    it('a deactivated person gets no code, and an unknown person is not found', async () => {
      const person = await addPerson(deps, { name: 'Gone Away', employeeId: 'E1' });
      await deactivatePerson(deps, person.id, ADMIN);
      await expectAppError(issueAccessCode(deps, { personId: person.id, actor: ADMIN }), 'person_deactivated');
      await expectAppError(
        issueAccessCode(deps, { personId: '00000000-0000-7000-8000-00000000abcd', actor: ADMIN }),
        'not_found',
      );
    });
  });

  describe('R4: lifetime', () => {
    it('a code is valid at 90 days minus 1 ms and refused at exactly 90 days', async () => {
      const person = await addPerson(deps, { name: 'Ninety Days', username: 'ninety' });
      const issuedAt = context.clock.now();
      const issued = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      expect(issued.expiresAt).toBe(issuedAt + 90 * DAY);

      context.clock.set(issuedAt + 90 * DAY - 1);
      expect(await checkAccessCode(deps, { code: issued.code, client: client() })).toMatchObject({
        username: 'ninety',
        claim: true,
      });
      expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('active');

      context.clock.advance(1);
      await expectAppError(checkAccessCode(deps, { code: issued.code, client: client() }), 'code_unusable');
      await expectAppError(
        redeemAccessCode(deps, { code: issued.code, username: 'ninety', password: PASSWORD, client: client() }),
        'code_unusable',
      );
      expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('expired');
      const failed = await auditRows(deps.db, { action: 'access_code.failed', personId: person.id });
      expect(failed.map((row) => JSON.parse(row.details).reason)).toEqual(['expired', 'expired']);
    });

    it('redemption itself honours the last millisecond', async () => {
      const person = await addPerson(deps, { name: 'Last Minute', username: 'lastminute' });
      const issuedAt = context.clock.now();
      const issued = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      context.clock.set(issuedAt + 90 * DAY - 1);
      const redeemed = await redeemAccessCode(deps, {
        code: issued.code,
        username: 'lastminute',
        password: PASSWORD,
        client: client(),
      });
      expect(redeemed.person.status).toBe('active');
    });

    it('the org’s shorter defaults apply to claim codes and recovery codes separately', async () => {
      await context.close();
      context = await createTestContext(dialect, {
        env: { KEYSLIP_CODE_DAYS_CLAIM: '14', KEYSLIP_CODE_DAYS_RECOVERY: '2' },
      });
      deps = context.deps;
      const now = context.clock.now();
      const unclaimed = await addPerson(deps, { name: 'New Starter', username: 'newstarter' });
      const claim = await issueAccessCode(deps, { personId: unclaimed.id, actor: ADMIN });
      expect(claim.expiresAt).toBe(now + 14 * DAY);
      expect((await getAccessCodeStatus(deps, unclaimed.id))!.kind).toBe('claim');

      const activeId = await activePerson('oldhand');
      const recovery = await issueAccessCode(deps, { personId: activeId, actor: ADMIN });
      expect(recovery.expiresAt).toBe(now + 2 * DAY);
      expect((await getAccessCodeStatus(deps, activeId))!.kind).toBe('recovery');

      // Longer than the recovery default is refused; within it is fine.
      await expectAppError(
        issueAccessCode(deps, { personId: activeId, actor: ADMIN, lifetimeHours: 49 }),
        'validation_failed',
      );
      expect((await issueAccessCode(deps, { personId: activeId, actor: ADMIN, lifetimeHours: 48 })).expiresAt).toBe(
        now + 48 * HOUR,
      );
      expect(
        (await issueAccessCode(deps, { personId: unclaimed.id, actor: ADMIN, lifetimeHours: 14 * 24 })).expiresAt,
      ).toBe(now + 14 * DAY);

      // The 2-day recovery code expires after 2 days, not 14.
      const fresh = await issueAccessCode(deps, { personId: activeId, actor: ADMIN });
      context.clock.advance(2 * DAY);
      await expectAppError(checkAccessCode(deps, { code: fresh.code, client: client() }), 'code_unusable');
    });

    it('a shorter lifetime per issue works; a longer one than 90 days is refused with 400', async () => {
      const person = await addPerson(deps, { name: 'On The Spot', username: 'onthespot' });
      const now = context.clock.now();
      const issued = await issueAccessCode(deps, { personId: person.id, actor: ADMIN, lifetimeHours: 24 });
      expect(issued.expiresAt).toBe(now + 24 * HOUR);
      context.clock.advance(24 * HOUR - 1);
      expect((await checkAccessCode(deps, { code: issued.code, client: client() })).username).toBe('onthespot');
      context.clock.advance(1);
      await expectAppError(checkAccessCode(deps, { code: issued.code, client: client() }), 'code_unusable');

      const tooLong = await expectAppError(
        issueAccessCode(deps, { personId: person.id, actor: ADMIN, lifetimeHours: 90 * 24 + 1 }),
        'validation_failed',
      );
      expect(tooLong.status).toBe(400);
      for (const bad of [0, -1, 1.5])
        await expectAppError(
          issueAccessCode(deps, { personId: person.id, actor: ADMIN, lifetimeHours: bad }),
          'validation_failed',
        );
      expect(
        (await issueAccessCode(deps, { personId: person.id, actor: ADMIN, lifetimeHours: 90 * 24 })).expiresAt,
      ).toBe(context.clock.now() + 90 * DAY);
    });
  });

  describe('R5 and R6: single use and deactivation', () => {
    it('a code redeems once; the second time it is refused and audited', async () => {
      const person = await addPerson(deps, { name: 'Once Only', username: 'onceonly' });
      const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      const redeemed = await redeemAccessCode(deps, {
        code,
        username: 'onceonly',
        password: PASSWORD,
        client: client(),
      });
      expect(redeemed.claimed).toBe(true);
      await expectAppError(
        redeemAccessCode(deps, { code, username: 'onceonly', password: OTHER_PASSWORD, client: client() }),
        'code_unusable',
      );
      const row = await deps.db
        .selectFrom('people')
        .select('password_hash')
        .where('id', '=', person.id)
        .executeTakeFirstOrThrow();
      expect(await verifyPassword(row.password_hash!, PASSWORD)).toBe(true);
      expect(await verifyPassword(row.password_hash!, OTHER_PASSWORD)).toBe(false);
      const failed = await auditRows(deps.db, { action: 'access_code.failed', personId: person.id });
      expect(failed.map((r) => JSON.parse(r.details).reason)).toEqual(['used']);
    });

    it('a deactivated code is refused, shows as deactivated, and a second deactivation finds nothing', async () => {
      const person = await addPerson(deps, { name: 'Lost Slip', username: 'lostslip' });
      const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      expect(await deactivateAccessCode(deps, { personId: person.id, actor: ADMIN })).toBe('deactivated');
      await expectAppError(checkAccessCode(deps, { code, client: client() }), 'code_unusable');
      await expectAppError(
        redeemAccessCode(deps, { code, username: 'lostslip', password: PASSWORD, client: client() }),
        'code_unusable',
      );
      const status = await getAccessCodeStatus(deps, person.id);
      expect(status!.state).toBe('deactivated');
      expect(status!.deactivatedAt).toBe(new Date(context.clock.now()).toISOString());
      expect(await deactivateAccessCode(deps, { personId: person.id, actor: ADMIN })).toBeNull();
      expect(await openCodeCount(deps.db, person.id)).toBe(0);
      const failed = await auditRows(deps.db, { action: 'access_code.failed', personId: person.id });
      expect(failed.map((r) => JSON.parse(r.details).reason)).toEqual(['deactivated', 'deactivated']);
      expect(await auditRows(deps.db, { action: 'access_code.deactivated', personId: person.id })).toHaveLength(1);
    });

    it('a used code cannot be deactivated', async () => {
      const personId = await activePerson('usedup');
      expect(await deactivateAccessCode(deps, { personId, actor: ADMIN })).toBeNull();
      expect((await getAccessCodeStatus(deps, personId))!.state).toBe('used');
    });
  });

  it('code states as admins see them: none, active with expiry, used, deactivated, replaced, expired', async () => {
    const person = await addPerson(deps, { name: 'State Full', username: 'statefull' });
    expect(await getAccessCodeStatus(deps, person.id)).toEqual({
      state: 'none',
      kind: null,
      createdAt: null,
      expiresAt: null,
      usedAt: null,
      deactivatedAt: null,
    });
    expect(await getAccessCodeStatus(deps, '00000000-0000-7000-8000-00000000abcd')).toBeNull();

    const issuedAt = context.clock.now();
    const first = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    expect(await getAccessCodeStatus(deps, person.id)).toEqual({
      state: 'active',
      kind: 'claim',
      createdAt: new Date(issuedAt).toISOString(),
      expiresAt: new Date(issuedAt + 90 * DAY).toISOString(),
      usedAt: null,
      deactivatedAt: null,
    });

    context.clock.advance(MINUTE);
    await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    const firstRow = await deps.db
      .selectFrom('access_codes')
      .selectAll()
      .where('person_id', '=', person.id)
      .orderBy('created_at')
      .executeTakeFirstOrThrow();
    expect(firstRow.replaced_at).toBe(context.clock.now());
    await expectAppError(checkAccessCode(deps, { code: first.code, client: client() }), 'code_unusable');
    const replacedAudit = await auditRows(deps.db, { action: 'access_code.failed', personId: person.id });
    expect(JSON.parse(replacedAudit.at(-1)!.details).reason).toBe('replaced');

    await deactivateAccessCode(deps, { personId: person.id, actor: ADMIN });
    expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('deactivated');

    context.clock.advance(MINUTE);
    const third = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('active');
    const redeemedAt = context.clock.now();
    await redeemAccessCode(deps, { code: third.code, username: 'statefull', password: PASSWORD, client: client() });
    const used = await getAccessCodeStatus(deps, person.id);
    expect(used!.state).toBe('used');
    expect(used!.usedAt).toBe(new Date(redeemedAt).toISOString());

    context.clock.advance(MINUTE);
    await issueAccessCode(deps, { personId: person.id, actor: ADMIN, lifetimeHours: 1 });
    expect((await getAccessCodeStatus(deps, person.id))!.kind).toBe('recovery');
    context.clock.advance(HOUR);
    expect((await getAccessCodeStatus(deps, person.id))!.state).toBe('expired');
  });

  it('the open code is the one admins see, even when the clock stepped back between two issues', async () => {
    // Several instances behind a load balancer may disagree on the time by a little: the code a
    // person can use must still be the one shown, not an older one that happens to sort later.
    const person = await addPerson(deps, { name: 'Clock Skew', username: 'clockskew' });
    await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    context.clock.advance(-5 * MINUTE);
    const second = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    expect(await checkAccessCode(deps, { code: second.code, client: client() })).toMatchObject({
      username: 'clockskew',
      claim: true,
    });
    const status = await getAccessCodeStatus(deps, person.id);
    expect(status!.state).toBe('active');
    expect(status!.expiresAt).toBe(new Date(second.expiresAt).toISOString());
  });

  describe('deactivated people', () => {
    it('a deactivated person cannot redeem, even with a code left open', async () => {
      const person = await addPerson(deps, { name: 'Left Company', username: 'leftcompany' });
      const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      // Only the status changes here, so the refusal must come from the person, not the code.
      await deps.db.updateTable('people').set({ status: 'deactivated' }).where('id', '=', person.id).execute();
      expect(await openCodeCount(deps.db, person.id)).toBe(1);
      await expectAppError(checkAccessCode(deps, { code, client: client() }), 'code_unusable');
      await expectAppError(
        redeemAccessCode(deps, { code, username: 'leftcompany', password: PASSWORD, client: client() }),
        'code_unusable',
      );
      const failed = await auditRows(deps.db, { action: 'access_code.failed', personId: person.id });
      expect(failed.map((r) => JSON.parse(r.details).reason)).toEqual(['person_deactivated', 'person_deactivated']);
      const row = await deps.db
        .selectFrom('people')
        .select(['password_hash', 'status'])
        .where('id', '=', person.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ password_hash: null, status: 'deactivated' });
    });

    it('deactivating a person deactivates their code and ends their sessions', async () => {
      const personId = await activePerson('worker');
      await signIn(deps, { login: 'worker', password: PASSWORD, client: client() });
      expect(await sessionCount(deps.db, personId)).toBe(2);
      const { code } = await issueAccessCode(deps, { personId, actor: ADMIN });

      const person = await deactivatePerson(deps, personId, ADMIN);
      expect(person.status).toBe('deactivated');
      expect(person.codeState).toBe('deactivated');
      expect(await sessionCount(deps.db, personId)).toBe(0);
      expect(await openCodeCount(deps.db, personId)).toBe(0);
      expect((await getAccessCodeStatus(deps, personId))!.state).toBe('deactivated');
      await expectAppError(checkAccessCode(deps, { code, client: client() }), 'code_unusable');
      await expectAppError(signIn(deps, { login: 'worker', password: PASSWORD, client: client() }), 'sign_in_failed');
      const [event] = await auditRows(deps.db, { action: 'person.deactivated', personId });
      expect(JSON.parse(event!.details)).toEqual({ codesDeactivated: 1, sessionsEnded: 2 });
    });

    it('deactivating a person is one transaction: if its audit entry fails, code and sessions stay', async () => {
      const personId = await activePerson('worker');
      const { code } = await issueAccessCode(deps, { personId, actor: ADMIN });
      const restore = await failAuditInserts(context, 'person.deactivated');
      await expect(deactivatePerson(deps, personId, ADMIN)).rejects.toThrow();
      await restore();
      expect(await findPersonById(deps.db, personId)).toMatchObject({ status: 'active', code_state: 'active' });
      expect(await sessionCount(deps.db, personId)).toBe(1);
      expect(await openCodeCount(deps.db, personId)).toBe(1);
      expect(await checkAccessCode(deps, { code, client: client() })).toMatchObject({
        username: 'worker',
        claim: false,
      });
    });
  });

  it('wrong, expired, used, replaced and deactivated codes all get the same error and message', async () => {
    const seen: { code: string; message: string; status: number }[] = [];
    const refuse = async (code: string, username: string): Promise<void> => {
      // One attempt at a time: both started at once, the second could reject before it is awaited.
      for (const attempt of [
        () => checkAccessCode(deps, { code, client: client() }),
        () => redeemAccessCode(deps, { code, username, password: PASSWORD, client: client() }),
      ]) {
        const error = await expectAppError(attempt(), 'code_unusable');
        seen.push({ code: error.code, message: error.message, status: error.status });
      }
    };
    const a = await addPerson(deps, { name: 'A', username: 'person.a' });
    const b = await addPerson(deps, { name: 'B', username: 'person.b' });
    const c = await addPerson(deps, { name: 'C', username: 'person.c' });
    const d = await addPerson(deps, { name: 'D', username: 'person.d' });

    await refuse(formatAccessCode(generateAccessCode()), 'person.a'); // wrong
    const expired = await issueAccessCode(deps, { personId: a.id, actor: ADMIN, lifetimeHours: 1 });
    const used = await issueAccessCode(deps, { personId: b.id, actor: ADMIN });
    await redeemAccessCode(deps, { code: used.code, username: 'person.b', password: PASSWORD, client: client() });
    const replaced = await issueAccessCode(deps, { personId: c.id, actor: ADMIN });
    await issueAccessCode(deps, { personId: c.id, actor: ADMIN });
    const deactivated = await issueAccessCode(deps, { personId: d.id, actor: ADMIN });
    await deactivateAccessCode(deps, { personId: d.id, actor: ADMIN });
    await refuse(used.code, 'person.b');
    await refuse(replaced.code, 'person.c');
    await refuse(deactivated.code, 'person.d');
    context.clock.advance(HOUR);
    await refuse(expired.code, 'person.a');

    expect(seen).toHaveLength(10);
    for (const error of seen)
      expect(error).toEqual({ code: 'code_unusable', message: ERRORS.code_unusable.en, status: 400 });
    const reasons = (await auditRows(deps.db, { action: 'access_code.failed' })).map(
      (r) => JSON.parse(r.details).reason,
    );
    expect(new Set(reasons)).toEqual(new Set(['unknown', 'used', 'replaced', 'deactivated', 'expired']));
  });

  it('failures that arrive together are counted in one transaction, each audited, the limit exact', async () => {
    const limit = deps.config.rateCodeFailures;
    let transactions = 0;
    const begin = deps.db.transaction.bind(deps.db);
    deps.db.transaction = () => {
      transactions += 1;
      return begin();
    };
    const answers = await Promise.all(
      Array.from({ length: limit + 5 }, () =>
        checkAccessCode(deps, { code: formatAccessCode(generateAccessCode()), client: client() }).then(
          () => 'checked',
          (error: { code?: string }) => error.code,
        ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const answer of answers) counts[String(answer)] = (counts[String(answer)] ?? 0) + 1;
    expect(counts).toEqual({ code_unusable: limit, rate_limited: 5 });
    // SQLite reads synchronously, so all of them reach the count in the same turn of the event
    // loop (over PostgreSQL's connections they arrive over a few turns).
    if (dialect === 'sqlite') expect(transactions).toBe(1);
    const failed = await auditRows(deps.db, { action: 'access_code.failed' });
    expect(failed.map((row) => JSON.parse(row.details).failuresInWindow).sort((x, y) => x - y)).toEqual(
      Array.from({ length: limit }, (_, i) => i + 1),
    );
  });

  it('input that can never be a code gets its own answer and never counts against the address', async () => {
    const person = await addPerson(deps, { name: 'Sara Sjögren', employeeId: 'E214' });
    const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    const letters = code.replace(/-/g, '');
    // A limit's worth and more of impossible input: vowels, digits, I for J, a letter short.
    const malformed = [`${letters.slice(0, 15)}A`, `${letters.slice(0, 14)}01`, letters.slice(0, 15), 'sara'];
    for (let i = 0; i < deps.config.rateCodeFailures * 2; i++) {
      const attempt = malformed[i % malformed.length]!;
      const error = await expectAppError(checkAccessCode(deps, { code: attempt, client: client() }), 'code_malformed');
      expect(error.message).not.toContain(letters);
    }
    // The address's failure window is untouched: the right code still opens.
    expect(await checkAccessCode(deps, { code, client: client() })).toMatchObject({ claim: true });
    const failures = await auditRows(deps.db, { action: 'access_code.failed' });
    expect(failures.map((row) => JSON.parse(row.details).reason)).toEqual(
      Array(deps.config.rateCodeFailures * 2).fill('malformed'),
    );
    for (const row of failures) expect(row.details).not.toContain(letters);
  }, 60_000);

  it('a store of 40 workers behind one address, each with a few typos, is never locked out', async () => {
    // The default limit: this test is the reason for it (SECURITY.md has the arithmetic).
    const defaults = await createTestContext(dialect, { env: { KEYSLIP_RATE_CODE_FAILURES: '' } });
    try {
      const store = client('203.0.113.214');
      for (let worker = 0; worker < 40; worker++) {
        const person = await addPerson(defaults.deps, { name: `Worker ${worker}`, employeeId: `E${worker}` });
        const { code } = await issueAccessCode(defaults.deps, { personId: person.id, actor: ADMIN });
        const letters = code.replace(/-/g, '');
        const swap = (at: number): string => {
          const wrong = letters[at] === 'B' ? 'C' : 'B';
          return letters.slice(0, at) + wrong + letters.slice(at + 1);
        };
        // Three well-formed typos (a wrong consonant) and three impossible ones (I for J, a zero, a letter short).
        for (const typo of [swap(3), swap(9), swap(14)])
          await expectAppError(checkAccessCode(defaults.deps, { code: typo, client: store }), 'code_unusable');
        for (const typo of [`${letters.slice(0, 15)}I`, `${letters.slice(0, 15)}0`, letters.slice(1)])
          await expectAppError(checkAccessCode(defaults.deps, { code: typo, client: store }), 'code_malformed');
        expect(await checkAccessCode(defaults.deps, { code, client: store })).toMatchObject({ claim: true });
      }
    } finally {
      await defaults.close();
    }
  }, 60_000);

  it('a recovery code confirms the username; a wrong one is refused without using the code', async () => {
    const personId = await activePerson('confirmer');
    const { code } = await issueAccessCode(deps, { personId, actor: ADMIN });
    expect(await checkAccessCode(deps, { code, client: client() })).toMatchObject({
      username: 'confirmer',
      claim: false,
    });
    await expectAppError(
      redeemAccessCode(deps, { code, username: 'someone.else', password: OTHER_PASSWORD, client: client() }),
      'username_mismatch',
    );
    await expectAppError(
      redeemAccessCode(deps, { code, username: 'confirmer', password: 'short', client: client() }),
      'weak_password',
    );
    await expectAppError(
      redeemAccessCode(deps, { code, username: 'confirmer', password: 'my confirmer password', client: client() }),
      'weak_password',
    );
    const redeemed = await redeemAccessCode(deps, {
      code,
      username: 'CONFIRMER',
      password: OTHER_PASSWORD,
      client: client(),
    });
    expect(redeemed.claimed).toBe(false);
    expect(await verifyPassword(redeemed.person.password_hash!, OTHER_PASSWORD)).toBe(true);
  });

  it('redeeming ends every other session of the account', async () => {
    const personId = await activePerson('sessions');
    await signIn(deps, { login: 'sessions', password: PASSWORD, client: client() });
    expect(await sessionCount(deps.db, personId)).toBe(2);
    const { code } = await issueAccessCode(deps, { personId, actor: ADMIN });
    const redeemed = await redeemAccessCode(deps, {
      code,
      username: 'sessions',
      password: OTHER_PASSWORD,
      client: client(),
    });
    const left = await deps.db.selectFrom('sessions').select('id_hash').where('person_id', '=', personId).execute();
    expect(left).toEqual([{ id_hash: redeemed.session.idHash }]);
    const [event] = (await auditRows(deps.db, { action: 'access_code.redeemed', personId })).slice(-1);
    expect(JSON.parse(event!.details).sessionsEnded).toBe(2);
  });

  it('a claim without a username chooses one; the availability check needs a valid code', async () => {
    await addPerson(deps, { name: 'Taken Name', username: 'taken' });
    const person = await addPerson(deps, { name: 'No Username', employeeId: 'E77' });
    const { code } = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
    expect(await checkAccessCode(deps, { code, client: client() })).toEqual({
      username: null,
      claim: true,
      name: 'No Username',
      suggestions: ['no.username', 'no.username2', 'no.username3'],
    });
    // Taken: free ones made from what was typed, then from the name.
    expect(await checkUsernameAvailable(deps, { code, username: 'taken', client: client() })).toEqual({
      available: false,
      valid: true,
      suggestions: ['taken2', 'taken3', 'taken4'],
    });
    expect(await checkUsernameAvailable(deps, { code, username: 'Fresh.Name', client: client() })).toEqual({
      available: true,
      valid: true,
      suggestions: [],
    });
    expect(await checkUsernameAvailable(deps, { code, username: 'x', client: client() })).toEqual({
      available: false,
      valid: false,
      suggestions: ['no.username', 'no.username2', 'no.username3'],
    });
    await addPerson(deps, { name: 'Taken Too', username: 'no.username' });
    expect((await checkAccessCode(deps, { code, client: client() })).suggestions).toEqual([
      'no.username2',
      'no.username3',
      'no.username4',
    ]);
    await expectAppError(
      checkUsernameAvailable(deps, {
        code: formatAccessCode(generateAccessCode()),
        username: 'taken',
        client: client(),
      }),
      'code_unusable',
    );
    await expectAppError(
      redeemAccessCode(deps, { code, username: 'taken', password: PASSWORD, client: client() }),
      'username_taken',
    );
    await expectAppError(
      redeemAccessCode(deps, { code, username: '!!', password: PASSWORD, client: client() }),
      'validation_failed',
    );
    const redeemed = await redeemAccessCode(deps, {
      code,
      username: 'Fresh.Name',
      password: PASSWORD,
      client: client(),
    });
    expect(redeemed.person.username).toBe('fresh.name');
    expect(redeemed.person.status).toBe('active');
  });

  it(
    'every issue, deactivation, redemption and failed redemption ' +
      'is audited with who, for whom and when, never the code',
    async () => {
      const person = await addPerson(deps, { name: 'Audit Me', username: 'auditme' });
      const issuedAt = context.clock.now();
      const first = await issueAccessCode(deps, { personId: person.id, actor: ADMIN });
      context.clock.advance(MINUTE);
      await deactivateAccessCode(deps, { personId: person.id, actor: ADMIN });
      context.clock.advance(MINUTE);
      const second = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
      context.clock.advance(MINUTE);
      const typo = `${second.code.slice(0, -1)}${second.code.endsWith('B') ? 'C' : 'B'}`;
      await expectAppError(checkAccessCode(deps, { code: typo, client: client('203.0.113.5') }), 'code_unusable');
      await expectAppError(
        redeemAccessCode(deps, {
          code: first.code,
          username: 'auditme',
          password: PASSWORD,
          client: client('203.0.113.5'),
        }),
        'code_unusable',
      );
      context.clock.advance(MINUTE);
      const redeemedAt = context.clock.now();
      await redeemAccessCode(deps, {
        code: second.code.toLowerCase(),
        username: 'auditme',
        password: PASSWORD,
        client: client('203.0.113.6'),
      });

      const rows = await auditRows(deps.db);
      const byAction = (action: string) => rows.filter((row) => row.action === action);
      const [issued1, issued2] = byAction('access_code.issued');
      expect(issued1).toMatchObject({
        actor_id: ADMIN.id,
        actor_label: 'boss',
        person_id: person.id,
        at: issuedAt,
        ip: '198.51.100.7',
      });
      expect(issued2).toMatchObject({
        actor_id: null,
        actor_label: 'cli',
        person_id: person.id,
        at: issuedAt + 2 * MINUTE,
      });
      expect(byAction('access_code.deactivated')).toEqual([
        expect.objectContaining({ actor_id: ADMIN.id, person_id: person.id, at: issuedAt + MINUTE }),
      ]);
      const failed = byAction('access_code.failed');
      expect(failed).toHaveLength(2);
      expect(failed[0]).toMatchObject({
        actor_label: 'anonymous',
        person_id: null,
        ip: '203.0.113.5',
        at: issuedAt + 3 * MINUTE,
      });
      expect(JSON.parse(failed[0]!.details).reason).toBe('unknown');
      expect(failed[1]).toMatchObject({ person_id: person.id, ip: '203.0.113.5' });
      expect(JSON.parse(failed[1]!.details).reason).toBe('deactivated');
      expect(byAction('access_code.redeemed')).toEqual([
        expect.objectContaining({
          actor_id: person.id,
          actor_label: 'auditme',
          person_id: person.id,
          at: redeemedAt,
          ip: '203.0.113.6',
        }),
      ]);
      expect(byAction('person.claimed')).toHaveLength(1);

      const everything = JSON.stringify(rows).toLowerCase();
      for (const code of [first.code, second.code, typo]) {
        for (const spelling of spellingsOf(code)) expect(everything).not.toContain(spelling.toLowerCase());
      }
      expect(everything).not.toContain(PASSWORD);
    },
  );
});
