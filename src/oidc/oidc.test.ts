// The OpenID Provider's own parts, on every database: the adapter's one-winner consume, the
// shared encrypted signing keys and their rotation, and the apps' API (hashed secrets, audit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR } from '../audit/audit.js';
import { createKeyring } from '../lib/keyring.js';
import { sha256 } from '../lib/random.js';
import { createTestContext, DIALECTS, TEST_SECRET, type TestContext } from '../../test/helpers/deps.js';
import { createTestApi } from '../../test/helpers/api.js';
import { auditRows, failAuditInserts } from '../../test/helpers/core.js';
import { kyselyAdapter } from './oidc.adapter.js';
import { openOidcHost } from './oidc.host.js';
import { sweepExpiredOidcPayloads } from './oidc-payloads.store.js';
import {
  ensureSigningKeys,
  loadSigningKeys,
  NoUsableSigningKeyError,
  rotateSigningKeys,
  RETIRED_KEY_PUBLISHED_MS,
} from './oidc-keys.js';
import { createOidcClient } from './oidc-clients.service.js';
import { deliverDueLogouts, MAX_ATTEMPTS, nextAttemptDelayMs } from './backchannel-logout.js';
import { issueAccessCode, redeemAccessCode } from '../access-codes/access-codes.service.js';
import { deactivatePerson } from '../accounts/deactivate-person.js';
import { createPerson } from '../people/people.service.js';
import { endSessionsOf } from '../sessions/sessions.service.js';
import { signOut } from '../sign-in/sign-in.service.js';
import { findPersonById } from '../people/people.store.js';
import { client as clientInfo, PASSWORD } from '../../test/helpers/core.js';

describe.each(DIALECTS)('OpenID Provider storage and apps (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let admin: { authorization: string };

  beforeAll(async () => {
    context = await createTestContext(dialect);
    ({ app, admin } = await createTestApi(context));
  });
  afterAll(async () => {
    await app.close();
    await context.close();
  });

  it('consumes a code exactly once among 20 parallel consumers, and a replay revokes the grant', async () => {
    const Adapter = kyselyAdapter(context.deps.db, context.clock);
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    await codes.upsert('code-1', { jti: 'code-1', grantId: 'grant-1', accountId: 'p1' }, 60);
    await tokens.upsert('at-1', { jti: 'at-1', grantId: 'grant-1', accountId: 'p1' }, 600);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume('code-1')));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(
      results
        .filter((result) => result.status === 'rejected')
        .map((result) => (result as PromiseRejectedResult).reason.error),
    ).toEqual(Array(19).fill('invalid_grant'));
    // The losers were replays: the grant's tokens are gone.
    expect(await tokens.find('at-1')).toBeUndefined();
  });

  it('marks a consumed payload, keeps it consumed when saved again, and hides and sweeps expired rows', async () => {
    const Adapter = kyselyAdapter(context.deps.db, context.clock);
    const refresh = new Adapter('RefreshToken');
    await refresh.upsert('rt-1', { jti: 'rt-1', grantId: 'g2' }, 3600);
    await refresh.consume('rt-1');
    await refresh.upsert('rt-1', { jti: 'rt-1', grantId: 'g2' }, 3600);
    expect((await refresh.find('rt-1'))?.consumed).toEqual(expect.any(Number));
    const sessions = new Adapter('Session');
    await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'p1' }, 60);
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'p1' });
    context.clock.advance(61_000);
    expect(await sessions.find('s-1')).toBeUndefined();
    expect(await sweepExpiredOidcPayloads(context.deps.db, context.clock.now())).toBeGreaterThanOrEqual(1);
  });

  it('stores signing keys encrypted, shares them, and keeps a retired key published for a day', async () => {
    const { db, keyring } = context.deps;
    await ensureSigningKeys(db, keyring, context.clock.now());
    await ensureSigningKeys(db, keyring, context.clock.now());
    const first = await loadSigningKeys(db, keyring, context.clock.now());
    expect(first.jwks.map((jwk) => jwk.alg).sort()).toEqual(['ES256', 'RS256']);
    const rows = await db.selectFrom('oidc_keys').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.private_jwk_encrypted).not.toContain('"d"');
      expect(row.private_jwk_encrypted).not.toContain(first.jwks.find((jwk) => jwk.kid === row.kid)!.d);
    }
    // Another instance with the same secret reads the same keys; one with another secret cannot.
    expect((await loadSigningKeys(db, createKeyring([TEST_SECRET]), context.clock.now())).fingerprint).toBe(
      first.fingerprint,
    );
    await expect(
      loadSigningKeys(db, createKeyring(['another-secret-another-secret-another-1']), context.clock.now()),
    ).rejects.toThrow(NoUsableSigningKeyError);
    // An instance started with only that other secret adds a pair it can open when it starts,
    // before any OIDC request: it signs back-channel logout notices without the provider.
    const other = createKeyring(['another-secret-another-secret-another-1']);
    await openOidcHost({ ...context.deps, keyring: other });
    expect((await loadSigningKeys(db, other, context.clock.now())).jwks).toHaveLength(2);
    await db
      .deleteFrom('oidc_keys')
      .where(
        'kid',
        'not in',
        rows.map((row) => row.kid),
      )
      .execute();

    const { kids } = await rotateSigningKeys(db, keyring, context.clock.now());
    const rotated = await loadSigningKeys(db, keyring, context.clock.now());
    expect(
      rotated.jwks
        .slice(0, 2)
        .map((jwk) => jwk.kid)
        .sort(),
    ).toEqual([...kids].sort());
    expect(rotated.jwks).toHaveLength(4);
    context.clock.advance(RETIRED_KEY_PUBLISHED_MS + 1);
    expect((await loadSigningKeys(db, keyring, context.clock.now())).jwks.map((jwk) => jwk.kid).sort()).toEqual(
      [...kids].sort(),
    );
  });

  it('registers an app over the API, shows its secret once, stores only its hash, and audits', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/oidc-clients',
      headers: admin,
      payload: {
        name: 'Grafana',
        redirectUris: ['https://grafana.example.org/login/generic_oauth'],
        syntheticEmailDomain: 'Staff.Example.org',
      },
    });
    expect(created.statusCode).toBe(201);
    const { client, clientSecret } = created.json() as {
      client: { clientId: string; syntheticEmailDomain: string };
      clientSecret: string;
    };
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.syntheticEmailDomain).toBe('staff.example.org');
    const row = await context.deps.db
      .selectFrom('oidc_clients')
      .selectAll()
      .where('client_id', '=', client.clientId)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(sha256(clientSecret));
    expect(JSON.stringify(row)).not.toContain(clientSecret);

    const read = await app.inject({ method: 'GET', url: `/api/v1/oidc-clients/${client.clientId}`, headers: admin });
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain(clientSecret);
    const list = await app.inject({ method: 'GET', url: '/api/v1/oidc-clients', headers: admin });
    expect((list.json() as { items: { clientId: string }[] }).items.map((item) => item.clientId)).toContain(
      client.clientId,
    );

    const audits = await auditRows(context.deps.db, { action: 'oidc.client_created' });
    expect(
      audits.some((audit) => audit.details.includes(client.clientId) && !audit.details.includes(clientSecret)),
    ).toBe(true);

    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/oidc-clients/${client.clientId}`, headers: admin }))
        .statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/oidc-clients/${client.clientId}`, headers: admin })).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/oidc-clients/${client.clientId}`, headers: admin }))
        .statusCode,
    ).toBe(404);
    expect(await auditRows(context.deps.db, { action: 'oidc.client_deleted' })).toHaveLength(1);
  });

  it('refuses bad apps with a 400 naming the field, and callers who are not admins', async () => {
    const bad = [
      { name: 'A', redirectUris: ['https://app.example.org/cb#frag'] },
      { name: 'A', redirectUris: ['http://app.example.org/cb'] },
      { name: 'A', redirectUris: ['com.example.app:/cb'] },
      { name: 'A', redirectUris: ['javascript:alert(1)'], public: true },
      { name: 'A', redirectUris: ['https://app.example.org/cb'], syntheticEmailDomain: 'not a domain' },
      { name: 'A', redirectUris: [] },
    ];
    for (const payload of bad) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/oidc-clients', headers: admin, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
    const native = await app.inject({
      method: 'POST',
      url: '/api/v1/oidc-clients',
      headers: admin,
      payload: { name: 'Mobile', redirectUris: ['com.example.app:/cb'], public: true },
    });
    expect(native.statusCode).toBe(201);
    expect(native.json()).toMatchObject({ clientSecret: null, client: { public: true } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/oidc-clients' })).statusCode).toBe(401);
  });

  it('writes no app when its audit entry fails (one transaction)', async () => {
    const restore = await failAuditInserts(context, 'oidc.client_created');
    try {
      await expect(
        createOidcClient(context.deps, { name: 'Atomic', redirectUris: ['https://atomic.example.org/cb'] }, CLI_ACTOR),
      ).rejects.toThrow();
    } finally {
      await restore();
    }
    expect(
      await context.deps.db.selectFrom('oidc_clients').selectAll().where('name', '=', 'Atomic').execute(),
    ).toHaveLength(0);
  });

  describe('ending everything of a person reaches the apps', () => {
    let appId: string;
    let counter = 0;

    beforeAll(async () => {
      const created = await createOidcClient(
        context.deps,
        {
          name: 'Notified',
          redirectUris: ['https://notified.example.org/cb'],
          backchannelLogoutUri: 'https://notified.example.org/bcl',
        },
        CLI_ACTOR,
      );
      appId = created.client.clientId;
    });

    /** An active person signed in to the app (the provider's session and grant, as oidc-provider saves them). */
    async function signedInToApp(): Promise<string> {
      counter += 1;
      const person = await createPerson(
        context.deps,
        { name: `Notified ${counter}`, username: `notified.${counter}` },
        CLI_ACTOR,
      );
      const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
      await redeemAccessCode(context.deps, {
        code: issued.code,
        username: `notified.${counter}`,
        password: PASSWORD,
        client: clientInfo(),
      });
      const Adapter = kyselyAdapter(context.deps.db, context.clock);
      await new Adapter('Session').upsert(
        `s-${person.id}`,
        {
          uid: `u-${person.id}`,
          accountId: person.id,
          authorizations: { [appId]: { sid: `sid-${person.id}`, grantId: `g-${person.id}` } },
        },
        3600,
      );
      await new Adapter('Grant').upsert(`g-${person.id}`, { accountId: person.id, clientId: appId }, 3600);
      await new Adapter('RefreshToken').upsert(
        `rt-${person.id}`,
        { accountId: person.id, clientId: appId, grantId: `g-${person.id}` },
        3600,
      );
      await context.deps.db.deleteFrom('oidc_logout_outbox').execute();
      return person.id;
    }

    async function queuedFor(personId: string) {
      return context.deps.db.selectFrom('oidc_logout_outbox').selectAll().where('person_id', '=', personId).execute();
    }
    async function providerRowsOf(personId: string): Promise<number> {
      return (
        await context.deps.db.selectFrom('oidc_payloads').select('id').where('account_id', '=', personId).execute()
      ).length;
    }

    const triggers: [string, (personId: string) => Promise<unknown>][] = [
      [
        'sign out everywhere',
        async (id) =>
          signOut(context.deps, {
            idHash: 'none',
            person: (await findPersonById(context.deps.db, id))!,
            everywhere: true,
          }),
      ],
      ['an admin ending the sessions', (id) => endSessionsOf(context.deps, id, CLI_ACTOR)],
      ['deactivation', (id) => deactivatePerson(context.deps, id, CLI_ACTOR)],
      [
        'recovery with an access code',
        async (id) => {
          const issued = await issueAccessCode(context.deps, { personId: id, actor: CLI_ACTOR });
          const username = (await findPersonById(context.deps.db, id))!.username!;
          return redeemAccessCode(context.deps, {
            code: issued.code,
            username,
            password: 'another long password here',
            client: clientInfo(),
          });
        },
      ],
    ];

    it.each(triggers)(
      '%s ends the app sessions and tokens and queues one logout_token with the sid',
      async (_name, trigger) => {
        const personId = await signedInToApp();
        expect(await providerRowsOf(personId)).toBe(3);
        await trigger(personId);
        expect(await providerRowsOf(personId)).toBe(0);
        const queued = await queuedFor(personId);
        expect(queued).toHaveLength(1);
        expect(queued[0]).toMatchObject({
          client_id: appId,
          sid: `sid-${personId}`,
          uri: 'https://notified.example.org/bcl',
          delivered_at: null,
        });
      },
    );

    it('queues nothing when the ending fails (same transaction as the audit entry)', async () => {
      const personId = await signedInToApp();
      const restore = await failAuditInserts(context, 'sessions.ended');
      try {
        await expect(endSessionsOf(context.deps, personId, CLI_ACTOR)).rejects.toThrow();
      } finally {
        await restore();
      }
      expect(await queuedFor(personId)).toHaveLength(0);
      expect(await providerRowsOf(personId)).toBe(3);
    });

    it('retries a failed delivery with backoff, and gives up (audited) after MAX_ATTEMPTS', async () => {
      const personId = await signedInToApp();
      await endSessionsOf(context.deps, personId, CLI_ACTOR);
      const statuses: number[] = [];
      const failing = async (): Promise<number> => {
        statuses.push(503);
        return 503;
      };
      expect(await deliverDueLogouts(context.deps, { post: failing })).toBe(0);
      let [row] = await queuedFor(personId);
      expect(row).toMatchObject({ attempts: 1, last_problem: 'HTTP 503' });
      expect(row!.next_attempt_at).toBe(context.clock.now() + nextAttemptDelayMs(1));
      // Not due yet: nothing is sent.
      await deliverDueLogouts(context.deps, { post: failing });
      expect(statuses).toHaveLength(1);
      for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt += 1) {
        context.clock.advance(nextAttemptDelayMs(attempt - 1));
        await deliverDueLogouts(context.deps, { post: failing });
      }
      expect(statuses).toHaveLength(MAX_ATTEMPTS);
      [row] = await queuedFor(personId);
      expect(row!.gave_up_at).not.toBeNull();
      expect(await auditRows(context.deps.db, { action: 'oidc.logout_failed', personId })).toHaveLength(1);
      context.clock.advance(2 * 60 * 60 * 1000);
      await deliverDueLogouts(context.deps, { post: failing });
      expect(statuses).toHaveLength(MAX_ATTEMPTS);
    });

    it('delivers after a failure once the backoff has passed, and only once across parallel workers', async () => {
      const personId = await signedInToApp();
      await endSessionsOf(context.deps, personId, CLI_ACTOR);
      await deliverDueLogouts(context.deps, { post: async () => 500 });
      context.clock.advance(nextAttemptDelayMs(1));
      const sent: string[] = [];
      const ok = async (_uri: string, body: URLSearchParams): Promise<number> => {
        sent.push(body.get('logout_token')!);
        return 204;
      };
      const delivered = await Promise.all([
        deliverDueLogouts(context.deps, { post: ok }),
        deliverDueLogouts(context.deps, { post: ok }),
      ]);
      expect(delivered.reduce((a, b) => a + b, 0)).toBe(1);
      expect(sent).toHaveLength(1);
      expect((await queuedFor(personId))[0]!.delivered_at).not.toBeNull();
      expect(await auditRows(context.deps.db, { action: 'oidc.logout_sent', personId })).toHaveLength(1);
    });
  });

  it('rate-limits failed client authentications per address, like failed sign-ins', async () => {
    const limited = await createTestContext(dialect, { env: { KEYSLIP_RATE_SIGNIN_FAILURES: '3' } });
    const limitedApp = (await createTestApi(limited)).app;
    try {
      const { client } = await createOidcClient(
        limited.deps,
        { name: 'Guessed', redirectUris: ['https://guessed.example.org/cb'] },
        CLI_ACTOR,
      );
      const attempt = (secret: string) =>
        limitedApp.inject({
          method: 'POST',
          url: '/oidc/token',
          remoteAddress: '198.51.100.7',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
          },
          payload: 'grant_type=refresh_token&refresh_token=x',
        });
      for (let i = 0; i < 3; i += 1) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401);
      // The failures are counted as oidc-provider reports them: wait until all three are in.
      for (let i = 0; i < 100; i += 1) {
        const row = await limited.deps.db
          .selectFrom('rate_limits')
          .select('count')
          .where('key', 'like', 'oidc_client_auth:%')
          .executeTakeFirst();
        if ((row?.count ?? 0) >= 3) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const refused = await attempt('wrong-again');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.json()).toMatchObject({ error: 'invalid_request' });
    } finally {
      await limitedApp.close();
      await limited.close();
    }
  });
});
