// The retention sweep (issue 17, README "Data kept"), on every database, with the injected clock:
// what is past its time goes, in batches; what is still in use stays; one instance at a time.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { recordAuditEvent, recordAuditTally, SYSTEM_ACTOR } from '../audit/audit.js';
import { leaseHolder, takeLease } from '../db/lease.js';
import type { AccessCodesTable, PeopleTable } from '../db/schema.js';
import { DAY, HOUR, MINUTE } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import { insertPerson } from '../people/people.store.js';
import { searchTextOf } from '../people/person.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { KEPT, SWEEP_BATCH, SWEEP_LEASE, sweepExpiredData } from './retention.js';

const contexts: TestContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

async function open(dialect: (typeof DIALECTS)[number], env: Record<string, string> = {}): Promise<TestContext> {
  const context = await createTestContext(dialect, { env });
  contexts.push(context);
  return context;
}

function personRow(id: string, now: number): PeopleTable {
  const row: PeopleTable = {
    id,
    name: `Person ${id.slice(-4)}`,
    username: null,
    email: null,
    employee_id: `E-${id}`,
    department: null,
    location: null,
    title: null,
    role: 'member',
    status: 'unclaimed',
    password_hash: null,
    search_text: '',
    failed_sign_ins: 0,
    last_failed_sign_in_at: null,
    created_at: now,
    updated_at: now,
    claimed_at: null,
    last_sign_in_at: null,
    deactivated_at: null,
  };
  row.search_text = searchTextOf(row);
  return row;
}

function codeRow(personId: string, createdAt: number, end: Partial<AccessCodesTable>): AccessCodesTable {
  return {
    id: newId(createdAt),
    person_id: personId,
    code_hash: `hash-${newId()}`,
    key_id: 'k',
    kind: 'claim',
    created_at: createdAt,
    expires_at: createdAt + 90 * DAY,
    used_at: null,
    deactivated_at: null,
    replaced_at: null,
    issued_by: null,
    batch_id: null,
    code_encrypted: null,
    ...end,
  };
}

const count = async (context: TestContext, table: string): Promise<number> => {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
    context.deps.db,
  );
  return Number(rows[0]!.n);
};

describe.each(DIALECTS)('retention sweep (%s)', (dialect) => {
  it('deletes audit entries and tallies older than KEYSLIP_AUDIT_RETENTION_DAYS (default 400)', async () => {
    const context = await open(dialect);
    const { deps, clock } = context;
    expect(deps.config.auditRetentionDays).toBe(400);
    const start = clock.now();
    // 2.5 batches of entries written on day 0, one on day 200, one on day 399.
    const old = Math.floor(SWEEP_BATCH * 2.5);
    await deps.db
      .insertInto('audit_events')
      .values(
        Array.from({ length: old }, (_, i) => ({
          id: newId(start + i),
          at: start + i,
          action: 'access_code.failed',
          actor_id: null,
          actor_label: 'anonymous',
          person_id: null,
          details: '{}',
          ip: null,
          area_id: null,
        })),
      )
      .execute();
    await recordAuditTally(deps.db, {
      action: 'access_code.failed',
      address: '192.0.2.1',
      windowStart: start,
      at: start,
    });
    await recordAuditEvent(deps.db, { action: 'person.created', actor: SYSTEM_ACTOR, at: start + 200 * DAY });
    await recordAuditEvent(deps.db, { action: 'person.updated', actor: SYSTEM_ACTOR, at: start + 399 * DAY });

    clock.set(start + 400 * DAY - MINUTE);
    expect((await sweepExpiredData(deps, 'a'))!.auditEvents).toBe(0);
    expect(await count(context, 'audit_events')).toBe(old + 2);

    clock.set(start + 401 * DAY);
    const report = await sweepExpiredData(deps, 'a');
    expect(report).toMatchObject({ auditEvents: old, auditTallies: 1 });
    const left = await deps.db.selectFrom('audit_events').select('action').orderBy('at').execute();
    expect(left.map((row) => row.action)).toEqual(['person.created', 'person.updated']);

    clock.set(start + 600 * DAY + MINUTE);
    expect((await sweepExpiredData(deps, 'a'))!.auditEvents).toBe(1);
  });

  it('honours a shorter KEYSLIP_AUDIT_RETENTION_DAYS', async () => {
    const context = await open(dialect, { KEYSLIP_AUDIT_RETENTION_DAYS: '30' });
    const { deps, clock } = context;
    await recordAuditEvent(deps.db, { action: 'person.created', actor: SYSTEM_ACTOR, at: clock.now() });
    clock.advance(29 * DAY);
    expect((await sweepExpiredData(deps, 'a'))!.auditEvents).toBe(0);
    clock.advance(2 * DAY);
    expect((await sweepExpiredData(deps, 'a'))!.auditEvents).toBe(1);
  });

  it(
    'deletes codes 30 days after they expired except each person’s latest, ended sessions, old counters, ' +
      'finished batches and sent logout notices; keeps the rest',
    async () => {
      const context = await open(dialect);
      const { deps, clock } = context;
      const t0 = clock.now();
      const alice = personRow(newId(t0), t0);
      const bob = personRow(newId(t0 + 1), t0);
      await insertPerson(deps.db, alice);
      await insertPerson(deps.db, bob);
      // Alice: a used code, then a replaced one, then her latest (expired too). Bob: one code only.
      const aliceUsed = codeRow(alice.id, t0, { used_at: t0 + HOUR });
      const aliceReplaced = codeRow(alice.id, t0 + DAY, { replaced_at: t0 + 2 * DAY });
      const aliceLatest = codeRow(alice.id, t0 + 2 * DAY, {});
      const bobOnly = codeRow(bob.id, t0, { used_at: t0 + HOUR });
      await deps.db.insertInto('access_codes').values([aliceUsed, aliceReplaced, aliceLatest, bobOnly]).execute();

      const session = (id: string, lastSeen: number, expires: number) => ({
        id_hash: id,
        person_id: alice.id,
        created_at: t0,
        last_seen_at: lastSeen,
        expires_at: expires,
        user_agent: null,
        ip: null,
      });
      const later = t0 + 200 * DAY;
      await deps.db
        .insertInto('sessions')
        .values([
          session('expired', later - HOUR, later - MINUTE),
          session('idle', later - deps.config.sessionIdleMinutes * MINUTE - 1, later + DAY),
          session('live', later - MINUTE, later + DAY),
        ])
        .execute();
      await deps.db
        .insertInto('rate_limits')
        .values([
          { key: 'code:old', window_start: later - 2 * DAY, count: 3 },
          { key: 'code:new', window_start: later - HOUR, count: 3 },
        ])
        .execute();
      const batch = (id: string, downloadUntil: number, erased: number | null) => ({
        id,
        created_by: null,
        created_at: downloadUntil - 15 * MINUTE,
        filter: '{}',
        count: 1,
        idempotency_key: null,
        request_hash: null,
        download_until: downloadUntil,
        erased_at: erased,
        state: 'issued' as const,
      });
      await deps.db
        .insertInto('batches')
        .values([
          batch('finished', later - 31 * DAY, later - 31 * DAY),
          batch('recent', later - 29 * DAY, later - 29 * DAY),
        ])
        .execute();
      const notice = (id: string, createdAt: number, done: Record<string, number | null>) => ({
        id,
        client_id: 'app',
        person_id: alice.id,
        sid: null,
        uri: 'https://app.example/logout',
        created_at: createdAt,
        attempts: 1,
        next_attempt_at: createdAt,
        delivered_at: null,
        gave_up_at: null,
        last_problem: null,
        ...done,
      });
      await deps.db
        .insertInto('oidc_logout_outbox')
        .values([
          notice('delivered', later - 8 * DAY, { delivered_at: later - 8 * DAY }),
          notice('gave-up', later - 9 * DAY, { gave_up_at: later - 8 * DAY }),
          notice('pending-old', later - 8 * DAY, {}),
          notice('delivered-recent', later - DAY, { delivered_at: later - DAY }),
        ])
        .execute();

      clock.set(later);
      const report = await sweepExpiredData(deps, 'instance-1');
      expect(report).toMatchObject({ accessCodes: 2, sessions: 2, rateLimits: 1, batches: 1, logoutNotices: 2 });

      const codes = await deps.db.selectFrom('access_codes').select('id').orderBy('id').execute();
      expect(codes.map((c) => c.id).sort()).toEqual([aliceLatest.id, bobOnly.id].sort());
      expect((await deps.db.selectFrom('sessions').select('id_hash').execute()).map((s) => s.id_hash)).toEqual([
        'live',
      ]);
      expect((await deps.db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key)).toEqual(['code:new']);
      expect((await deps.db.selectFrom('batches').select('id').execute()).map((b) => b.id)).toEqual(['recent']);
      const notices = await deps.db.selectFrom('oidc_logout_outbox').select('id').orderBy('id').execute();
      expect(notices.map((n) => n.id)).toEqual(['delivered-recent', 'pending-old']);
      // People are never swept.
      expect(await count(context, 'people')).toBe(2);
      // A code within 30 days of its expiry stays even when it is not the latest.
      expect(KEPT.codeDaysAfterExpiry).toBe(30);
    },
  );

  it('walks many expired codes in steps: every older one goes, every latest one stays', async () => {
    const context = await open(dialect);
    const { deps, clock } = context;
    const t0 = clock.now();
    const people = Array.from({ length: 1_300 }, (_, i) => personRow(newId(t0 + i), t0));
    await deps.db.transaction().execute(async (trx) => {
      for (const person of people) await insertPerson(trx, person);
    });
    const codes = people.flatMap((person, i) => [
      codeRow(person.id, t0 + i, { used_at: t0 + i + 1 }),
      codeRow(person.id, t0 + DAY + i, {}),
    ]);
    for (let i = 0; i < codes.length; i += 200)
      await deps.db
        .insertInto('access_codes')
        .values(codes.slice(i, i + 200))
        .execute();
    clock.set(t0 + 200 * DAY);
    expect((await sweepExpiredData(deps, 'a'))!.accessCodes).toBe(1_300);
    const left = await deps.db.selectFrom('access_codes').select(['person_id', 'created_at']).execute();
    expect(left).toHaveLength(1_300);
    expect(new Set(left.map((row) => row.person_id)).size).toBe(1_300);
    expect(left.every((row) => row.created_at >= t0 + DAY)).toBe(true);
    // Nothing more to do on the next run.
    expect((await sweepExpiredData(deps, 'a'))!.accessCodes).toBe(0);
  });

  it('runs on one instance at a time: the lease is taken atomically, renewed, free once expired', async () => {
    const context = await open(dialect);
    const { deps, clock } = context;
    const now = clock.now();
    const asked = await Promise.all(
      ['a', 'b', 'c', 'd'].map((holder) => takeLease(deps.db, SWEEP_LEASE, holder, now, 10 * MINUTE)),
    );
    expect(asked.filter(Boolean)).toHaveLength(1);
    const holder = ['a', 'b', 'c', 'd'][asked.indexOf(true)]!;
    const other = holder === 'a' ? 'b' : 'a';
    expect(await leaseHolder(deps.db, SWEEP_LEASE, now)).toBe(holder);
    // Another instance's sweep does nothing while the lease is held.
    expect(await sweepExpiredData(deps, other)).toBeNull();
    expect(await takeLease(deps.db, SWEEP_LEASE, holder, now + MINUTE, 10 * MINUTE)).toBe(true);
    clock.set(now + 10 * MINUTE);
    expect(await takeLease(deps.db, SWEEP_LEASE, other, clock.now(), 10 * MINUTE)).toBe(false);
    clock.set(now + 12 * MINUTE);
    // The holder vanished: its lease ran out, and another instance sweeps (and gives it back).
    expect(await sweepExpiredData(deps, other)).not.toBeNull();
    expect(await leaseHolder(deps.db, SWEEP_LEASE, clock.now())).toBeNull();
  });
});
