import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DIALECTS, freshPostgresSchema, POSTGRES_URL } from '../../test/helpers/deps.js';
import { isDatabaseUnavailable, openDatabase } from './database.js';

describe.skipIf(!DIALECTS.includes('postgres'))('PostgreSQL connections that die', () => {
  it(
    'a connection killed in the middle of a transaction fails that ' +
      'transaction as "unavailable", crashes nothing, and the pool goes on',
    async () => {
      const fresh = await freshPostgresSchema();
      const handle = openDatabase(fresh.url, { poolSize: 2 });
      const killer = new pg.Client({ connectionString: POSTGRES_URL });
      await killer.connect();
      try {
        const failure = await handle.db
          .transaction()
          .execute(async (trx) => {
            const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
            await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
            // The server's goodbye arrives while the connection is checked out but idle: pg reports
            // it as an 'error' event on the client, which crashes Node unless someone listens.
            await new Promise((resolve) => setTimeout(resolve, 300));
            await sql`select 1`.execute(trx);
          })
          .then(
            () => null,
            (error: unknown) => error,
          );
        expect(failure).not.toBeNull();
        expect(isDatabaseUnavailable(failure)).toBe(true);
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
        expect(rows).toEqual([{ one: 1 }]);
      } finally {
        await killer.end();
        await handle.close();
        await fresh.drop();
      }
    },
  );

  it('too many connections (max_connections or a role\'s limit) counts as "unavailable", not as a bug', async () => {
    const role = `ks_limited_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create role ${role} login connection limit 1`);
    const url = new URL(POSTGRES_URL);
    url.username = role;
    const handle = openDatabase(url.toString(), { poolSize: 3 });
    try {
      const results = await Promise.allSettled([1, 2, 3].map(() => sql`select pg_sleep(0.3)`.execute(handle.db)));
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const failure of refused) {
        expect((failure.reason as { code?: string }).code).toBe('53300');
        expect(isDatabaseUnavailable(failure.reason)).toBe(true);
      }
    } finally {
      await handle.close();
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  });
});
