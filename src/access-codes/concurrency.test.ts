// Races that R2 and R5 must survive. On SQLite one connection serialises the transactions; on
// PostgreSQL (DIALECTS=sqlite,postgres) a pool of 20 connections really runs them at once.
import { findPersonById } from '../people/people.store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import {
  addPerson,
  auditRows,
  client,
  expectAppError,
  openCodeCount,
  PASSWORD,
  sessionCount,
} from '../../test/helpers/core.js';
import { CLI_ACTOR } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { MAX_WAITING_HASHES, verifyPassword } from '../sign-in/password.js';
import { issueAccessCodes } from './batches.service.js';
import { checkAccessCode, issueAccessCode, redeemAccessCode } from './access-codes.service.js';

const PARALLEL = 16;

describe.each(DIALECTS)('concurrency (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });
  afterEach(async () => {
    await context.close();
  });

  it('16 parallel redemptions of one code: exactly one wins, one password write, one audit event', async () => {
    const person = await addPerson(deps, { name: 'Race Winner', username: 'racer' });
    const { code } = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    const passwords = Array.from({ length: PARALLEL }, (_, i) => `parallel passphrase number ${i}`);

    const results = await Promise.allSettled(
      passwords.map((password, i) =>
        redeemAccessCode(deps, { code, username: 'racer', password, client: client(`192.0.2.${i + 1}`) }),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(AppError);
        expect((r.reason as AppError).code).toBe('code_unusable');
      }
    }

    // The stored password is the winner's, so no loser wrote one after it.
    const row = await deps.db
      .selectFrom('people')
      .select(['password_hash', 'status', 'updated_at', 'claimed_at'])
      .where('id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    expect(await verifyPassword(row.password_hash!, passwords[winners[0]!]!)).toBe(true);
    expect(await verifyPassword(row.password_hash!, passwords[(winners[0]! + 1) % PARALLEL]!)).toBe(false);
    expect(row.updated_at).toBe(context.clock.now());

    expect(await auditRows(deps.db, { action: 'access_code.redeemed' })).toHaveLength(1);
    expect(await auditRows(deps.db, { action: 'person.claimed' })).toHaveLength(1);
    expect(await auditRows(deps.db, { action: 'access_code.failed' })).toHaveLength(PARALLEL - 1);
    expect(await sessionCount(deps.db, person.id)).toBe(1);
    const codes = await deps.db
      .selectFrom('access_codes')
      .select('used_at')
      .where('person_id', '=', person.id)
      .execute();
    expect(codes).toEqual([{ used_at: context.clock.now() }]);
  });

  it('parallel issues for one person leave exactly one active code, the last one written', async () => {
    const person = await addPerson(deps, { name: 'Double Click', username: 'doubleclick' });
    const issued = await Promise.all(
      Array.from({ length: 8 }, () => issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR })),
    );
    expect(await openCodeCount(deps.db, person.id)).toBe(1);
    expect(
      await deps.db.selectFrom('access_codes').select('id').where('person_id', '=', person.id).execute(),
    ).toHaveLength(8);
    const working: string[] = [];
    for (const { code } of issued) {
      try {
        await checkAccessCode(deps, { code, client: client() });
        working.push(code);
      } catch (error) {
        expect((error as AppError).code).toBe('code_unusable');
      }
    }
    expect(working).toHaveLength(1);
    expect((await findPersonById(deps.db, person.id))?.code_state).toBe('active');
  });

  it('two people claiming the same username at once: one wins, the loser keeps an unused code', async () => {
    const first = await addPerson(deps, { name: 'Sam One', employeeId: 'E-1' });
    const second = await addPerson(deps, { name: 'Sam Two', employeeId: 'E-2' });
    const codes = [
      (await issueAccessCode(deps, { personId: first.id, actor: CLI_ACTOR })).code,
      (await issueAccessCode(deps, { personId: second.id, actor: CLI_ACTOR })).code,
    ];
    const results = await Promise.allSettled(
      codes.map((code, i) =>
        redeemAccessCode(deps, { code, username: 'sam', password: PASSWORD, client: client(`192.0.2.${i + 1}`) }),
      ),
    );
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = 1 - won;
    expect(won).toBeGreaterThanOrEqual(0);
    const failure = results[lost]!;
    expect(failure.status).toBe('rejected');
    expect(((failure as PromiseRejectedResult).reason as AppError).code).toBe('username_taken');

    const loserId = [first.id, second.id][lost]!;
    const loser = await deps.db
      .selectFrom('people')
      .select(['username', 'status', 'password_hash'])
      .where('id', '=', loserId)
      .executeTakeFirstOrThrow();
    expect(loser).toEqual({ username: null, status: 'unclaimed', password_hash: null });
    expect(await openCodeCount(deps.db, loserId)).toBe(1);
    expect(await auditRows(deps.db, { action: 'access_code.redeemed' })).toHaveLength(1);

    // The loser's code is not used up: it still checks, and claims with another username.
    expect(await checkAccessCode(deps, { code: codes[lost]!, client: client() })).toMatchObject({
      username: null,
      claim: true,
    });
    const redeemed = await redeemAccessCode(deps, {
      code: codes[lost]!,
      username: 'sam2',
      password: PASSWORD,
      client: client(),
    });
    expect(redeemed.person.username).toBe('sam2');
    await expectAppError(checkAccessCode(deps, { code: codes[lost]!, client: client() }), 'code_unusable');
  });

  it('a bulk issue racing single issues leaves one open code per person and answers every request', async () => {
    const people = await Promise.all(
      Array.from({ length: 20 }, (_, i) => addPerson(deps, { name: `Shift ${i}`, employeeId: `S-${i}` })),
    );
    const results = await Promise.allSettled([
      issueAccessCodes(deps, { filter: { hasEmail: false }, actor: CLI_ACTOR }),
      ...people.slice(0, 10).map((p) => issueAccessCode(deps, { personId: p.id, actor: CLI_ACTOR })),
      issueAccessCodes(deps, { filter: { hasEmail: false }, actor: CLI_ACTOR }),
    ]);
    for (const r of results) {
      if (r.status === 'rejected') throw r.reason;
    }
    for (const p of people) expect(await openCodeCount(deps.db, p.id)).toBe(1);
  });

  it('a redemption racing a re-issue for the same person: both answer, and the new code is the open one', async () => {
    // Each redemption hashes the new password: as many as the hash queue runs and holds at once
    // (one running per CPU, MAX_WAITING_HASHES waiting), since more are refused as busy by design.
    const racers = MAX_WAITING_HASHES + MAX_WAITING_HASHES / 2;
    const people = await Promise.all(
      Array.from({ length: racers }, (_, i) => addPerson(deps, { name: `Racer ${i}`, username: `racer${i}` })),
    );
    const codes = await Promise.all(people.map((p) => issueAccessCode(deps, { personId: p.id, actor: CLI_ACTOR })));
    const results = await Promise.allSettled(
      people.flatMap((p, i) => [
        redeemAccessCode(deps, {
          code: codes[i]!.code,
          username: `racer${i}`,
          password: PASSWORD,
          client: client(`192.0.2.${i + 1}`),
        }),
        issueAccessCode(deps, { personId: p.id, actor: CLI_ACTOR }),
        issueAccessCodes(deps, { filter: { q: `racer${i}` }, actor: CLI_ACTOR }),
      ]),
    );
    for (const r of results) {
      // Losing the race to a re-issue is a refused code, never a database error.
      if (r.status === 'rejected') expect((r.reason as AppError).code, String(r.reason)).toBe('code_unusable');
    }
    for (const p of people) {
      expect(await openCodeCount(deps.db, p.id)).toBe(1);
      expect((await findPersonById(deps.db, p.id))?.code_state).toBe('active');
    }
  });
});
