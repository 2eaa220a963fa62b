// Two Keyslip processes over one PostgreSQL schema, as behind a load balancer, acting as one
// OpenID Provider: they start at once and agree on one set of signing keys, and a sign-in started
// on one instance finishes on the other (nothing of a flow lives in an instance's memory).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import type { Deps } from '../../src/deps.js';
import { systemClock } from '../../src/lib/clock.js';
import { createKeyring } from '../../src/lib/keyring.js';
import { createOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { createPerson } from '../../src/people/people.service.js';
import { client as clientInfo, PASSWORD } from '../helpers/core.js';
import { DIALECTS, freshPostgresSchema, silentLog, TEST_SECRET } from '../helpers/deps.js';
import { startKeyslip, type RunningKeyslip } from '../helpers/server.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!DIALECTS.includes('postgres'))('two instances as one OpenID Provider (postgres)', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let handle: DatabaseHandle;
  let a: RunningKeyslip;
  let b: RunningKeyslip;
  let issuer: string;
  let deps: Deps;

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const [portA, portB] = [await freePort(), await freePort()];
    // One issuer for both, as behind a load balancer; the test talks to each instance directly.
    issuer = `http://127.0.0.1:${portA}`;
    const env = { KEYSLIP_DATABASE_URL: schema.url, KEYSLIP_BASE_URL: issuer };
    [a, b] = await Promise.all([
      startKeyslip({ ...env, KEYSLIP_PORT: String(portA) }),
      startKeyslip({ ...env, KEYSLIP_PORT: String(portB) }),
    ]);
    handle = openDatabase(schema.url, { poolSize: 2 });
    const config = loadConfig({
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_BASE_URL: issuer,
      KEYSLIP_DATA_DIR: '/tmp/keyslip-test-data',
    });
    deps = { config, db: handle.db, clock: systemClock, keyring: createKeyring(config.secrets), log: silentLog };
  }, 200_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await handle?.close();
    await schema?.drop();
  });

  it('publishes the same keys on both instances (one pair generated, though both started at once)', async () => {
    const [jwksA, jwksB] = await Promise.all(
      [a, b].map(async (instance) => (await fetch(`${instance.url}/oidc/jwks`)).json()),
    );
    expect(jwksA).toEqual(jwksB);
    expect((jwksA as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it('finishes on instance B a sign-in started on instance A', async () => {
    const { client: app, clientSecret } = await createOidcClient(
      deps,
      { name: 'Portal', redirectUris: [REDIRECT_URI], firstParty: true },
      CLI_ACTOR,
    );
    const person = await createPerson(deps, { name: 'Two Instances', username: 'two.instances' }, CLI_ACTOR);
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: issued.code,
      username: 'two.instances',
      password: PASSWORD,
      client: clientInfo(),
    });

    const cookies = new Map<string, string>();
    const go = async (url: string, form?: Record<string, string>) => {
      const response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin } : {}),
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
      for (const cookie of response.headers.getSetCookie()) {
        const match = /^([^=]+)=([^;]*)/.exec(cookie);
        if (match) cookies.set(match[1]!, match[2]!);
      }
      return { status: response.status, location: response.headers.get('location'), body: await response.text() };
    };
    const on = (instance: RunningKeyslip, pathOrUrl: string): string => {
      const path = pathOrUrl.startsWith('http') ? new URL(pathOrUrl).pathname + new URL(pathOrUrl).search : pathOrUrl;
      return `${instance.url}${path}`;
    };

    const verifier = client.randomPKCECodeVerifier();
    const query = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid profile',
      state: 'st',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    // A: the authorization request; it sends the browser to the interaction.
    const authorize = await go(`${a.url}/oidc/auth?${query}`);
    expect(authorize.status).toBe(303);
    // B: the interaction sends to /login; B shows it; the form is posted to A; B resumes.
    const interaction = await go(on(b, authorize.location!));
    expect(interaction.location).toMatch(/^\/login\?interaction=/);
    const login = await go(on(b, interaction.location!));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
    const uid = /name="interaction" value="([^"]+)"/.exec(login.body)![1]!;
    const signedIn = await go(`${a.url}/login`, {
      _csrf: csrf,
      interaction: uid,
      login: 'two.instances',
      password: PASSWORD,
    });
    expect(signedIn.location).toBe(`/oidc/interaction/${uid}`);
    let next = await go(on(b, signedIn.location!));
    for (let hops = 0; hops < 6 && next.location && !next.location.startsWith(REDIRECT_URI); hops += 1) {
      next = await go(on(hops % 2 === 0 ? a : b, next.location));
    }
    const callback = new URL(next.location!);
    expect(callback.searchParams.get('state')).toBe('st');
    const code = callback.searchParams.get('code')!;

    // B: the code exchange.
    const token = await fetch(`${b.url}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);
    const tokens = (await token.json()) as { id_token: string; access_token: string };
    // Signed by B, verified against A's JWKS.
    const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(`${a.url}/oidc/jwks`)), {
      issuer,
      audience: app.clientId,
    });
    expect(payload.sub).toBe(person.id);
    // A: userinfo with the token B issued.
    const info = await fetch(`${a.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ sub: person.id, preferred_username: 'two.instances' });
  });
});
