// `keyslip keys rotate` reaches an instance that is already running: two Keyslip processes share
// one database (a PostgreSQL schema, or one SQLite file), the CLI rotates the keys, and once the
// re-read interval has passed (KEYSLIP_OIDC_KEY_CHECK_SECONDS, 1 s here instead of 30) the
// second instance publishes the new keys in its JWKS and signs ID tokens with the new kid.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import type { Deps } from '../../src/deps.js';
import { systemClock } from '../../src/lib/clock.js';
import { createOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { createPerson } from '../../src/people/people.service.js';
import { client as clientInfo, PASSWORD } from '../helpers/core.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../helpers/deps.js';
import { ensureBuilt, startKeyslip, type RunningKeyslip } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function jwksOf(instance: RunningKeyslip): Promise<JSONWebKeySet> {
  const response = await fetch(`${instance.url}/oidc/jwks`);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

describe.each(DIALECTS)('a key rotation reaches an instance already running (%s)', (dialect) => {
  let dataDir: string;
  let context: TestContext;
  let deps: Deps;
  let a: RunningKeyslip;
  let b: RunningKeyslip;
  let issuer: string;
  let app: { id: string; secret: string };

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-key-rotation-'));
    const [portA, portB] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${portA}`;
    context = await createTestContext(dialect, {
      env: { KEYSLIP_BASE_URL: issuer },
      ...(dialect === 'sqlite' ? { sqliteFile: path.join(dataDir, 'keyslip.db') } : {}),
    });
    deps = { ...context.deps, clock: systemClock };
    const env = { KEYSLIP_DATABASE_URL: context.url, KEYSLIP_BASE_URL: issuer, KEYSLIP_OIDC_KEY_CHECK_SECONDS: '1' };
    // One after the other: the first makes the signing keys, the second reads them.
    a = await startKeyslip({ ...env, KEYSLIP_PORT: String(portA) });
    b = await startKeyslip({ ...env, KEYSLIP_PORT: String(portB) });
    const created = await createOidcClient(
      deps,
      { name: 'Portal', redirectUris: [REDIRECT_URI], firstParty: true },
      CLI_ACTOR,
    );
    app = { id: created.client.clientId, secret: created.clientSecret! };
    const person = await createPerson(deps, { name: 'Rita Rotation', username: 'rita.rotation' }, CLI_ACTOR);
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: issued.code,
      username: 'rita.rotation',
      password: PASSWORD,
      client: clientInfo(),
    });
  }, 200_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await context?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A whole sign-in on one instance (authorize → /login → code → token); returns the ID token. */
  async function idTokenFrom(instance: RunningKeyslip): Promise<string> {
    const cookies = new Map<string, string>();
    const go = async (pathOrUrl: string, form?: Record<string, string>) => {
      const target = new URL(pathOrUrl, instance.url);
      const url = `${instance.url}${target.pathname}${target.search}`;
      const response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: issuer } : {}),
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
      for (const cookie of response.headers.getSetCookie()) {
        const match = /^([^=]+)=([^;]*)/.exec(cookie);
        if (match) cookies.set(match[1]!, match[2]!);
      }
      return { status: response.status, location: response.headers.get('location'), body: await response.text() };
    };
    const verifier = client.randomPKCECodeVerifier();
    const query = new URLSearchParams({
      client_id: app.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid profile',
      state: 'st',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    let step = await go(`/oidc/auth?${query}`);
    while (step.location && !step.location.startsWith('/login')) step = await go(step.location);
    const login = await go(step.location!);
    step = await go('/login', {
      _csrf: /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!,
      interaction: /name="interaction" value="([^"]+)"/.exec(login.body)![1]!,
      login: 'rita.rotation',
      password: PASSWORD,
    });
    for (let hops = 0; hops < 8 && step.location && !step.location.startsWith(REDIRECT_URI); hops += 1)
      step = await go(step.location);
    const code = new URL(step.location!).searchParams.get('code')!;
    const token = await fetch(`${instance.url}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);
    return ((await token.json()) as { id_token: string }).id_token;
  }

  it('publishes and signs with the keys that `keyslip keys rotate` made, on the other instance too', async () => {
    // Both instances are serving with the first keys: B has read them and signs with them.
    const before = await jwksOf(b);
    const oldKids = before.keys.map((key) => key.kid);
    expect(oldKids).toHaveLength(2);
    expect(oldKids).toContain(decodeProtectedHeader(await idTokenFrom(b)).kid);

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_LOG_LEVEL: 'silent',
      KEYSLIP_DATABASE_URL: context.url,
    };
    const rotated = await run(process.execPath, [path.join(ROOT, 'bin/keyslip'), 'keys', 'rotate', '--json'], {
      env,
      cwd: ROOT,
    });
    const newKids = (JSON.parse(rotated.stdout) as { kids: string[] }).kids;
    expect(newKids).toHaveLength(2);
    expect(newKids.some((kid) => oldKids.includes(kid))).toBe(false);

    // After the re-read interval, B's next OIDC request finds the rotation (bounded wait, no timing assertion).
    const deadline = Date.now() + 20_000;
    let jwks = await jwksOf(b);
    while (!newKids.every((kid) => jwks.keys.some((key) => key.kid === kid)) && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 250));
      jwks = await jwksOf(b);
    }
    const published = jwks.keys.map((key) => key.kid);
    // The new keys, and the retired ones still published (what they signed has not expired).
    expect(published).toEqual(expect.arrayContaining([...newKids, ...oldKids]));
    expect(published).toHaveLength(4);

    const idToken = await idTokenFrom(b);
    const { kid, alg } = decodeProtectedHeader(idToken);
    expect(alg).toBe('RS256');
    expect(newKids).toContain(kid);
    // Verifiable against either instance's JWKS: A publishes the same new key.
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(await jwksOf(a)), {
      issuer,
      audience: app.id,
    });
    expect(payload.sub).toBeTruthy();
  }, 120_000);
});
