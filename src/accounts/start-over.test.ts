// "Start over for this person": after a code reached the wrong person, one transaction signs
// everyone out, undoes what the wrong redemption set (password; after a first claim the claim
// itself and the username it chose, never a username an admin gave), voids the open code and
// makes a new one; one audit entry. On every dialect, with the injected clock.
import { findPersonById } from '../people/people.store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { CLI_ACTOR, type Actor } from '../audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../access-codes/access-codes.service.js';
import { HOUR, MINUTE } from '../lib/clock.js';
import { createPerson } from '../people/people.service.js';
import { signIn } from '../sign-in/sign-in.service.js';
import { planStartOver, startOver } from './start-over.js';

const CLIENT = { ip: '198.51.100.20', userAgent: 'test' };
const WRONG_PASSWORD = 'the wrong person chose this';
const RIGHT_PASSWORD = 'the right person chose this';

describe.each(DIALECTS)('start over for a person (%s)', (dialect) => {
  let context: TestContext;
  let admin: Actor;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    const boss = await createPerson(
      context.deps,
      { name: 'Bea Boss', username: 'bea.boss', email: 'bea@example.com', role: 'admin' },
      CLI_ACTOR,
    );
    admin = { kind: 'person', id: boss.id, label: 'bea.boss' };
  });
  afterEach(async () => {
    await context.close();
  });

  const db = () => context.deps.db;
  const personRow = async (id: string) => (await findPersonById(db(), id))!;
  const liveSessions = async (id: string) =>
    (await db().selectFrom('sessions').select('id_hash').where('person_id', '=', id).execute()).length;
  const auditOf = (id: string, action: string) =>
    db().selectFrom('audit_events').selectAll().where('person_id', '=', id).where('action', '=', action).execute();

  /** A person whose claim code the wrong person used, choosing `username` (or confirming the preset one). */
  async function claimedByTheWrongPerson(preset: string | null, chosen: string) {
    const input = preset
      ? { name: 'Timo Laine', username: preset, employeeId: 'E-4' }
      : { name: 'Timo Laine', employeeId: 'E-4' };
    const person = await createPerson(context.deps, input, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: admin });
    context.clock.advance(MINUTE);
    await redeemAccessCode(context.deps, {
      code: issued.code,
      username: chosen,
      password: WRONG_PASSWORD,
      client: CLIENT,
    });
    context.clock.advance(MINUTE);
    return person;
  }

  it('after a wrong first claim: unclaimed again, the chosen username and password gone, a new code', async () => {
    const person = await claimedByTheWrongPerson(null, 'mustafa.wrong');
    expect(await liveSessions(person.id)).toBe(1);
    const before = await personRow(person.id);
    expect(await planStartOver(db(), before)).toEqual({ undo: 'claim', clearsUsername: 'mustafa.wrong' });

    const done = await startOver(context.deps, { personId: person.id, actor: admin, lifetimeHours: 24 });
    expect(done).toMatchObject({ undo: 'claim', clearsUsername: 'mustafa.wrong', sessionsEnded: 1, codesVoided: 0 });
    expect(done.code.expiresAt).toBe(context.clock.now() + 24 * HOUR);

    const after = await personRow(person.id);
    expect(after).toMatchObject({
      status: 'unclaimed',
      username: null,
      password_hash: null,
      claimed_at: null,
      code_state: 'active',
    });
    expect(after.search_text).not.toContain('mustafa');
    expect(await liveSessions(person.id)).toBe(0);
    await expect(
      signIn(context.deps, { login: 'mustafa.wrong', password: WRONG_PASSWORD, client: CLIENT }),
    ).rejects.toMatchObject({ code: 'sign_in_failed' });

    // One entry for the whole step, no secret in it; no separate "code issued" entry.
    const entries = await auditOf(person.id, 'person.started_over');
    expect(entries).toHaveLength(1);
    const details = JSON.parse(entries[0]!.details) as Record<string, unknown>;
    expect(details).toMatchObject({
      kind: 'claim',
      sessionsEnded: 1,
      passwordCleared: true,
      backToUnclaimed: true,
      usernameCleared: 'mustafa.wrong',
    });
    expect(entries[0]!.details).not.toContain(done.code.code.replace(/-/g, ''));
    expect(await auditOf(person.id, 'access_code.issued')).toHaveLength(1);

    // The right person claims with the new code and chooses their own username.
    const redeemed = await redeemAccessCode(context.deps, {
      code: done.code.code,
      username: 'timo.laine',
      password: RIGHT_PASSWORD,
      client: CLIENT,
    });
    expect(redeemed.claimed).toBe(true);
    expect(redeemed.person.username).toBe('timo.laine');
  });

  it('keeps a username an admin gave (an HR number), though the claim is undone', async () => {
    const person = await claimedByTheWrongPerson('e10003', 'e10003');
    const done = await startOver(context.deps, { personId: person.id, actor: admin });
    expect(done).toMatchObject({ undo: 'claim', clearsUsername: null });
    expect(await personRow(person.id)).toMatchObject({ status: 'unclaimed', username: 'e10003', password_hash: null });
    const details = JSON.parse((await auditOf(person.id, 'person.started_over'))[0]!.details) as Record<
      string,
      unknown
    >;
    expect(details.usernameCleared).toBeUndefined();
  });

  it('after a wrong recovery: the password goes, the account and username stay, a recovery code', async () => {
    const person = await claimedByTheWrongPerson(null, 'timo.right');
    // Claimed by the right person this time; then a recovery code reaches the wrong one.
    const recovery = await issueAccessCode(context.deps, { personId: person.id, actor: admin });
    context.clock.advance(MINUTE);
    await redeemAccessCode(context.deps, {
      code: recovery.code,
      username: 'timo.right',
      password: WRONG_PASSWORD,
      client: CLIENT,
    });
    const done = await startOver(context.deps, { personId: person.id, actor: admin });
    expect(done).toMatchObject({ undo: 'recovery', clearsUsername: null });
    const after = await personRow(person.id);
    expect(after).toMatchObject({ status: 'active', username: 'timo.right', password_hash: null });
    expect(after.claimed_at).not.toBeNull();
    const code = await db()
      .selectFrom('access_codes')
      .selectAll()
      .where('person_id', '=', person.id)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(code.kind).toBe('recovery');
  });

  it('voids a code nobody used yet and makes a new one; the old one no longer works', async () => {
    const person = await createPerson(context.deps, { name: 'Sara Sjögren', employeeId: 'E-9' }, CLI_ACTOR);
    const first = await issueAccessCode(context.deps, { personId: person.id, actor: admin });
    const done = await startOver(context.deps, { personId: person.id, actor: admin });
    expect(done).toMatchObject({ undo: 'none', codesVoided: 1, clearsUsername: null });
    await expect(
      redeemAccessCode(context.deps, {
        code: first.code,
        username: 'sara.s',
        password: RIGHT_PASSWORD,
        client: CLIENT,
      }),
    ).rejects.toMatchObject({ code: 'code_unusable' });
    const open = await db()
      .selectFrom('access_codes')
      .select('id')
      .where('person_id', '=', person.id)
      .where('used_at', 'is', null)
      .where('deactivated_at', 'is', null)
      .where('replaced_at', 'is', null)
      .execute();
    expect(open).toHaveLength(1);
  });

  it('refuses an admin account while two admins are active: its new code is the two-person rule’s', async () => {
    const other = await createPerson(
      context.deps,
      { name: 'Olle Admin', username: 'olle', email: 'olle@example.com', role: 'admin' },
      CLI_ACTOR,
    );
    await db().updateTable('people').set({ status: 'active', claimed_at: context.clock.now() }).execute();
    const codes = () => db().selectFrom('access_codes').select('id').where('person_id', '=', other.id).execute();
    const before = await codes();
    await expect(startOver(context.deps, { personId: other.id, actor: admin })).rejects.toMatchObject({
      code: 'admin_code_needs_approval',
    });
    expect(await codes()).toEqual(before);
    expect(await auditOf(other.id, 'person.started_over')).toHaveLength(0);
  });

  it('refuses one’s own account and a deactivated person, changing nothing', async () => {
    await expect(startOver(context.deps, { personId: admin.id!, actor: admin })).rejects.toMatchObject({
      code: 'conflict',
    });
    const person = await createPerson(context.deps, { name: 'Gone', employeeId: 'E-10' }, CLI_ACTOR);
    const { deactivatePerson } = await import('./deactivate-person.js');
    await deactivatePerson(context.deps, person.id, CLI_ACTOR);
    await expect(startOver(context.deps, { personId: person.id, actor: admin })).rejects.toMatchObject({
      code: 'person_deactivated',
    });
    expect(
      await db().selectFrom('audit_events').select('id').where('action', '=', 'person.started_over').execute(),
    ).toHaveLength(0);
  });
});
