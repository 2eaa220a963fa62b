// Races on PostgreSQL, where requests really run at the same time (SQLite's single writer
// serialises them): single use, one open code per person, and no request ever ends in a 500.
import { findPersonById, lockPerson } from '../src/people/people.store.js';
import { issueAccessCodeIn } from '../src/access-codes/access-codes.service.js';
import { issueAccessCodes } from '../src/access-codes/batches.service.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAccessCode, normaliseAccessCode } from '../src/access-codes/access-code.js';
import type { AccessCodesTable } from '../src/db/schema.js';
import { createTestApi, type TestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const PASSWORD = 'a long enough passphrase';

describe.skipIf(!DIALECTS.includes('postgres'))('concurrent access-code writes on PostgreSQL', () => {
  let context: TestContext;
  let api: TestApi;
  let serial = 0;

  beforeAll(async () => {
    // The failures of the losing requests must not trip the per-address limit: this is about races.
    context = await createTestContext('postgres', { env: { KEYSLIP_RATE_CODE_FAILURES: '1000000' } });
    api = await createTestApi(context);
  });
  afterAll(async () => {
    await api?.app.close();
    await context?.close();
  });

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  async function newPerson(options: { username?: string } = {}): Promise<string> {
    serial += 1;
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/people',
      headers: api.admin,
      payload: {
        name: `Racer ${serial}`,
        employeeId: `R${serial}`,
        ...(options.username ? { username: options.username } : {}),
      },
    });
    expect(response.statusCode).toBe(201);
    return response.json().id as string;
  }

  const issue = (personId: string): Promise<LightMyRequestResponse> =>
    api.app.inject({ method: 'POST', url: `/api/v1/people/${personId}/access-code`, headers: api.admin });

  const deactivate = (personId: string): Promise<LightMyRequestResponse> =>
    api.app.inject({ method: 'DELETE', url: `/api/v1/people/${personId}/access-code`, headers: api.admin });

  const redeem = (code: string, username: string): Promise<LightMyRequestResponse> =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username, password: PASSWORD },
    });

  async function issuedCode(personId: string): Promise<string> {
    const response = await issue(personId);
    expect(response.statusCode).toBe(201);
    return response.json().code as string;
  }

  async function codeRow(code: string): Promise<AccessCodesTable> {
    const hash = hashAccessCode(context.deps.keyring.current, normaliseAccessCode(code)!);
    return context.deps.db
      .selectFrom('access_codes')
      .selectAll()
      .where('code_hash', '=', hash)
      .executeTakeFirstOrThrow();
  }

  async function openCodes(personId: string): Promise<AccessCodesTable[]> {
    return context.deps.db
      .selectFrom('access_codes')
      .selectAll()
      .where('person_id', '=', personId)
      .where('used_at', 'is', null)
      .where('deactivated_at', 'is', null)
      .where('replaced_at', 'is', null)
      .execute();
  }

  async function codeStateOf(personId: string): Promise<string> {
    return (await findPersonById(context.deps.db, personId))!.code_state;
  }

  function expectCodeUnusable(response: LightMyRequestResponse): void {
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.code).toBe('code_unusable');
  }

  it('of 50 parallel redemptions of one code exactly one wins; the others are told the code is unusable', async () => {
    const personId = await newPerson();
    const code = await issuedCode(personId);
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(code, 'parallel.winner')));
    const winners = responses.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    for (const response of responses.filter((r) => r.statusCode !== 200)) expectCodeUnusable(response);

    expect((await codeRow(code)).used_at).not.toBeNull();
    const sessions = await context.deps.db
      .selectFrom('sessions')
      .select('id_hash')
      .where('person_id', '=', personId)
      .execute();
    expect(sessions).toHaveLength(1);
    const redeemed = await context.deps.db
      .selectFrom('audit_events')
      .select('id')
      .where('person_id', '=', personId)
      .where('action', '=', 'access_code.redeemed')
      .execute();
    expect(redeemed).toHaveLength(1);
    expect(await codeStateOf(personId)).toBe('used');
  });

  it(
    'issuing a new code while the old one is redeemed ends ' + 'cleanly every time: one of the two wins, never both',
    async () => {
      const personId = await newPerson({ username: 'issue.racer' });
      const outcomes = { redeemedThenReissued: 0, replacedBeforeRedeemed: 0 };
      for (let round = 0; round < 16; round++) {
        const oldCode = await issuedCode(personId);
        // Argon2id runs before the redemption's transaction; a varying head start for the issue
        // makes the two transactions meet at different points from round to round.
        const [redemption, reissue] = await Promise.all([
          redeem(oldCode, 'issue.racer'),
          sleep(round * 7).then(() => issue(personId)),
        ]);
        expect(reissue.statusCode, reissue.body).toBe(201);
        const newCode = reissue.json().code as string;
        const old = await codeRow(oldCode);
        expect(old.used_at !== null && old.replaced_at !== null).toBe(false);
        if (redemption.statusCode === 200) {
          expect(old.used_at).not.toBeNull();
          outcomes.redeemedThenReissued += 1;
        } else {
          expectCodeUnusable(redemption);
          expect(old.replaced_at).not.toBeNull();
          expect(old.used_at).toBeNull();
          outcomes.replacedBeforeRedeemed += 1;
        }
        // Either way the new code is the one open code, and the directory shows it active.
        const open = await openCodes(personId);
        expect(open.map((c) => c.id)).toEqual([(await codeRow(newCode)).id]);
        expect(await codeStateOf(personId)).toBe('active');
      }
      expect(outcomes.redeemedThenReissued + outcomes.replacedBeforeRedeemed).toBe(16);
      console.info(`issue vs redeem, 16 rounds: ${JSON.stringify(outcomes)}`);
    },
  );

  /** Waits until `count` statements on the people table are blocked on a lock in this database. */
  async function blockedOnPeople(count: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query ilike '%"people"%'`.execute(
        context.handle.db,
      );
      if (rows[0]!.n >= count) return;
      await sleep(10);
    }
    throw new Error(`fewer than ${count} statements waited on a person's lock`);
  }

  it(
    'a redemption and a re-issue that meet head-on (each ' + 'holding what the other needs next) do not deadlock',
    async () => {
      // The worst interleaving, made on purpose: the re-issue takes the person's lock first, while
      // the redemption already holds the code's row. Only one lock order (person, then code) for
      // every code write keeps this from being a deadlock that PostgreSQL breaks by killing one.
      const personId = await newPerson({ username: 'head.on' });
      const code = await issuedCode(personId);
      const blocker = await context.handle.db.connection().execute(async (connection) => {
        await sql`begin`.execute(connection);
        await sql`select id from people where id = ${personId} for update`.execute(connection);
        const reissue = issue(personId);
        await blockedOnPeople(1);
        const redemption = redeem(code, 'head.on');
        // Argon2id first; then the redemption's transaction starts and queues for the person too.
        await blockedOnPeople(2);
        await sql`commit`.execute(connection);
        return Promise.all([redemption, reissue]);
      });
      const [redemption, reissue] = blocker;
      expect(reissue.statusCode, reissue.body).toBe(201);
      expect([200, 400]).toContain(redemption.statusCode);
      if (redemption.statusCode === 400) expectCodeUnusable(redemption);
      const old = await codeRow(code);
      expect(old.used_at !== null && old.replaced_at !== null).toBe(false);
      expect(await openCodes(personId)).toHaveLength(1);
      expect(await codeStateOf(personId)).toBe('active');
    },
  );

  it('a bulk issue for the people without a code skips one given a code while the batch waited', async () => {
    // The batch's walk reads the code state before it waits for the person's lock; the code issued
    // meanwhile changes only the code state, which the walk does not read again after the wait.
    const personId = await newPerson();
    const employeeId = `R${serial}`;
    const [batch, single] = await context.handle.db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      const person = await lockPerson(connection, personId);
      const bulk = issueAccessCodes(context.deps, { filter: { codeState: 'none', employeeId }, actor: CLI_ACTOR });
      await blockedOnPeople(1);
      const issued = await issueAccessCodeIn(connection, context.deps, person!, {
        actor: CLI_ACTOR,
        now: context.deps.clock.now(),
      });
      await sql`commit`.execute(connection);
      return [(await bulk).batch, issued] as const;
    });
    expect(batch.count).toBe(0);
    const open = await openCodes(personId);
    expect(open.map((c) => c.id)).toEqual([(await codeRow(single.code)).id]);
    expect(await codeStateOf(personId)).toBe('active');
  });

  it('deactivating a code while it is redeemed ends cleanly every time: one of the two wins, never both', async () => {
    const personId = await newPerson({ username: 'deactivate.racer' });
    for (let round = 0; round < 16; round++) {
      const code = await issuedCode(personId);
      const [redemption, deactivation] = await Promise.all([
        redeem(code, 'deactivate.racer'),
        sleep(round * 7).then(() => deactivate(personId)),
      ]);
      const row = await codeRow(code);
      expect(row.used_at !== null && row.deactivated_at !== null).toBe(false);
      if (redemption.statusCode === 200) {
        // The redemption won: nothing was left to deactivate.
        expect(deactivation.statusCode, deactivation.body).toBe(404);
        expect(deactivation.json().error.code).toBe('no_access_code');
        expect(row.used_at).not.toBeNull();
        expect(await codeStateOf(personId)).toBe('used');
      } else {
        expectCodeUnusable(redemption);
        expect(deactivation.statusCode, deactivation.body).toBe(204);
        expect(row.deactivated_at).not.toBeNull();
        expect(await codeStateOf(personId)).toBe('deactivated');
      }
      expect(await openCodes(personId)).toEqual([]);
    }
  });

  it(
    '20 parallel issues for one person all succeed and ' + 'leave exactly one active code: the last one written',
    async () => {
      const personId = await newPerson();
      const responses = await Promise.all(Array.from({ length: 20 }, () => issue(personId)));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
      const codes = responses.map((r) => r.json().code as string);
      const open = await openCodes(personId);
      expect(open).toHaveLength(1);
      const rows = await Promise.all(codes.map(codeRow));
      expect(rows.filter((row) => row.replaced_at === null).map((row) => row.id)).toEqual([open[0]!.id]);
      expect(await codeStateOf(personId)).toBe('active');
      // Only that one code still opens the account.
      const checks = await Promise.all(
        codes.map((code) => api.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } })),
      );
      expect(checks.filter((r) => r.statusCode === 200)).toHaveLength(1);
    },
  );
  it(
    'admins demoting each other all at once: never a 500 ' + '(no deadlock surfaces), and one admin always remains',
    async () => {
      for (let round = 0; round < 4; round++) {
        const admins: string[] = [];
        for (let i = 0; i < 6; i++) {
          serial += 1;
          const created = await api.app.inject({
            method: 'POST',
            url: '/api/v1/people',
            headers: api.admin,
            payload: { name: `Admin ${serial}`, employeeId: `A${serial}`, role: 'admin' },
          });
          expect(created.statusCode, created.body).toBe(201);
          admins.push(created.json().id as string);
        }
        // Every other admin (of earlier rounds, or the first admin) steps down first, so these six
        // are the only ones: at most five of them may go.
        const others = await context.deps.db
          .selectFrom('people')
          .select('id')
          .where('role', '=', 'admin')
          .where('id', 'not in', admins)
          .execute();
        for (const other of others) {
          const demoted = await api.app.inject({
            method: 'PATCH',
            url: `/api/v1/people/${other.id}`,
            headers: api.admin,
            payload: { role: 'member' },
          });
          expect(demoted.statusCode, demoted.body).toBe(200);
        }
        const responses = await Promise.all([
          ...admins.map((id) =>
            api.app.inject({
              method: 'PATCH',
              url: `/api/v1/people/${id}`,
              headers: api.admin,
              payload: { role: 'member' },
            }),
          ),
          ...admins.map((id) =>
            api.app.inject({ method: 'POST', url: `/api/v1/people/${id}/deactivate`, headers: api.admin }),
          ),
        ]);
        for (const response of responses) expect([200, 409], response.body).toContain(response.statusCode);
        const left = await context.deps.db
          .selectFrom('people')
          .select('id')
          .where('role', '=', 'admin')
          .where('status', '!=', 'deactivated')
          .execute();
        expect(left).toHaveLength(1);
      }
    },
  );
});
