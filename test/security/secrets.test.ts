// Secrets stay secret (SPEC §2 "Secret handling"): codes, passwords, session ids, API tokens and
// the server secret never reach the logs (even at trace level), the audit log or the SQLite file;
// the key can rotate; the generated secret file is private; unsafe settings are shouted at start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { hashAccessCode, normaliseAccessCode } from '../../src/access-codes/access-code.js';
import { issueAccessCodes, readBatchCodes } from '../../src/access-codes/batches.service.js';
import { loadConfig, unsafeSettings } from '../../src/config.js';
import { csrfTokenFor, csrfTokenValid } from '../../src/http/csrf.js';
import { createKeyring, loadSecrets } from '../../src/lib/keyring.js';
import { safeEqual, sha256 } from '../../src/lib/random.js';
import { createLogger } from '../../src/runtime.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import type { Deps } from '../../src/deps.js';
import { createTestContext, TEST_SECRET, type TestContext } from '../helpers/deps.js';
import { sessionCookieOf } from '../helpers/api.js';
import { compiledSources } from './fixtures/build.js';
import { OTHER_PASSWORD, PASSWORD } from './support.js';

const NEW_SECRET = 'rotated-secret-rotated-secret-rotated-0002';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-secrets-'));
}

describe('no secret in the logs, the audit log or the database file', () => {
  let dir: string;
  let context: TestContext;
  const logLines: string[] = [];
  /** Every secret the scenario makes or tries, in every form it travels in. */
  const secrets = new Map<string, string>();
  const keep = (label: string, value: string): void => {
    secrets.set(value, label);
  };
  /** Things that must be there, so the searches are known to work. */
  const present: { codeHash: string; sessionHash: string; personId: string } = {
    codeHash: '',
    sessionHash: '',
    personId: '',
  };

  beforeAll(async () => {
    dir = tempDir();
    context = await createTestContext('sqlite', {
      sqliteFile: path.join(dir, 'keyslip.db'),
      env: { KEYSLIP_LOG_LEVEL: 'trace' },
    });
    const logger = createLogger(context.deps.config, { write: (line: string) => void logLines.push(line) });
    const deps: Deps = { ...context.deps, log: logger };
    const app = await buildApp(deps, { logger });
    keep('server secret', TEST_SECRET);

    const { token } = await createApiToken(deps.db, { name: 'ops', actor: CLI_ACTOR, now: context.clock.now() });
    keep('API token', token);
    const admin = { authorization: `Bearer ${token}` };
    const keepCode = (code: string): void => {
      keep('access code', code);
      keep('access code (typed)', normaliseAccessCode(code)!);
    };

    // One person: issued a code, checks it, claims the account, signs in and out.
    const person = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: admin,
        payload: { name: 'Sam Lee', employeeId: 'E1' },
      })
    ).json();
    present.personId = person.id;
    const issued = await app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/access-code`, headers: admin });
    const code = issued.json().code as string;
    keepCode(code);
    present.codeHash = hashAccessCode(deps.keyring.current, normaliseAccessCode(code)!);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: code.toLowerCase() } }))
        .statusCode,
    ).toBe(200);
    const redeemed = await app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: 'sam.lee', password: PASSWORD },
    });
    expect(redeemed.statusCode).toBe(200);
    keep('password', PASSWORD);
    const firstCookie = sessionCookieOf(redeemed.headers['set-cookie'])!;
    keep('session id', firstCookie.split('=')[1]!);
    const signedIn = await app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { username: 'sam.lee', password: PASSWORD },
    });
    const cookie = sessionCookieOf(signedIn.headers['set-cookie'])!;
    const sessionId = cookie.split('=')[1]!;
    keep('session id', sessionId);
    present.sessionHash = sha256(sessionId);
    const csrf = csrfTokenFor(deps.keyring, sha256(sessionId));
    keep('CSRF token', csrf);
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);

    // Failures: a wrong password, wrong codes, a wrong code with a password.
    const wrongPassword = 'not my password at all';
    keep('tried password', wrongPassword);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          payload: { username: 'sam.lee', password: wrongPassword },
        })
      ).statusCode,
    ).toBe(401);
    const wrongCode = 'ZZZZ-XXXX-WWWW-VVVV';
    keepCode(wrongCode);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: wrongCode } })).statusCode,
    ).toBe(400);
    keep('tried password', OTHER_PASSWORD);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/access-code/redeem',
          payload: { code: 'BBBB-CCCC-DDDD-FFFF', username: 'x1x', password: OTHER_PASSWORD },
        })
      ).statusCode,
    ).toBe(400);
    keepCode('BBBB-CCCC-DDDD-FFFF');

    // Bulk issue: JSON and CSV, so encrypted batch codes pass through the database.
    for (let i = 0; i < 5; i += 1)
      await app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: admin,
        payload: { name: `Worker ${i}`, employeeId: `W${i}` },
      });
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/access-codes/bulk',
      headers: { ...admin, 'idempotency-key': 'one' },
      payload: { filter: { q: 'worker' } },
    });
    for (const item of json.json().items as { code: string }[]) keepCode(item.code);
    const csv = await app.inject({
      method: 'POST',
      url: '/api/v1/access-codes/bulk',
      headers: { ...admin, accept: 'text/csv', 'idempotency-key': 'two' },
      payload: { filter: { q: 'worker' } },
    });
    for (const match of csv.body.matchAll(/[BCDFGHJKLMNPQRSTVWXZ]{4}(-[BCDFGHJKLMNPQRSTVWXZ]{4}){3}/g))
      keepCode(match[0]);
    expect(secrets.size).toBeGreaterThan(20);

    // A browser-style write with the CSRF header, then sign-out.
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: '/api/v1/sessions/current',
          headers: { cookie, origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000', 'x-csrf-token': csrf },
        })
      ).statusCode,
    ).toBe(204);
    await app.close();
  });

  afterAll(async () => {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const expectAbsent = (haystack: Buffer | string, where: string): void => {
    const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
    for (const [secret, label] of secrets)
      expect(bytes.indexOf(Buffer.from(secret, 'utf8')), `${label} found in ${where}`).toBe(-1);
  };

  it('the trace-level log holds requests, never a secret', () => {
    const log = logLines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain(present.personId);
    expectAbsent(log, 'the log');
  });

  it('the audit log holds what happened, never a secret', async () => {
    const rows = await context.deps.db.selectFrom('audit_events').selectAll().execute();
    const actions = new Set(rows.map((row) => row.action));
    for (const action of [
      'access_code.issued',
      'access_code.redeemed',
      'access_code.failed',
      'sign_in.failed',
      'access_codes.issued',
      'api_token.created',
    ])
      expect(actions).toContain(action);
    expectAbsent(JSON.stringify(rows), 'the audit log');
  });

  it('the SQLite file and its WAL hold only keyed hashes and hashes, never a secret', async () => {
    const file = path.join(dir, 'keyslip.db');
    const read = (name: string): Buffer => (fs.existsSync(name) ? fs.readFileSync(name) : Buffer.alloc(0));
    const whileOpen = Buffer.concat([read(file), read(`${file}-wal`)]);
    expect(whileOpen.indexOf(Buffer.from(present.codeHash))).toBeGreaterThan(-1);
    expect(whileOpen.indexOf(Buffer.from(present.sessionHash))).toBeGreaterThan(-1);
    expectAbsent(whileOpen, 'the database file (open)');
    // Checkpointed into the main file too.
    context.handle.sqlite!.pragma('wal_checkpoint(TRUNCATE)');
    expectAbsent(Buffer.concat([read(file), read(`${file}-wal`)]), 'the database file (checkpointed)');
  });
});

describe('key rotation: KEYSLIP_SECRET="new,old"', () => {
  it(
    'a code issued under the old key still checks and redeems; new codes ' +
      'are signed by the new key; dropping the old key voids its codes',
    async () => {
      const context = await createTestContext('sqlite');
      const oldApp = await buildApp(context.deps);
      const { token } = await createApiToken(context.deps.db, {
        name: 't',
        actor: CLI_ACTOR,
        now: context.clock.now(),
      });
      const admin = { authorization: `Bearer ${token}` };
      const make = async (app: typeof oldApp, name: string): Promise<{ id: string; code: string }> => {
        const person = (
          await app.inject({
            method: 'POST',
            url: '/api/v1/people',
            headers: admin,
            payload: { name, employeeId: name },
          })
        ).json();
        const issued = await app.inject({
          method: 'POST',
          url: `/api/v1/people/${person.id}/access-code`,
          headers: admin,
        });
        return { id: person.id, code: issued.json().code };
      };
      const first = await make(oldApp, 'first');
      const second = await make(oldApp, 'second');
      const oldKeyId = context.deps.keyring.current.id;
      const batch = await issueAccessCodes(context.deps, { filter: { q: 'second' }, actor: CLI_ACTOR });
      await oldApp.close();

      const rotated: Deps = {
        ...context.deps,
        config: loadConfig({
          KEYSLIP_SECRET: `${NEW_SECRET},${TEST_SECRET}`,
          KEYSLIP_DATA_DIR: '/tmp/keyslip-test-data',
        }),
        keyring: createKeyring([NEW_SECRET, TEST_SECRET]),
      };
      expect(rotated.keyring.current.id).not.toBe(oldKeyId);
      const app = await buildApp(rotated);
      const check = await app.inject({
        method: 'POST',
        url: '/api/v1/access-code/check',
        payload: { code: first.code },
      });
      expect(check.statusCode).toBe(200);
      const redeem = await app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code: first.code, username: 'first.one', password: PASSWORD },
      });
      expect(redeem.statusCode).toBe(200);
      // The batch sealed under the old key can still be read within its window.
      const items = [];
      for await (const item of readBatchCodes(rotated, batch.batch.id)) items.push(item);
      expect(items).toHaveLength(1);
      // A CSRF token made under the old key still verifies.
      expect(csrfTokenValid(rotated.keyring, 'bound', csrfTokenFor(context.deps.keyring, 'bound'))).toBe(true);

      const third = await make(app, 'third');
      const row = await context.deps.db
        .selectFrom('access_codes')
        .select('key_id')
        .where('person_id', '=', third.id)
        .executeTakeFirstOrThrow();
      expect(row.key_id).toBe(rotated.keyring.current.id);
      await app.close();

      // The old key removed: its codes no longer match anything (the uniform refusal).
      const newOnly: Deps = { ...rotated, keyring: createKeyring([NEW_SECRET]) };
      const last = await buildApp(newOnly);
      const batchCode = items[0]!.code;
      expect(
        (await last.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: batchCode } })).json()
          .error.code,
      ).toBe('code_unusable');
      expect(
        (await last.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code: third.code } }))
          .statusCode,
      ).toBe(200);
      expect(second.code).not.toBe(batchCode); // the batch replaced it
      await last.close();
      await context.close();
    },
  );
});

describe('the secret file and comparisons', () => {
  it('a generated secret is written once, with mode 0600, and read back the same', () => {
    const dir = path.join(tempDir(), 'data');
    const first = loadSecrets([], dir);
    expect(first).toHaveLength(1);
    expect(first[0]!.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, 'secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecrets([], dir)).toEqual(first);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('configured secrets win and no file is written', () => {
    const dir = path.join(tempDir(), 'data');
    expect(loadSecrets([NEW_SECRET, TEST_SECRET], dir)).toEqual([NEW_SECRET, TEST_SECRET]);
    expect(fs.existsSync(path.join(dir, 'secret'))).toBe(false);
  });

  it('safeEqual compares in constant time: equal only for the same bytes, any length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('å', 'a')).toBe(false);
  });

  it('CSRF tokens are compared with safeEqual, not ===', () => {
    const source = fs.readFileSync(new URL('../../src/http/csrf.ts', import.meta.url), 'utf8');
    const validator = source.slice(
      source.indexOf('export function csrfTokenValid'),
      source.indexOf('export function isFromBrowser'),
    );
    expect(validator).toContain('safeEqual(');
    expect(validator).not.toMatch(/===\s*token|token\s*===/);
    const keyring = createKeyring([TEST_SECRET]);
    const token = csrfTokenFor(keyring, 'session-hash');
    expect(csrfTokenValid(keyring, 'session-hash', token)).toBe(true);
    expect(csrfTokenValid(keyring, 'session-hash', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBe(
      false,
    );
    expect(csrfTokenValid(keyring, 'other-session', token)).toBe(false);
    expect(csrfTokenValid(keyring, 'session-hash', ['x'])).toBe(false);
  });
});

describe('unsafe development settings', () => {
  it('unsafeSettings names a missing KEYSLIP_SECRET and a public http:// address, and nothing for a safe setup', () => {
    const unsafe = unsafeSettings(loadConfig({ KEYSLIP_BASE_URL: 'http://keyslip.example.org' }, '/tmp'));
    expect(unsafe).toHaveLength(2);
    expect(unsafe[0]).toMatch(/KEYSLIP_SECRET/);
    expect(unsafe[1]).toMatch(/KEYSLIP_BASE_URL.*not https/);
    expect(
      unsafeSettings(
        loadConfig({ KEYSLIP_SECRET: TEST_SECRET, KEYSLIP_BASE_URL: 'https://keyslip.example.org' }, '/tmp'),
      ),
    ).toEqual([]);
    // http://127.0.0.1 is local
    expect(unsafeSettings(loadConfig({ KEYSLIP_SECRET: TEST_SECRET }, '/tmp'))).toEqual([]);
  });

  /** Starts the compiled server, waits until it listens, stops it, and returns what it printed. */
  async function startServer(build: string, env: Record<string, string>): Promise<string> {
    const child = spawn(process.execPath, [path.join(build, 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', KEYSLIP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    while (!/Server listening/.test(out) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await exited;
    return out;
  }

  it('a server started with them says ATTENTION in its log, once per problem; a safe one does not', async () => {
    const build = await compiledSources();
    const dir = tempDir();
    const unsafe = await startServer(build, { KEYSLIP_DATA_DIR: dir, KEYSLIP_BASE_URL: 'http://keyslip.example.org' });
    const warnings = unsafe
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.msg.startsWith('ATTENTION'));
    expect(warnings.map((w) => w.level)).toEqual([40, 40]);
    expect(warnings[0]!.msg).toMatch(/KEYSLIP_SECRET is not set/);
    expect(warnings[1]!.msg).toMatch(/KEYSLIP_BASE_URL/);
    expect(fs.statSync(path.join(dir, 'secret')).mode & 0o777).toBe(0o600);
    // The first admin's code is printed once to the console, never into the JSON log.
    const code = /Access code:\s+([A-Z]{4}(?:-[A-Z]{4}){3})/.exec(unsafe)?.[1];
    expect(code).toBeDefined();
    for (const line of unsafe.split('\n').filter((l) => l.startsWith('{'))) expect(line).not.toContain(code!);

    const safe = await startServer(build, {
      KEYSLIP_DATA_DIR: tempDir(),
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_BASE_URL: 'https://keyslip.example.org',
    });
    expect(safe).toMatch(/Server listening/);
    expect(safe).not.toMatch(/ATTENTION/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
