// Two Keyslip processes on two ports over one PostgreSQL schema, as behind a load balancer:
// whatever one instance does, the other sees, because everything shared lives in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { generateAccessCode, formatAccessCode } from '../../src/access-codes/access-code.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { MIGRATION_NAMES } from '../../src/db/migrate.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import { sessionCookieOf } from '../helpers/api.js';
import { DIALECTS, freshPostgresSchema } from '../helpers/deps.js';
import { startKeyslips, type RunningKeyslip } from '../helpers/server.js';

const PASSWORD = 'a long enough passphrase';

describe.skipIf(!DIALECTS.includes('postgres'))('two instances sharing one PostgreSQL database', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let handle: DatabaseHandle;
  let a: RunningKeyslip;
  let b: RunningKeyslip;
  let admin: Record<string, string>;
  let serial = 0;

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    // Both start at once on the empty schema: they race to migrate and to create the first admin.
    const env = {
      KEYSLIP_DATABASE_URL: schema.url,
      KEYSLIP_RATE_CODE_FAILURES: '5',
      // The instances sit behind a proxy on this machine; each scenario comes from an address of
      // its own (documentation addresses in X-Forwarded-For), so their failures count apart.
      KEYSLIP_TRUST_PROXY: '127.0.0.1',
      KEYSLIP_DB_POOL_SIZE: '12',
    };
    [a, b] = (await startKeyslips(2, env)) as [RunningKeyslip, RunningKeyslip];
    handle = openDatabase(schema.url, { poolSize: 2 });
    const { token } = await createApiToken(handle.db, { name: 'flow', actor: CLI_ACTOR, now: Date.now() });
    admin = { authorization: `Bearer ${token}` };
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await handle?.close();
    await schema?.drop();
  });

  async function call(
    instance: RunningKeyslip,
    method: string,
    url: string,
    options: { body?: unknown; headers?: Record<string, string>; from?: string } = {},
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON answers of many calls.
  ): Promise<{ status: number; json: any; setCookie: string[] }> {
    const headers: Record<string, string> = { ...options.headers, 'x-forwarded-for': options.from ?? '192.0.2.1' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${instance.url}${url}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: text ? JSON.parse(text) : null,
      setCookie: response.headers.getSetCookie(),
    };
  }

  async function newPerson(instance: RunningKeyslip, fields: Record<string, string> = {}): Promise<string> {
    serial += 1;
    const created = await call(instance, 'POST', '/api/v1/people', {
      headers: admin,
      body: { name: `Shared ${serial}`, employeeId: `S${serial}`, ...fields },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return created.json.id;
  }

  async function issue(instance: RunningKeyslip, personId: string): Promise<string> {
    const issued = await call(instance, 'POST', `/api/v1/people/${personId}/access-code`, { headers: admin });
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    return issued.json.code;
  }

  it(
    'both started at once on an empty database: both ' + 'serve, the schema and the first admin were made once',
    async () => {
      for (const instance of [a, b])
        expect((await call(instance, 'GET', '/healthz')).json).toEqual({ status: 'ok', database: 'ok' });
      const admins = await handle.db.selectFrom('people').select('username').where('role', '=', 'admin').execute();
      expect(admins).toEqual([{ username: 'admin' }]);
      // Each migration applied exactly once, whichever instance took the lock.
      const migrations = (await handle.db
        .selectFrom('kysely_migration' as never)
        .selectAll()
        .execute()) as { name: string }[];
      const names = migrations.map((m) => m.name);
      expect(names).toEqual([...new Set(names)]);
      expect(names.sort()).toEqual([...MIGRATION_NAMES]);
    },
  );

  it('a code issued on A is checked and redeemed on B, and the session works on A', async () => {
    const personId = await newPerson(a);
    const code = await issue(a, personId);
    expect(await call(b, 'POST', '/api/v1/access-code/check', { body: { code } })).toMatchObject({
      status: 200,
      json: { username: null, claim: true },
    });
    const redeemed = await call(b, 'POST', '/api/v1/access-code/redeem', {
      body: { code, username: 'shared.one', password: PASSWORD },
    });
    expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);
    const cookie = sessionCookieOf(redeemed.setCookie)!;
    const me = await call(a, 'GET', '/api/v1/me', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.json.person.username).toBe('shared.one');
    // And it is used up on both.
    for (const instance of [a, b])
      expect((await call(instance, 'POST', '/api/v1/access-code/check', { body: { code } })).json.error.code).toBe(
        'code_unusable',
      );
  });

  it('20 parallel redemptions of one code, split over A and B: exactly one wins', async () => {
    const personId = await newPerson(b);
    const code = await issue(b, personId);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i % 2 === 0 ? a : b, 'POST', '/api/v1/access-code/redeem', {
          from: `198.51.100.${i + 1}`,
          body: { code, username: 'parallel.shared', password: PASSWORD },
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    const losers = responses.filter((r) => r.status !== 200);
    expect(losers.map((r) => `${r.status} ${r.json.error.code}`)).toEqual(Array(19).fill('400 code_unusable'));
    const sessions = await handle.db
      .selectFrom('sessions')
      .select('id_hash')
      .where('person_id', '=', personId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('failed attempts count across instances: 3 wrong on A and 3 wrong on B, and the 6th answer is 429', async () => {
    const personId = await newPerson(a);
    const code = await issue(a, personId);
    const from = '203.0.113.66';
    const wrong = (): string => formatAccessCode(generateAccessCode());
    const answers: number[] = [];
    for (const instance of [a, a, a, b, b, b]) {
      answers.push(
        (await call(instance, 'POST', '/api/v1/access-code/check', { from, body: { code: wrong() } })).status,
      );
    }
    expect(answers).toEqual([400, 400, 400, 400, 400, 429]);
    // While limited, even the right code is refused, on either instance; another address is not.
    for (const instance of [a, b])
      expect((await call(instance, 'POST', '/api/v1/access-code/check', { from, body: { code } })).status).toBe(429);
    expect((await call(b, 'POST', '/api/v1/access-code/check', { from: '203.0.113.67', body: { code } })).status).toBe(
      200,
    );
  });

  it('a re-issue on A voids the old code on B at once', async () => {
    const personId = await newPerson(a);
    const first = await issue(a, personId);
    expect(
      (await call(b, 'POST', '/api/v1/access-code/check', { from: '192.0.2.10', body: { code: first } })).status,
    ).toBe(200);
    const second = await issue(a, personId);
    const old = await call(b, 'POST', '/api/v1/access-code/check', { from: '192.0.2.10', body: { code: first } });
    expect(old.status).toBe(400);
    expect(old.json.error.code).toBe('code_unusable');
    expect(
      (await call(b, 'POST', '/api/v1/access-code/check', { from: '192.0.2.10', body: { code: second } })).status,
    ).toBe(200);
  });

  it('signed in on A, the session is valid on B; signed out on B, it is gone on A', async () => {
    const personId = await newPerson(b, { username: 'sign.in.shared' });
    const code = await issue(b, personId);
    expect(
      (
        await call(a, 'POST', '/api/v1/access-code/redeem', {
          from: '192.0.2.20',
          body: { code, username: 'sign.in.shared', password: PASSWORD },
        })
      ).status,
    ).toBe(200);
    const signedIn = await call(a, 'POST', '/api/v1/sessions', {
      from: '192.0.2.20',
      body: { username: 'sign.in.shared', password: PASSWORD },
    });
    expect(signedIn.status, JSON.stringify(signedIn.json)).toBe(201);
    const cookie = sessionCookieOf(signedIn.setCookie)!;
    const onB = await call(b, 'GET', '/api/v1/me', { headers: { cookie } });
    expect(onB.status).toBe(200);
    expect(onB.json.person.username).toBe('sign.in.shared');
    expect((await call(b, 'DELETE', '/api/v1/sessions/current', { headers: { cookie } })).status).toBe(204);
    expect((await call(a, 'GET', '/api/v1/me', { headers: { cookie } })).status).toBe(401);
  });

  it('neither instance logged a failed request', () => {
    for (const instance of [a, b]) expect(instance.output()).not.toMatch(/"statusCode":5\d\d/);
  });
});
