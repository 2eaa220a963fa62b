// `keyslip token create | list | revoke` as an operator runs them (the built CLI, bin/keyslip),
// against the database a server uses: a token made with --expires-days works until then, is
// listed without its secret, and stops working the moment it is revoked.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DAY } from '../../src/lib/clock.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

const execute = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe.each(DIALECTS)('keyslip token commands (%s)', (dialect) => {
  let dataDir: string;
  let context: TestContext;
  let app: FastifyInstance;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-token-cli-'));
    const sqliteFile = path.join(dataDir, 'keyslip.db');
    context = await createTestContext(dialect, dialect === 'sqlite' ? { sqliteFile } : {});
    context.clock.set(Date.now()); // the CLI runs on the real clock
    app = await buildApp(context.deps);
    env = { PATH: process.env.PATH, KEYSLIP_DATA_DIR: dataDir, KEYSLIP_SECRET: TEST_SECRET };
    env.KEYSLIP_LOG_LEVEL = 'silent';
    if (dialect === 'postgres') env.KEYSLIP_DATABASE_URL = context.url;
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await context?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const keyslip = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const command = [path.join(ROOT, 'bin/keyslip'), ...args];
      const { stdout, stderr } = await execute(process.execPath, command, { env, cwd: ROOT });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const status = async (token: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: '/api/v1/people', headers: { authorization: `Bearer ${token}` } }))
      .statusCode;

  it('create --expires-days, list, revoke: the token works until revoked, and is never listed', async () => {
    const created = await keyslip('token', 'create', '--name', 'nightly', '--expires-days', '30', '--json');
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { token: string; id: string; expiresAt: string };
    expect(made.token).toMatch(/^ks_/);
    const lifetime = Date.parse(made.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(30 * DAY - 5 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(30 * DAY);
    context.clock.set(Date.now());
    expect(await status(made.token)).toBe(200);

    const plain = await keyslip('token', 'create', '--name', 'plain');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.split('\n')[0]).toMatch(/^ks_[A-Za-z0-9_-]{43}$/);

    const listed = await keyslip('token', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    type Listed = { items: { id: string; name: string; owner: { label: string }; active: boolean }[] };
    const items = (JSON.parse(listed.stdout) as Listed).items;
    expect(items.map((item) => item.name).sort()).toEqual(['nightly', 'plain']);
    expect(items.every((item) => item.owner.label === 'cli' && item.active)).toBe(true);
    expect(listed.stdout).not.toContain(made.token);
    const text = await keyslip('token', 'list');
    expect(text.stdout).toContain(made.id);
    expect(text.stdout).not.toContain(made.token);

    const revoked = await keyslip('token', 'revoke', made.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('Revoked');
    expect(await status(made.token)).toBe(401);
    const audit = await context.deps.db
      .selectFrom('audit_events')
      .select(['actor_label', 'details'])
      .where('action', '=', 'api_token.revoked')
      .execute();
    expect(audit).toEqual([{ actor_label: 'cli', details: JSON.stringify({ tokenId: made.id, name: 'nightly' }) }]);
  });

  it('create --scim makes a SCIM token: it works under /scim/v2 only, for a year unless asked', async () => {
    const created = await keyslip('token', 'create', '--scim', '--name', 'entra', '--json');
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { token: string; id: string; kind: string; expiresAt: string };
    expect(made.kind).toBe('scim');
    expect(Date.parse(made.expiresAt) - Date.now()).toBeGreaterThan(364 * DAY);
    context.clock.set(Date.now());
    const scim = await app.inject({
      method: 'GET',
      url: '/scim/v2/Users',
      headers: { authorization: `Bearer ${made.token}` },
    });
    expect(scim.statusCode).toBe(200);
    expect(await status(made.token)).toBe(401);
    const plain = await keyslip('token', 'create', '--scim', '--name', 'okta');
    expect(plain.stdout).toContain('SCIM token');
    const listed = await keyslip('token', 'list');
    expect(listed.stdout).toMatch(/"entra"\s+scim\s/);
  });

  it('refuses a lifetime outside 1..365 days and an unknown id', async () => {
    for (const days of ['0', '366', 'ten', '-1']) {
      const refused = await keyslip('token', 'create', '--name', 'x', `--expires-days=${days}`);
      expect(refused.code, days).toBe(2);
      expect(refused.stderr).toContain('--expires-days');
    }
    const unknown = await keyslip('token', 'revoke', '0190a000-0000-7000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No API token');
    expect((await keyslip('token', 'revoke')).code).toBe(2);
  });
});
