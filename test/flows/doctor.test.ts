// `keyslip doctor` against a healthy set-up and against each broken one: every ✗ names the
// problem and its fix, and the exit code is 1 exactly when something would break users.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.js';
import { openDatabase } from '../../src/db/database.js';
import { runCli } from '../helpers/cli.js';
import { DIALECTS, freshPostgresSchema, TEST_SECRET } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

interface Checked {
  ok: boolean;
  checks: { name: string; status: 'ok' | 'warn' | 'fail' | 'skip'; message: string; fix?: string }[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  await ensureBuilt();
}, 240_000);

/** A migrated SQLite set-up of its own. */
async function sqliteSetUp(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-doctor-'));
  dirs.push(dataDir);
  const env = {
    PATH: process.env.PATH,
    KEYSLIP_DATA_DIR: dataDir,
    KEYSLIP_SECRET: TEST_SECRET,
    KEYSLIP_LOG_LEVEL: 'silent',
    ...extra,
  };
  const migrated = await runCli(['migrate', '--quiet'], env);
  expect(migrated.code, migrated.stderr).toBe(0);
  return env;
}

async function doctor(env: NodeJS.ProcessEnv): Promise<{ code: number | null; text: string; json: Checked }> {
  const text = await runCli(['doctor'], env);
  const json = await runCli(['doctor', '--json'], env);
  expect(json.code, `${text.stdout}\n${json.stdout}`).toBe(text.code);
  return { code: text.code, text: text.stdout, json: JSON.parse(json.stdout) as Checked };
}

const failed = (json: Checked): string[] => json.checks.filter((c) => c.status === 'fail').map((c) => c.name);

async function onDatabase(
  env: NodeJS.ProcessEnv,
  work: (db: ReturnType<typeof openDatabase>['db']) => Promise<unknown>,
): Promise<void> {
  const handle = openDatabase(env.KEYSLIP_DATABASE_URL ?? `sqlite:${path.join(env.KEYSLIP_DATA_DIR!, 'keyslip.db')}`);
  try {
    await work(handle.db);
  } finally {
    await handle.close();
  }
}

describe('keyslip doctor (sqlite)', () => {
  it('a healthy set-up: every check ✓ (or skipped), exit 0', async () => {
    const env = await sqliteSetUp();
    const result = await doctor(env);
    expect(result.code, result.text).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(failed(result.json)).toEqual([]);
    expect(result.text).toMatch(/^✓ Configuration: /m);
    expect(result.text).toMatch(/^✓ Database: reachable \(sqlite/m);
    expect(result.text).toMatch(/^✓ Migrations: current/m);
    expect(result.text).toMatch(/^✓ PDF fonts: /m);
    // OpenID Connect comes from another migration: without its table the check is skipped, not failed.
    expect(result.text).toMatch(/^– OIDC signing keys: none yet/m);
    expect(result.text).toContain('No problem found.');
    expect(result.text).not.toContain(TEST_SECRET);
  });

  it('a bad configuration: every problem at once, each a ✗ with its fix', async () => {
    const env = await sqliteSetUp();
    const result = await doctor({
      ...env,
      KEYSLIP_PORT: 'eighty',
      KEYSLIP_LOG_LEVEL: 'loud',
      KEYSLIP_SECRET: 'tiny-secret-value',
    });
    expect(result.code).toBe(1);
    const problems = result.json.checks.filter((c) => c.name === 'Configuration' && c.status === 'fail');
    expect(problems.map((p) => p.message).join('\n')).toMatch(
      /KEYSLIP_PORT[\s\S]*KEYSLIP_SECRET[\s\S]*KEYSLIP_LOG_LEVEL/,
    );
    expect(problems).toHaveLength(3);
    expect(result.text).toMatch(/^✗ Configuration: KEYSLIP_PORT must be a whole number/m);
    expect(result.text).toContain('    fix: ');
    expect(result.text).not.toContain('tiny-secret-value');
  });

  it('an unreachable database URL: ✗ Database, exit 1', async () => {
    const env = await sqliteSetUp();
    const result = await doctor({
      ...env,
      KEYSLIP_DATABASE_URL: 'postgres://keyslip:hunter2-password@127.0.0.1:1/keyslip',
    });
    expect(result.code).toBe(1);
    expect(failed(result.json)).toEqual(['Database']);
    expect(result.text).toMatch(/^✗ Database: cannot reach postgres:\/\/keyslip:\*\*\*@127\.0\.0\.1:1\/keyslip/m);
    expect(result.text).not.toContain('hunter2');
  });

  it('a generated secret file readable by others (0644): ✗ Secret, fix chmod 600', async () => {
    const env = await sqliteSetUp({ KEYSLIP_SECRET: '' });
    const file = path.join(env.KEYSLIP_DATA_DIR!, 'secret');
    fs.writeFileSync(file, `${'s'.repeat(64)}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const result = await doctor(env);
    expect(result.code).toBe(1);
    expect(failed(result.json)).toEqual(['Secret']);
    expect(result.text).toContain(
      `✗ Secret: ${file} can be read by other users (mode 0644)\n    fix: chmod 600 ${file}`,
    );
    expect(result.text).not.toContain('s'.repeat(32));
    fs.chmodSync(file, 0o600);
    expect((await doctor(env)).code).toBe(0);
  });

  it('a database file readable by others: ✗ Database file (and doctor does not quietly fix it)', async () => {
    const env = await sqliteSetUp();
    const file = path.join(env.KEYSLIP_DATA_DIR!, 'keyslip.db');
    fs.chmodSync(file, 0o644);
    const result = await doctor(env);
    expect(result.code).toBe(1);
    expect(failed(result.json)).toEqual(['Database file']);
    expect(result.text).toContain(`fix: chmod 600 ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  });

  it('no database yet, or migrations missing: ✗ with keyslip migrate as the fix', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-doctor-'));
    dirs.push(dataDir);
    const none = await doctor({ PATH: process.env.PATH, KEYSLIP_DATA_DIR: dataDir, KEYSLIP_SECRET: TEST_SECRET });
    expect(none.code).toBe(1);
    expect(failed(none.json)).toEqual(['Database']);
    expect(fs.existsSync(path.join(dataDir, 'keyslip.db'))).toBe(false); // doctor creates nothing

    const env = await sqliteSetUp();
    await onDatabase(env, (db) => sql`delete from kysely_migration where name = '0003_api_tokens'`.execute(db));
    const result = await doctor(env);
    expect(result.code).toBe(1);
    expect(failed(result.json)).toEqual(['Migrations']);
    expect(result.text).toContain('✗ Migrations: 1 not applied: 0003_api_tokens\n    fix: keyslip migrate');
  });

  it('an http base URL in production: ✗ Base URL', async () => {
    const env = await sqliteSetUp();
    const public_ = await doctor({ ...env, KEYSLIP_BASE_URL: 'http://keys.example.org' });
    expect(public_.code).toBe(1);
    expect(failed(public_.json)).toEqual(['Base URL']);
    expect(public_.text).toContain('✗ Base URL: http://keys.example.org is not https');
    const production = await doctor({ ...env, NODE_ENV: 'production' });
    expect(production.code).toBe(1);
    expect(production.text).toContain('NODE_ENV is production');
  });

  it('names no font can draw, or a fallback font that does not exist: ✗ PDF fonts', async () => {
    const env = await sqliteSetUp();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    fs.writeFileSync(csv, 'name,username\nアベベ ビキラ,abebe\nAda Lovelace,ada\n');
    expect((await runCli(['people', 'import', csv, '--quiet'], env)).code).toBe(0);
    const missing = await doctor({ ...env, KEYSLIP_PDF_FALLBACK_FONT: '/nowhere/NotoSansJP-Regular.otf' });
    expect(missing.code).toBe(1);
    expect(failed(missing.json)).toEqual(['PDF fonts']);
    expect(missing.text).toContain(
      'KEYSLIP_PDF_FALLBACK_FONT names /nowhere/NotoSansJP-Regular.otf, which does not exist',
    );
    // Which script the directory needs is named, whether or not this machine has a font for it.
    const check = (await doctor(env)).json.checks.find((c) => c.name === 'PDF fonts')!;
    expect(check.message).toContain('1 name(s) need characters DejaVu lacks (Katakana)');
  });

  it('OIDC signing keys: none before the first start (not a fault), counted once made', async () => {
    const env = await sqliteSetUp();
    const empty = await doctor(env);
    expect(empty.code, empty.text).toBe(0);
    expect(empty.text).toContain('– OIDC signing keys: none yet');
    await runCli(['keys', 'rotate'], env);
    expect((await doctor(env)).text).toContain('✓ OIDC signing keys: 2 key(s)');
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('keyslip doctor (postgres)', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    schema = await freshPostgresSchema();
    env = await sqliteSetUp({ KEYSLIP_DATABASE_URL: schema.url });
  }, 60_000);
  afterAll(async () => {
    await schema?.drop();
  });

  it('healthy: PostgreSQL version, pg_trgm and clock checked, exit 0', async () => {
    const result = await doctor(env);
    expect(result.code, result.text).toBe(0);
    expect(result.text).toMatch(/^✓ PostgreSQL version: \d+\.\d+/m);
    expect(result.text).toMatch(/^✓ pg_trgm: installed/m);
    expect(result.text).toMatch(/^✓ Clock: within 2 s of the database's/m);
  });

  it("a clock far from the database's: ✗ Clock with the NTP fix", async () => {
    const checks = await runDoctor({ env, now: () => Date.now() - 5 * 60_000 });
    const clock = checks.find((c) => c.name === 'Clock')!;
    expect(clock.status).toBe('fail');
    expect(clock.message).toMatch(/differ by 300\.\d s/);
    expect(clock.fix).toContain('NTP');
  });
});
