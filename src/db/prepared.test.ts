import { type SqlBool, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { addPerson } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { findAccessCodeForAttempt } from '../access-codes/access-codes.store.js';
import { findPersonByUsername, type MayTry, takeSignInTurnByLogin } from '../people/people.store.js';
import { resolveApiToken } from '../sessions/api-tokens.js';
import { findSessionByHash } from '../sessions/sessions.store.js';
import type { Db } from './database.js';
import { executeKept, prepared } from './prepared.js';

const contexts: TestContext[] = [];
afterAll(async () => {
  for (const context of contexts) await context.close();
});

// One statement of each shape the hot paths use: values in `where`, an `in (…)` list, a constant
// written into the query, values of an upsert and sql`…`.
const countersAbove = prepared((db: Db, keys: readonly string[], above: number) =>
  db
    .selectFrom('rate_limits')
    .select(['key', 'count'])
    .where('key', 'in', keys)
    .where('count', '>', above)
    .where('window_start', '=', 0)
    .orderBy('key'),
);
const countOne = prepared((db: Db, key: string, by: number) =>
  db
    .insertInto('rate_limits')
    .values({ key, window_start: 0, count: by })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + ${by}` }))
    .returning('count'),
);

describe.each(DIALECTS)('statements compiled once (%s)', (dialect) => {
  it('run with the values of each call, whatever the values of the first', async () => {
    const context = await createTestContext(dialect);
    contexts.push(context);
    const { db } = context.deps;
    expect((await countOne(db, 'a', 1)).rows).toEqual([{ count: 1 }]);
    expect((await countOne(db, 'a', 5)).rows).toEqual([{ count: 6 }]);
    expect((await countOne(db, 'b', 2)).rows).toEqual([{ count: 2 }]);
    await db.transaction().execute(async (trx) => {
      expect((await countOne(trx, 'c', 7)).rows).toEqual([{ count: 7 }]);
    });

    expect((await countersAbove(db, ['a', 'b'], 1)).rows).toEqual([
      { key: 'a', count: 6 },
      { key: 'b', count: 2 },
    ]);
    expect((await countersAbove(db, ['a', 'b'], 2)).rows).toEqual([{ key: 'a', count: 6 }]);
    // Another length of the list is a statement of its own, not the first one's cut short.
    expect((await countersAbove(db, ['a', 'b', 'c'], 0)).rows.map((row) => row.key)).toEqual(['a', 'b', 'c']);
    expect((await countersAbove(db, ['c'], 0)).rows.map((row) => row.key)).toEqual(['c']);
    expect((await countersAbove(db, ['b', 'c'], 6)).rows.map((row) => row.key)).toEqual(['c']);
  });
});

/** How many statements the transaction's connection keeps prepared (PostgreSQL). */
const preparedOnConnection = async (trx: Db): Promise<number> =>
  (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(trx)).rows.length;

describe('statements compiled once, on PostgreSQL', () => {
  it.skipIf(!DIALECTS.includes('postgres'))(
    'are kept prepared on the server under one name per text, and other statements are not',
    async () => {
      const context = await createTestContext('postgres');
      contexts.push(context);
      const { db } = context.deps;
      // One transaction: one connection, whose prepared statements pg_prepared_statements lists.
      const named = await db.transaction().execute(async (trx) => {
        const count = () => preparedOnConnection(trx);
        const before = await count();
        await countOne(trx, 'named', 1);
        await countOne(trx, 'named', 2);
        const afterTwoRuns = await count();
        await trx.selectFrom('rate_limits').select('count').where('key', '=', 'named').execute();
        return { before, afterTwoRuns, afterOther: await count() };
      });
      expect(named).toEqual({ before: named.before, afterTwoRuns: named.before + 1, afterOther: named.before + 1 });
    },
  );
});

describe('statements built at run time and kept (executeKept)', () => {
  it.each(DIALECTS)('give the rows of each call, however often the same text runs (%s)', async (dialect) => {
    const context = await createTestContext(dialect);
    contexts.push(context);
    const { db } = context.deps;
    for (const [key, count] of [
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
    ] as const)
      await countOne(db, key, count);
    const above = (min: number) =>
      db.selectFrom('rate_limits').select('key').where('count', '>', min).orderBy('key').compile();
    // Past five runs PostgreSQL may plan the kept statement once for all values.
    for (let run = 0; run < 8; run++) {
      expect((await executeKept(db, above(0))).map((row) => row.key)).toEqual(['k1', 'k2', 'k3']);
      expect((await executeKept(db, above(2))).map((row) => row.key)).toEqual(['k3']);
    }
  });

  it.skipIf(!DIALECTS.includes('postgres'))('are kept prepared on PostgreSQL under one name per text', async () => {
    const context = await createTestContext('postgres');
    contexts.push(context);
    const { db } = context.deps;
    const counts = await db.transaction().execute(async (trx) => {
      const before = await preparedOnConnection(trx);
      const query = (key: string) => trx.selectFrom('rate_limits').select('count').where('key', '=', key).compile();
      await executeKept(trx, query('a'));
      await executeKept(trx, query('b'));
      return { before, after: await preparedOnConnection(trx) };
    });
    expect(counts.after).toBe(counts.before + 1);
  });
});

const mayAlways: MayTry = () => sql<SqlBool>`true`;

describe('statements kept prepared, while another instance migrates', () => {
  it.skipIf(!DIALECTS.includes('postgres'))(
    'still run on the same connection after a column is added to their tables',
    async () => {
      const context = await createTestContext('postgres');
      contexts.push(context);
      const { db } = context.deps;
      const person = await addPerson(context.deps, { name: 'Kept Statement', username: 'kept.statement' });
      const now = context.deps.clock.now();
      const runAll = async (trx: Db) => ({
        person: (await findPersonByUsername(trx, 'kept.statement'))?.id,
        session: await findSessionByHash(trx, 'no-such-session'),
        token: await resolveApiToken(trx, 'ks_no-such-token', now),
        code: await findAccessCodeForAttempt(trx, ['no-such-hash'], { key: 'k', windowStart: 0 }),
        turn: (await takeSignInTurnByLogin(trx, { column: 'username', value: 'kept.statement' }, now, mayAlways))?.id,
      });
      const expected = { person: person.id, session: null, token: null, code: null, turn: person.id };
      // One transaction: one connection, which keeps the statements it ran.
      await db.transaction().execute(async (trx) => {
        expect(await runAll(trx)).toEqual(expected);
        expect(await runAll(trx)).toEqual(expected);
        for (const table of ['people', 'sessions', 'api_tokens', 'access_codes'])
          await sql`alter table ${sql.table(table)} add column added_later text`.execute(trx);
        // A kept `select *` would now fail: "cached plan must not change result type".
        expect(await runAll(trx)).toEqual(expected);
      });
    },
  );
});
