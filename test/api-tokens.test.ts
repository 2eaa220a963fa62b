// Admin API tokens (issue 9, item 5): an owner, a name, an expiry (90 days unless asked, 1 to 365),
// a last-used time written at most once a minute, and revocation. An expired or revoked token is
// nothing (401). Listing never shows a token or its hash; making and revoking are audited, never
// with the token. The admin page lists and revokes them with the page CSRF token.
import type { FastifyInstance } from 'fastify';
import { Migrator, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { openDatabase } from '../src/db/database.js';
import { dialectOf } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import * as m0001 from '../src/db/migrations/0001_initial.js';
import * as m0002 from '../src/db/migrations/0002_batch_codes_index.js';
import { LABELS } from '../src/http/labels.js';
import { loadConfig } from '../src/config.js';
import { DAY, manualClock, MINUTE } from '../src/lib/clock.js';
import { createKeyring } from '../src/lib/keyring.js';
import { sha256 } from '../src/lib/random.js';
import { createPerson } from '../src/people/people.service.js';
import { createApiToken } from '../src/sessions/api-tokens.js';
import { createSession } from '../src/sessions/session.js';
import { createTestContext, DIALECTS, freshPostgresSchema, silentLog, TEST_SECRET, type TestContext } from './helpers/deps.js';

describe.each(DIALECTS)('API tokens (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let cliToken: string;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    app = await buildApp(context.deps);
    cliToken = (await createApiToken(context.deps.db, { name: 'ops', actor: CLI_ACTOR, now: context.clock.now() })).token;
  });
  afterEach(async () => {
    await app.close();
    await context.close();
  });

  const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });
  const me = async (token: string): Promise<number> => (await app.inject({ method: 'GET', url: '/api/v1/people', headers: bearer(token) })).statusCode;

  async function personCookie(role: 'admin' | 'member', username: string): Promise<{ id: string; cookie: string }> {
    const person = await createPerson(context.deps, { name: `Person ${username}`, username, role }, CLI_ACTOR);
    const session = await createSession(context.deps.db, context.deps.config, person.id, context.clock.now(), { ip: null, userAgent: null });
    return { id: person.id, cookie: `keyslip_session=${session.token}` };
  }

  async function audits(action: string): Promise<{ actor_id: string | null; actor_label: string; details: string }[]> {
    return context.deps.db.selectFrom('audit_events').select(['actor_id', 'actor_label', 'details']).where('action', '=', action).execute();
  }

  it('a token expires after 90 days by default: it works until then, and is 401 from then on', async () => {
    const row = await context.deps.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', sha256(cliToken)).executeTakeFirstOrThrow();
    expect(row.expires_at).toBe(context.clock.now() + 90 * DAY);
    expect(row.owner_label).toBe('cli');
    context.clock.advance(90 * DAY - 1);
    expect(await me(cliToken)).toBe(200);
    context.clock.advance(1);
    expect(await me(cliToken)).toBe(401);
  });

  it('an admin makes a token with a name and expiresInDays: shown once, no-store, owned by the admin, audited without the token', async () => {
    const admin = await personCookie('admin', 'ada');
    const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: admin.cookie }, payload: { name: 'backup job', expiresInDays: 7 } });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const body = made.json();
    expect(body.token).toMatch(/^ks_[A-Za-z0-9_-]{43}$/);
    expect(body).toMatchObject({ name: 'backup job', owner: { id: admin.id, label: 'ada' }, lastUsedAt: null, revokedAt: null, active: true });
    expect(Date.parse(body.expiresAt)).toBe(context.clock.now() + 7 * DAY);

    expect(await me(body.token)).toBe(200);
    context.clock.advance(7 * DAY);
    expect(await me(body.token)).toBe(401);

    const [created] = (await audits('api_token.created')).filter((e) => JSON.parse(e.details).tokenId === body.id);
    expect(created).toMatchObject({ actor_id: admin.id, actor_label: 'ada' });
    expect(JSON.parse(created!.details)).toMatchObject({ tokenId: body.id, name: 'backup job' });
    expect(JSON.stringify(await context.deps.db.selectFrom('audit_events').selectAll().execute())).not.toContain(body.token);
  });

  it('refuses a lifetime outside 1..365 days, an empty name and unknown fields, with 400 and nothing made', async () => {
    const admin = await personCookie('admin', 'ada');
    for (const payload of [{ name: 'x', expiresInDays: 0 }, { name: 'x', expiresInDays: 366 }, { name: 'x', expiresInDays: 1.5 }, { name: '' }, { name: '   ' }, { name: 'x', owner: 'y' }, {}]) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: admin.cookie }, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
    expect(await context.deps.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(1);
  });

  it('a token cannot make another token (403), and a member cannot use the token routes', async () => {
    const byToken = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(cliToken), payload: { name: 'child' } });
    expect(byToken.statusCode).toBe(403);
    const member = await personCookie('member', 'mona');
    for (const [method, url] of [['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens'], ['DELETE', '/api/v1/tokens/0190a000-0000-7000-8000-000000000000']] as const) {
      const response = await app.inject({ method, url, headers: { cookie: member.cookie }, payload: method === 'POST' ? { name: 'm' } : undefined });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(401);
    expect(await context.deps.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(1);
  });

  it('lists id, name, owner and dates, never the token or its hash', async () => {
    context.clock.advance(MINUTE);
    await me(cliToken);
    const listed = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(cliToken) });
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0]!).sort()).toEqual(['active', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'owner', 'revokedAt']);
    expect(items[0]).toMatchObject({ name: 'ops', owner: { id: null, label: 'cli' }, lastUsedAt: new Date(context.clock.now()).toISOString(), revokedAt: null, active: true });
    expect(listed.body).not.toContain(cliToken);
    expect(listed.body).not.toContain(sha256(cliToken));
  });

  it('revoking answers 204 and the token is 401 at once; again is 204 with one audit entry; unknown is 404', async () => {
    const admin = await personCookie('admin', 'ada');
    const { token, apiToken } = await createApiToken(context.deps.db, { name: 'to revoke', actor: CLI_ACTOR, now: context.clock.now() });
    expect(await me(token)).toBe(200);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${apiToken.id}`, headers: { cookie: admin.cookie } });
    expect(revoked.statusCode).toBe(204);
    expect(await me(token)).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${apiToken.id}`, headers: bearer(cliToken) })).statusCode).toBe(204);
    const entries = await audits('api_token.revoked');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_id: admin.id, actor_label: 'ada' });
    expect(JSON.parse(entries[0]!.details)).toEqual({ tokenId: apiToken.id, name: 'to revoke' });
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(cliToken) })).json().items;
    expect(listed.find((t: { id: string }) => t.id === apiToken.id)).toMatchObject({ revokedAt: new Date(context.clock.now()).toISOString(), active: false });

    const unknown = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/0190a000-0000-7000-8000-000000000000', headers: bearer(cliToken) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it("an admin's tokens stop working when the admin is demoted or deactivated; CLI tokens do not depend on anyone", async () => {
    const make = async (username: string): Promise<{ id: string; token: string }> => {
      const admin = await personCookie('admin', username);
      const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: admin.cookie }, payload: { name: `${username}'s` } });
      expect(made.statusCode).toBe(201);
      return { id: admin.id, token: made.json().token };
    };
    const demoted = await make('dora');
    const deactivated = await make('dave');
    expect(await me(demoted.token)).toBe(200);
    expect(await me(deactivated.token)).toBe(200);
    await context.deps.db.updateTable('people').set({ role: 'member' }).where('id', '=', demoted.id).execute();
    await context.deps.db.updateTable('people').set({ status: 'deactivated' }).where('id', '=', deactivated.id).execute();
    expect(await me(demoted.token)).toBe(401);
    expect(await me(deactivated.token)).toBe(401);
    expect(await me(cliToken)).toBe(200);
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(cliToken) })).json().items as { name: string; active: boolean }[];
    expect(Object.fromEntries(listed.map((t) => [t.name, t.active]))).toEqual({ ops: true, "dora's": false, "dave's": false });
  });

  it('last use is written at most once a minute per token', async () => {
    const lastUsed = async (): Promise<number | null> =>
      (await context.deps.db.selectFrom('api_tokens').select('last_used_at').where('token_hash', '=', sha256(cliToken)).executeTakeFirstOrThrow()).last_used_at;
    const start = context.clock.now();
    await me(cliToken);
    expect(await lastUsed()).toBe(start);
    context.clock.advance(MINUTE - 1);
    await me(cliToken);
    expect(await lastUsed()).toBe(start);
    context.clock.advance(1);
    await me(cliToken);
    expect(await lastUsed()).toBe(start + MINUTE);
  });

  it('the OpenAPI document describes the token routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/tokens'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/v1/tokens/{id}'])).toContain('delete');
  });

  it('the admin page lists the tokens and revokes one with the page CSRF token (not without), in English and Swedish', async () => {
    const admin = await personCookie('admin', 'ada');
    const { token, apiToken } = await createApiToken(context.deps.db, { name: 'nightly <sync>', actor: CLI_ACTOR, now: context.clock.now() });
    const get = (lang: 'en' | 'sv') => app.inject({ method: 'GET', url: '/admin/tokens', headers: { accept: 'text/html', 'accept-language': lang, cookie: admin.cookie } });
    const page = await get('en');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<a href="/admin/tokens" aria-current="page">${LABELS.en.apiTokens}</a>`);
    expect(page.body).toContain('nightly &lt;sync&gt;');
    expect(page.body).not.toContain(token);
    expect((await get('sv')).body).toContain(`>${LABELS.sv.apiTokens}</a>`);
    expect(LABELS.sv.apiTokens).toBe('API-token');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const post = (fields: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: `/admin/tokens/${apiToken.id}/revoke`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: admin.cookie },
        payload: new URLSearchParams(fields).toString(),
      });
    expect((await post({})).statusCode).toBe(403);
    expect((await post({ _csrf: 'forged' })).statusCode).toBe(403);
    expect(await me(token)).toBe(200);
    const done = await post({ _csrf: csrf });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/admin/tokens?done=token-revoked');
    expect(await me(token)).toBe(401);
    expect(await audits('api_token.revoked')).toHaveLength(1);

    const member = await personCookie('member', 'mona');
    const refused = await app.inject({ method: 'GET', url: '/admin/tokens', headers: { accept: 'text/html', cookie: member.cookie } });
    expect(refused.statusCode).toBe(403);
  });
});

describe.each(DIALECTS)('migration 0004 (%s)', (dialect) => {
  it('a token made before the migration keeps working, owned by the CLI, until 90 days after the migration', async () => {
    const fresh = dialect === 'postgres' ? await freshPostgresSchema() : null;
    const handle = openDatabase(fresh?.url ?? 'sqlite::memory:', { poolSize: 2 });
    try {
      const db = handle.db;
      const schema = dialect === 'postgres' ? { migrationTableSchema: (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s } : {};
      const before = new Migrator({ db, provider: { getMigrations: async () => ({ '0001_initial': m0001, '0002_batch_codes_index': m0002 }) }, ...schema });
      const { error } = await before.migrateToLatest();
      expect(error).toBeUndefined();
      expect(dialectOf(db)).toBe(dialect);
      const token = 'ks_made-before-the-migration-made-before-the-migrat';
      const createdAt = Date.UTC(2025, 0, 1);
      await sql`insert into api_tokens (id, name, token_hash, created_by, created_at, last_used_at, revoked_at)
        values (${'0190a000-0000-7000-8000-000000000001'}, ${'old'}, ${sha256(token)}, ${null}, ${createdAt}, ${null}, ${null})`.execute(db);

      const startedAt = Date.now();
      await migrateToLatest(db);
      const finishedAt = Date.now();
      const row = await db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
      expect(row.owner_label).toBe('cli');
      expect(row.name).toBe('old');
      expect(row.expires_at).toBeGreaterThanOrEqual(startedAt + 90 * DAY);
      expect(row.expires_at).toBeLessThanOrEqual(finishedAt + 90 * DAY);

      const config = loadConfig({ KEYSLIP_SECRET: TEST_SECRET, KEYSLIP_DATA_DIR: '/tmp/keyslip-test-data' });
      const clock = manualClock(Date.now());
      const app = await buildApp({ config, db, clock, keyring: createKeyring(config.secrets), log: silentLog });
      try {
        const headers = { authorization: `Bearer ${token}` };
        expect((await app.inject({ method: 'GET', url: '/api/v1/people', headers })).statusCode).toBe(200);
        clock.set(row.expires_at!);
        expect((await app.inject({ method: 'GET', url: '/api/v1/people', headers })).statusCode).toBe(401);
      } finally {
        await app.close();
      }
    } finally {
      await handle.close();
      await fresh?.drop();
    }
  });
});
