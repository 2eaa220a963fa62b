// Limits under a burst split over two Keyslip processes sharing one database (issue 9, item 2):
// on PostgreSQL (when DIALECTS includes it) and on one SQLite file. Each attempt reserves its slot
// in one statement before it is evaluated, so the two processes together evaluate at most the
// limit; every other request is refused with Retry-After. "Evaluated" is counted in the database:
// every evaluated failure leaves one audit entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { generateAccessCode } from '../../src/access-codes/access-code.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import { DIALECTS, freshPostgresSchema } from '../helpers/deps.js';
import { startKeyslips, type RunningKeyslip } from '../helpers/server.js';

const PASSWORD = 'a long enough passphrase';

interface Answer {
  status: number;
  retryAfter: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON answers of many calls.
  json: any;
}

const backends = [
  {
    name: 'sqlite file',
    async make(): Promise<{ url: string; drop(): Promise<void> }> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-burst-'));
      return {
        url: `sqlite:${path.join(dir, 'keyslip.db')}`,
        drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  ...(DIALECTS.includes('postgres') ? [{ name: 'postgres', make: freshPostgresSchema }] : []),
];

describe.each(backends)('a burst split over two instances ($name)', (backend) => {
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  let instances: RunningKeyslip[];
  let admin: Record<string, string>;

  beforeAll(async () => {
    database = await backend.make();
    instances = await startKeyslips(2, {
      KEYSLIP_DATABASE_URL: database.url,
      // Each scenario comes from an address of its own (X-Forwarded-For from the local proxy).
      KEYSLIP_TRUST_PROXY: '127.0.0.1',
      // The per-address bound on sign-ins in progress (503) is tested elsewhere: here, the limits.
      KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: '10000',
      // Below what the two Argon2 queues hold at once (2 × (running + waiting)), so the limit, not
      // a full queue, is what stops the burst.
      KEYSLIP_RATE_SIGNIN_FAILURES: '8',
      KEYSLIP_DB_POOL_SIZE: '12',
    });
    handle = openDatabase(database.url, { poolSize: 2 });
    const { token } = await createApiToken(handle.db, { name: 'burst', actor: CLI_ACTOR, now: Date.now() });
    admin = { authorization: `Bearer ${token}` };
  }, 240_000);

  afterAll(async () => {
    await Promise.all((instances ?? []).map((instance) => instance.stop()));
    await handle?.close();
    await database?.drop();
  });

  async function call(
    index: number,
    method: string,
    url: string,
    options: { body?: unknown; headers?: Record<string, string>; from: string },
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers, 'x-forwarded-for': options.from };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${instances[index % 2]!.url}${url}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      json: text ? JSON.parse(text) : null,
    };
  }

  async function audited(action: string, ip: string | null, personId?: string): Promise<number> {
    let query = handle.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', action as never);
    if (ip !== null) query = query.where('ip', '=', ip);
    if (personId) query = query.where('person_id', '=', personId);
    return (await query.execute()).length;
  }

  function expectRefused(answers: Answer[], statuses: number[]): void {
    for (const answer of answers) {
      expect(statuses, JSON.stringify(answer)).toContain(answer.status);
      expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(typeof answer.json?.error?.code).toBe('string');
    }
  }

  function tally(answers: Answer[]): Record<number, number> {
    const counts: Record<number, number> = {};
    for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    return counts;
  }

  it('200 wrong codes from one address: the two instances evaluate exactly 20, the rest get 429', async () => {
    const from = '192.0.2.77';
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(i, 'POST', '/api/v1/access-code/check', { body: { code: generateAccessCode() }, from }),
      ),
    );
    const evaluated = await audited('access_code.failed', from);
    console.log(
      `[${backend.name}, 2 instances] code checks from one address: ${evaluated} evaluated of 200 sent`,
      tally(answers),
    );
    expect(evaluated).toBe(20);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(20);
    expectRefused(
      answers.filter((a) => a.status !== 400),
      [429],
    );
    expect(await audited('access_code.rate_limited', from)).toBe(1);
  });

  it(
    '200 wrong sign-ins from one address: the two instances evaluate ' +
      'at most the limit (8), the rest get 429 (or 503 when busy)',
    async () => {
      const from = '192.0.2.78';
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call(i, 'POST', '/api/v1/sessions', { body: { username: `nobody${i}`, password: 'whatever it is' }, from }),
        ),
      );
      const evaluated = await audited('sign_in.failed', from);
      console.log(
        `[${backend.name}, 2 instances] sign-ins from one address: ${evaluated} evaluated of 200 sent`,
        tally(answers),
      );
      expect(evaluated).toBeLessThanOrEqual(8);
      expect(answers.filter((a) => a.status === 401)).toHaveLength(evaluated);
      expectRefused(
        answers.filter((a) => a.status !== 401),
        [429, 503],
      );
      expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(150);
      expect(await audited('sign_in.rate_limited', from)).toBe(1);
    },
  );

  it(
    "one account's delay: 100 wrong passwords and the right one from 101 addresses are all refused during it; " +
      'after it exactly one is evaluated',
    async () => {
      const created = await call(0, 'POST', '/api/v1/people', {
        headers: admin,
        body: { name: 'Burst Target', username: 'burst.target' },
        from: '192.0.2.1',
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const personId = created.json.id as string;
      const issued = await call(1, 'POST', `/api/v1/people/${personId}/access-code`, {
        headers: admin,
        from: '192.0.2.1',
      });
      const redeemed = await call(0, 'POST', '/api/v1/access-code/redeem', {
        body: { code: issued.json.code, username: 'burst.target', password: PASSWORD },
        from: '192.0.2.2',
      });
      expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);

      const burst = (): Promise<Answer[]> =>
        Promise.all([
          ...Array.from({ length: 100 }, (_, i) =>
            call(i, 'POST', '/api/v1/sessions', {
              body: { username: 'burst.target', password: `wrong guess ${i}` },
              from: `10.7.${i}.1`,
            }),
          ),
          call(1, 'POST', '/api/v1/sessions', {
            body: { username: 'burst.target', password: PASSWORD },
            from: '10.7.200.1',
          }),
        ]);
      const evaluatedFor = async (): Promise<number> =>
        (await audited('sign_in.failed', null, personId)) + (await audited('sign_in.succeeded', null, personId));

      // Eleven failures in a row, the last just now: a minute to wait.
      await handle.db
        .updateTable('people')
        .set({ failed_sign_ins: 11, last_failed_sign_in_at: Date.now() })
        .where('id', '=', personId)
        .execute();
      const during = await burst();
      expectRefused(during, [429]);
      expect(await evaluatedFor()).toBe(0);
      console.log(`[${backend.name}, 2 instances] one account during its delay: 0 evaluated of 101 sent`);

      // The minute has passed: one attempt gets the account's turn, the others wait the next delay.
      await handle.db
        .updateTable('people')
        .set({ last_failed_sign_in_at: Date.now() - 61_000 })
        .where('id', '=', personId)
        .execute();
      const after = await burst();
      const evaluated = await evaluatedFor();
      console.log(
        `[${backend.name}, 2 instances] one account after its delay: ${evaluated} evaluated of 101 sent`,
        tally(after),
      );
      expect(evaluated).toBe(1);
      expect(after.filter((a) => a.status !== 429)).toHaveLength(1);
      expectRefused(
        after.filter((a) => a.status === 429),
        [429],
      );
    },
  );
});
