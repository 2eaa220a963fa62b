// Bounded growth under attack (issue 17): 10,000 failed code checks from 500 addresses, each
// address within its own limit (20 per window), so every one is evaluated. The first 100 of a
// minute are audited one by one; past that each is counted in its address's tally for the window.
// The database grows by at most 101 audit entries, one tally and one counter per address, and
// one global counter: well under 1 MB here, where an entry per attempt would be some megabytes.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDITED_FAILURES_PER_MINUTE, checkAccessCode } from '../../src/access-codes/access-codes.service.js';
import { formatAccessCode, generateAccessCode } from '../../src/access-codes/access-code.js';
import type { Db } from '../../src/db/database.js';
import { dialectOf } from '../../src/db/dialect.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';

const ADDRESSES = 500;
const PER_ADDRESS = 20;
/** What the test allows the database to grow by, in bytes (stated in SECURITY.md). */
const GROWTH_BOUND = { sqlite: 1024 * 1024, postgres: 2 * 1024 * 1024 };

const contexts: TestContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

/** Bytes the attempt-related tables take: SQLite's whole file, PostgreSQL's tables with indexes. */
async function sizeOf(db: Db): Promise<number> {
  if (dialectOf(db) === 'sqlite') {
    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(db);
    const size = await sql<{ page_size: number }>`pragma page_size`.execute(db);
    return Number(pages.rows[0]!.page_count) * Number(size.rows[0]!.page_size);
  }
  const { rows } = await sql<{ bytes: string }>`select (pg_total_relation_size('audit_events')
      + pg_total_relation_size('audit_tallies') + pg_total_relation_size('rate_limits'))::text as bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

async function rows(db: Db, table: 'audit_events' | 'audit_tallies' | 'rate_limits'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.each(DIALECTS)('failed code checks under attack (%s)', (dialect) => {
  it(`${ADDRESSES * PER_ADDRESS} failed checks from ${ADDRESSES} addresses: bounded growth`, async () => {
    const context = await createTestContext(dialect);
    contexts.push(context);
    const { deps } = context;
    expect(deps.config.rateCodeFailures).toBe(PER_ADDRESS);
    const before = await sizeOf(deps.db);

    let refused = 0;
    // Round robin over the addresses, eight requests in flight at a time.
    const attempts = Array.from({ length: ADDRESSES * PER_ADDRESS }, (_, i) => {
      const address = i % ADDRESSES;
      return `198.51.${address >> 8}.${address & 255}`;
    });
    for (let i = 0; i < attempts.length; i += 8) {
      await Promise.all(
        attempts.slice(i, i + 8).map((ip) =>
          checkAccessCode(deps, {
            code: formatAccessCode(generateAccessCode()),
            client: { ip, userAgent: null },
          }).catch((error: { code?: string }) => {
            if (error.code === 'code_unusable') refused += 1;
            else throw error;
          }),
        ),
      );
    }
    // Every attempt was evaluated and refused as a wrong code: none hit the per-address limit.
    expect(refused).toBe(ADDRESSES * PER_ADDRESS);

    const failed = await deps.db
      .selectFrom('audit_events')
      .select((eb) => ['action', eb.fn.countAll<number | string>().as('n')])
      .groupBy('action')
      .orderBy('action')
      .execute();
    expect(failed.map((row) => [row.action, Number(row.n)])).toEqual([
      ['access_code.failed', AUDITED_FAILURES_PER_MINUTE],
      ['access_code.failures_tallied', 1],
    ]);
    // The rest are counted, one row per address and window, and add up.
    expect(await rows(deps.db, 'audit_tallies')).toBe(ADDRESSES);
    const tallied = await deps.db
      .selectFrom('audit_tallies')
      .select((eb) => eb.fn.sum<number | string>('count').as('total'))
      .executeTakeFirstOrThrow();
    expect(Number(tallied.total)).toBe(ADDRESSES * PER_ADDRESS - AUDITED_FAILURES_PER_MINUTE);
    // One per-address counter each, and the global per-minute one.
    expect(await rows(deps.db, 'rate_limits')).toBe(ADDRESSES + 1);

    const grown = (await sizeOf(deps.db)) - before;
    expect(grown).toBeLessThan(GROWTH_BOUND[dialect]);
    process.stderr.write(`${dialect}: ${ADDRESSES * PER_ADDRESS} failed checks grew the database by ${grown} bytes\n`);
  }, 300_000);
});
