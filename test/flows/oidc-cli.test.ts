// `keyslip clients …` and `keyslip keys rotate` as an admin runs them, against the database a
// Keyslip instance uses: the secret is printed once, the app works at once, a rotation is published.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { sha256 } from '../../src/lib/random.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe.each(DIALECTS)('keyslip clients and keys on the command line (%s)', (dialect) => {
  let dataDir: string;
  let context: TestContext;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-oidc-cli-'));
    context = await createTestContext(
      dialect,
      dialect === 'sqlite' ? { sqliteFile: path.join(dataDir, 'keyslip.db') } : {},
    );
    context.clock.set(Date.now());
    env = {
      PATH: process.env.PATH,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_LOG_LEVEL: 'silent',
    };
    if (dialect === 'postgres') env.KEYSLIP_DATABASE_URL = context.url;
  }, 200_000);
  afterAll(async () => {
    await context?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const keyslip = (...args: string[]) =>
    run(process.execPath, [path.join(ROOT, 'bin/keyslip'), ...args], { env, cwd: ROOT });

  it('creates an app, prints its secret once (stored hashed), lists it and deletes it', async () => {
    const created = await keyslip(
      'clients',
      'create',
      '--name',
      'Nextcloud',
      '--redirect-uri',
      'https://cloud.example.org/apps/user_oidc/code',
      '--redirect-uri',
      'https://cloud.example.org/alt',
      '--backchannel-logout-uri',
      'https://cloud.example.org/apps/user_oidc/backchannel-logout/keyslip',
      '--json',
    );
    const { clientId, clientSecret, client } = JSON.parse(created.stdout) as {
      clientId: string;
      clientSecret: string;
      client: { redirectUris: string[] };
    };
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Hex, so that no id starts with '-' and reads as an option on the command line.
    expect(clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.redirectUris).toHaveLength(2);
    const row = await context.deps.db
      .selectFrom('oidc_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(sha256(clientSecret));

    const plain = await keyslip(
      'clients',
      'create',
      '--name',
      'Phone app',
      '--redirect-uri',
      'org.example.phone:/cb',
      '--public',
    );
    expect(plain.stdout).toMatch(/client_id: +\S+/);
    expect(plain.stdout).not.toMatch(/client_secret/);

    const list = JSON.parse((await keyslip('clients', 'list', '--json')).stdout) as {
      items: { clientId: string; name: string }[];
    };
    expect(list.items.map((item) => item.name).sort()).toEqual(['Nextcloud', 'Phone app']);
    expect(JSON.stringify(list)).not.toContain(clientSecret);

    await keyslip('clients', 'delete', clientId);
    const after = JSON.parse((await keyslip('clients', 'list', '--json')).stdout) as { items: { clientId: string }[] };
    expect(after.items.map((item) => item.clientId)).not.toContain(clientId);
    await expect(keyslip('clients', 'delete', clientId)).rejects.toMatchObject({ code: 1 });
    await expect(
      keyslip('clients', 'create', '--name', 'X', '--redirect-uri', 'http://example.org/cb'),
    ).rejects.toMatchObject({ code: 1 });
    await expect(keyslip('clients', 'create', '--name', 'X')).rejects.toMatchObject({ code: 2 });
  });

  it('deletes an app whose id starts with - (ids were base64url before) when it comes after --', async () => {
    const created = await keyslip(
      'clients',
      'create',
      '--name',
      'Old app',
      '--redirect-uri',
      'org.example.old:/cb',
      '--public',
    );
    const newId = /client_id: +(\S+)/.exec(created.stdout)![1]!;
    const oldId = '-zA_l57yi463A2dPPYLn-A';
    await context.deps.db
      .updateTable('oidc_clients')
      .set({ client_id: oldId })
      .where('client_id', '=', newId)
      .execute();

    const refused = keyslip('clients', 'delete', oldId);
    await expect(refused).rejects.toMatchObject({ code: 2 });
    const { stderr } = (await refused.catch((error: unknown) => error)) as { stderr: string };
    expect(stderr).toContain(`If ${oldId} is the CLIENT_ID, put -- before it: keyslip clients delete -- ${oldId}`);

    expect((await keyslip('clients', 'delete', '--', oldId)).stdout).toBe(`Deleted app ${oldId}.\n`);
    const after = JSON.parse((await keyslip('clients', 'list', '--json')).stdout) as { items: { clientId: string }[] };
    expect(after.items.map((item) => item.clientId)).not.toContain(oldId);
  });

  it(
    'rotates the signing keys: an instance started afterwards ' + 'signs with the new key and still publishes the old',
    async () => {
      let app: FastifyInstance = await buildApp(context.deps);
      const before = (await app.inject({ method: 'GET', url: '/oidc/jwks' })).json() as { keys: { kid: string }[] };
      await app.close();
      const { kids } = JSON.parse((await keyslip('keys', 'rotate', '--json')).stdout) as { kids: string[] };
      app = await buildApp(context.deps);
      const after = (await app.inject({ method: 'GET', url: '/oidc/jwks' })).json() as { keys: { kid: string }[] };
      await app.close();
      expect(after.keys.map((key) => key.kid)).toEqual(
        expect.arrayContaining([...kids, ...before.keys.map((key) => key.kid)]),
      );
      expect(
        after.keys
          .slice(0, 2)
          .map((key) => key.kid)
          .sort(),
      ).toEqual([...kids].sort());
    },
  );
});
