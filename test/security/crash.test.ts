// Faults: a process killed in the middle of a bulk issue, two processes writing one SQLite file,
// and writes that fail half-way. The database is always whole: all of a change or none of it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { undoAbandonedBatches } from '../../src/access-codes/batch-undo.js';
import { ISSUING_LEASE_MS } from '../../src/access-codes/batches.service.js';
import { createTestContext, TEST_SECRET, type TestContext } from '../helpers/deps.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { compiledSources } from './fixtures/build.js';
import { claimedPerson, createPersonViaApi, fingerprint, issueCodeViaApi, PASSWORD } from './support.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

let build: string;
beforeAll(async () => {
  build = await compiledSources();
}, 120_000);

interface Child {
  process: ChildProcessWithoutNullStreams;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

function run(file: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [file, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    exited,
    waitFor: async (pattern, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before ${pattern}: ${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

const count = async (handle: DatabaseHandle, query: string): Promise<number> =>
  Number((await sql<{ n: number }>`${sql.raw(query)}`.execute(handle.db)).rows[0]!.n);

/** The invariants between people, codes and batches that every committed state keeps. */
async function expectConsistent(handle: DatabaseHandle): Promise<{ people: number; codes: number; batches: number }> {
  const people = await count(handle, 'select count(*) as n from people');
  const codes = await count(handle, 'select count(*) as n from access_codes');
  const batches = await count(handle, 'select count(*) as n from batches');
  const open = await count(
    handle,
    'select count(*) as n from access_codes where used_at is null and deactivated_at is null and replaced_at is null',
  );
  const activeState = await count(handle, "select count(*) as n from person_code_states where state = 'active'");
  const batchTotal = await count(handle, 'select coalesce(sum(count), 0) as n from batches');
  const twoOpen = await count(
    handle,
    'select count(*) as n from (select person_id from access_codes where used_at is null and ' +
      'deactivated_at is null and replaced_at is null group by person_id having count(*) > 1)',
  );
  expect(open, 'open codes = people whose code state is active').toBe(activeState);
  expect(twoOpen, 'no one holds two open codes').toBe(0);
  expect(
    await count(handle, 'select count(*) as n from access_codes where batch_id is not null'),
    'batch codes = batch counts',
  ).toBe(batchTotal);
  const integrity = handle.sqlite!.pragma('integrity_check') as { integrity_check: string }[];
  expect(integrity).toEqual([{ integrity_check: 'ok' }]);
  return { people, codes, batches };
}

describe('a bulk issue killed with SIGKILL half-way', () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('leaves the whole batch or nothing, and Keyslip opens and migrates the file cleanly afterwards', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-crash-'));
    const file = path.join(dir, 'keyslip.db');
    const env = { KEYSLIP_BUILD: build, DB_FILE: file, PEOPLE: '100000', KEYSLIP_SECRET: TEST_SECRET };

    const victim = run(path.join(FIXTURES, 'bulk-issue.mjs'), [], env);
    await victim.waitFor(/^started$/m, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    victim.process.kill('SIGKILL');
    await victim.exited;
    expect(victim.process.signalCode).toBe('SIGKILL');
    expect(victim.output(), 'killed before the batch committed').not.toMatch(/done/);

    const after = openDatabase(`sqlite:${file}`);
    await migrateToLatest(after.db);
    // The batch was written a chunk per transaction and never marked issued: none of its codes
    // works (checks require an issued batch) until an instance undoes it, once its lease has run out.
    expect(await count(after, "select count(*) as n from batches where state = 'issued'")).toBe(0);
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
    const tooEarly = { db: after.db, clock: { now: () => Date.now() }, log };
    expect(await undoAbandonedBatches(tooEarly), 'a live lease is left alone').toBe(0);
    const later = { db: after.db, clock: { now: () => Date.now() + ISSUING_LEASE_MS + 1_000 }, log };
    expect(await undoAbandonedBatches(later)).toBe(1);
    const state = await expectConsistent(after);
    expect(state.people).toBe(100_000);
    expect(state.batches).toBe(0);
    expect(state.codes).toBe(0);
    expect(await count(after, "select count(*) as n from person_code_states where state <> 'none'")).toBe(0);
    await after.close();

    // The same bulk issue, left alone, issues all 100,000 codes, and takes far longer
    // than the 300 ms after which the first one was killed.
    const started = Date.now();
    const survivor = run(path.join(FIXTURES, 'bulk-issue.mjs'), [], env);
    await survivor.waitFor(/^started$/m);
    const issuing = Date.now();
    await survivor.waitFor(/^done \d+$/m, 120_000);
    expect(await survivor.exited).toBe(0);
    expect(Date.now() - issuing, 'a bulk issue of 100,000 takes well over 300 ms').toBeGreaterThan(900);
    expect(survivor.output()).toMatch(/^done 100000$/m);
    const whole = openDatabase(`sqlite:${file}`);
    await migrateToLatest(whole.db);
    const done = await expectConsistent(whole);
    expect(done).toEqual({ people: 100_000, codes: 100_000, batches: 1 });
    expect(await count(whole, "select count(*) as n from person_code_states where state = 'active'")).toBe(100_000);
    expect(await count(whole, 'select count(distinct code_hash) as n from access_codes')).toBe(100_000);
    await whole.close();
    expect(Date.now() - started).toBeLessThan(120_000);
  }, 240_000);
});

describe('two processes writing one SQLite file', () => {
  let dir: string;
  let context: TestContext;
  let api: TestApi;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-busy-'));
    context = await createTestContext('sqlite', { sqliteFile: path.join(dir, 'keyslip.db') });
    api = await createTestApi(context);
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('while another process holds the write lock longer ' +
    'than busy_timeout, requests wait and succeed: no 5xx', async () => {
    const person = await createPersonViaApi(api, { name: 'Before Lock', employeeId: 'BL-1' });
    const holder = run(path.join(FIXTURES, 'hold-write-lock.mjs'), [], {
      DB_FILE: path.join(dir, 'keyslip.db'),
      HOLD_MS: '7000',
    });
    await holder.waitFor(/^locked$/m);
    const started = Date.now();
    const [created, issued, failedCheck] = await Promise.all([
      api.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: api.admin,
        payload: { name: 'During Lock', employeeId: 'DL-1' },
      }),
      api.app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/access-code`, headers: api.admin }),
      api.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: 'BCDF-GHJK-LMNP-QRST' } }),
    ]);
    const waited = Date.now() - started;
    expect(await holder.exited).toBe(0);
    expect(holder.output()).toMatch(/released/);
    expect(created.statusCode, created.body).toBe(201);
    expect(issued.statusCode, issued.body).toBe(201);
    expect(failedCheck.statusCode, failedCheck.body).toBe(400);
    expect(waited, 'the writes really waited for the other process').toBeGreaterThan(5_000);
  }, 60_000);

  it('the CLI importing people while the server issues ' +
    'codes: every request answered, every row consistent', async () => {
    await createPersonViaApi(api, { name: 'Seed Person', employeeId: 'SP-1' });
    const csv = path.join(dir, 'people.csv');
    const rows = Array.from({ length: 30_000 }, (_, i) => `Imported Person ${i},IMP-${i},Store ${i % 40}`);
    fs.writeFileSync(csv, `name,employeeId,location\n${rows.join('\n')}\n`);
    const cli = run(path.join(build, 'src', 'cli', 'main.js'), ['people', 'import', csv], {
      KEYSLIP_DATABASE_URL: `sqlite:${path.join(dir, 'keyslip.db')}`,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_DATA_DIR: dir,
      KEYSLIP_LOG_LEVEL: 'silent',
    });
    const statuses: number[] = [];
    let rounds = 0;
    while (cli.process.exitCode === null && rounds < 400) {
      rounds += 1;
      const bulk = await api.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: api.admin,
        payload: { filter: { q: rounds % 2 ? 'store 1' : 'seed' } },
      });
      statuses.push(bulk.statusCode);
      const person = await api.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: api.admin,
        payload: { name: `Server Person ${rounds}`, employeeId: `SRV-${rounds}` },
      });
      statuses.push(person.statusCode);
    }
    expect(await cli.exited, cli.output()).toBe(0);
    expect(cli.output()).toMatch(/Created 30000, updated 0, unchanged 0, refused 0/);
    expect(rounds, 'the server kept writing while the import ran').toBeGreaterThan(1);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(await count(context.handle, "select count(*) as n from people where employee_id like 'IMP-%'")).toBe(30_000);
    await expectConsistent(context.handle);
  }, 120_000);
});

describe('a write that fails half-way never leaves a half-changed account', () => {
  let context: TestContext;
  let api: TestApi;
  beforeAll(async () => {
    context = await createTestContext('sqlite');
    api = await createTestApi(context);
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
  });

  /** Makes the database refuse one kind of write, as a full disk or a lost connection would. */
  async function failing<T>(table: string, when: string, work: () => Promise<T>): Promise<T> {
    await sql
      .raw(
        `create trigger fail_once before insert on ${table} when ${when} ` +
          "begin select raise(abort, 'injected fault'); end",
      )
      .execute(context.deps.db);
    try {
      return await work();
    } finally {
      await sql.raw('drop trigger fail_once').execute(context.deps.db);
    }
  }

  it('a redemption whose session cannot be written keeps the code, the password and the other sessions', async () => {
    const person = await claimedPerson(api, { name: 'Sam Lee', username: 'sam.lee' });
    const code = await issueCodeViaApi(api, person.id);
    const before = await fingerprint(context.deps.db);
    const response = await failing('sessions', '1', () =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code, username: 'sam.lee', password: 'a brand new passphrase' },
      }),
    );
    expect(response.statusCode).toBe(500);
    expect(response.json().error.code).toBe('internal');
    expect(await fingerprint(context.deps.db)).toBe(before);
    expect(
      (await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: person.cookie } })).statusCode,
    ).toBe(200);
    // Nothing was consumed: the same code works once the fault is gone, and the old password
    // was valid until then.
    expect(
      (
        await api.app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          payload: { username: 'sam.lee', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(201);
    const retry = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: 'sam.lee', password: 'a brand new passphrase' },
    });
    expect(retry.statusCode).toBe(200);
  });

  it(
    'a deactivation whose audit entry cannot be written ' + 'leaves the person, their code and sessions as they were',
    async () => {
      const person = await claimedPerson(api, { name: 'Alex Dahl', username: 'alex.dahl' });
      await issueCodeViaApi(api, person.id);
      const before = await fingerprint(context.deps.db);
      const response = await failing('audit_events', "new.action = 'person.deactivated'", () =>
        api.app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/deactivate`, headers: api.admin }),
      );
      expect(response.statusCode).toBe(500);
      expect(await fingerprint(context.deps.db)).toBe(before);
      expect(
        (await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: person.cookie } })).statusCode,
      ).toBe(200);
    },
  );

  it('an issue whose audit entry cannot be written keeps the old code valid and adds none', async () => {
    const person = await createPersonViaApi(api, { name: 'Kim Berg', employeeId: 'KB-1' });
    const old = await issueCodeViaApi(api, person.id);
    const before = await fingerprint(context.deps.db);
    const response = await failing('audit_events', "new.action = 'access_code.issued'", () =>
      api.app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/access-code`, headers: api.admin }),
    );
    expect(response.statusCode).toBe(500);
    expect(await fingerprint(context.deps.db)).toBe(before);
    expect(
      (await api.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: old } })).statusCode,
    ).toBe(200);
  });

  it('a bulk issue that fails at its last write issues nothing and replaces nothing', async () => {
    const before = await fingerprint(context.deps.db);
    const batches = await count(context.handle, 'select count(*) as n from batches');
    const response = await failing('audit_events', "new.action = 'access_codes.issued'", () =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/access-codes/bulk',
        headers: api.admin,
        payload: { filter: { hasEmail: false } },
      }),
    );
    expect(response.statusCode).toBe(500);
    expect(await fingerprint(context.deps.db)).toBe(before);
    expect(await count(context.handle, 'select count(*) as n from batches')).toBe(batches);
    await expectConsistent(context.handle);
  });
});
