// Admin API tokens (issue 9, item 5): an owner, a name, an expiry (90 days unless asked, 1 to 365),
// a last-used time written at most once a minute, and revocation. An expired or revoked token is
// nothing (401). Listing never shows a token or its hash; making and revoking are audited, never
// with the token. The admin page lists and revokes them with the page CSRF token.
import type { FastifyInstance } from 'fastify';
import { Migrator, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import * as m0001 from '../src/db/migrations/0001_initial.js';
import * as m0002 from '../src/db/migrations/0002_batch_codes_index.js';
import { LABELS } from '../src/http/labels.js';
import { DAY, manualClock, MINUTE } from '../src/lib/clock.js';
import { createKeyring } from '../src/lib/keyring.js';
import { sha256 } from '../src/lib/random.js';
import { createPerson } from '../src/people/people.service.js';
import { createApiToken } from '../src/sessions/api-tokens.js';
import { createSession } from '../src/sessions/session.js';
import { createTestContext, DIALECTS, freshPostgresSchema, silentLog, TEST_SECRET } from './helpers/deps.js';
import type { TestContext } from './helpers/deps.js';

const UNKNOWN_ID = '0190a000-0000-7000-8000-000000000000';

describe.each(DIALECTS)('API tokens (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let cliToken: string;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    app = await buildApp(context.deps);
    const made = await createApiToken(context.deps.db, { name: 'ops', actor: CLI_ACTOR, now: context.clock.now() });
    cliToken = made.token;
  });
  afterEach(async () => {
    await app.close();
    await context.close();
  });

  const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });
  /** The status of an admin API call made with this token. */
  const statusWith = async (token: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: '/api/v1/people', headers: bearer(token) })).statusCode;
  const listTokens = async (): Promise<Record<string, unknown>[]> =>
    (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(cliToken) })).json().items;

  async function personCookie(role: 'admin' | 'member', username: string): Promise<{ id: string; cookie: string }> {
    const person = await createPerson(context.deps, { name: `Person ${username}`, username, role }, CLI_ACTOR);
    const meta = { ip: null, userAgent: null };
    const session = await createSession(context.deps.db, context.deps.config, person.id, context.clock.now(), meta);
    return { id: person.id, cookie: `keyslip_session=${session.token}` };
  }

  async function makeAsAdmin(cookie: string, payload: Record<string, unknown>) {
    return app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie }, payload });
  }

  async function audits(action: string): Promise<{ actor_id: string | null; actor_label: string; details: string }[]> {
    const query = context.deps.db.selectFrom('audit_events').select(['actor_id', 'actor_label', 'details']);
    return query.where('action', '=', action).execute();
  }

  it('a token expires after 90 days by default: it works until then, and is 401 from then on', async () => {
    const row = await context.deps.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', sha256(cliToken))
      .executeTakeFirstOrThrow();
    expect(row.expires_at).toBe(context.clock.now() + 90 * DAY);
    expect(row.owner_label).toBe('cli');
    context.clock.advance(90 * DAY - 1);
    expect(await statusWith(cliToken)).toBe(200);
    context.clock.advance(1);
    expect(await statusWith(cliToken)).toBe(401);
  });

  it('an admin makes a token with a name and lifetime: shown once, no-store, owned, audited without it', async () => {
    const admin = await personCookie('admin', 'ada');
    const made = await makeAsAdmin(admin.cookie, { name: 'backup job', expiresInDays: 7 });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const body = made.json();
    expect(body.token).toMatch(/^ks_[A-Za-z0-9_-]{43}$/);
    const owner = { id: admin.id, label: 'ada' };
    expect(body).toMatchObject({ name: 'backup job', owner, lastUsedAt: null, revokedAt: null, active: true });
    expect(Date.parse(body.expiresAt)).toBe(context.clock.now() + 7 * DAY);

    expect(await statusWith(body.token)).toBe(200);
    context.clock.advance(7 * DAY);
    expect(await statusWith(body.token)).toBe(401);

    const [created] = (await audits('api_token.created')).filter((e) => JSON.parse(e.details).tokenId === body.id);
    expect(created).toMatchObject({ actor_id: admin.id, actor_label: 'ada' });
    expect(JSON.parse(created!.details)).toMatchObject({ tokenId: body.id, name: 'backup job' });
    const everything = await context.deps.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(everything)).not.toContain(body.token);
  });

  it('refuses a lifetime outside 1..365 days, an empty name and unknown fields: 400, nothing made', async () => {
    const admin = await personCookie('admin', 'ada');
    const payloads = [
      { name: 'x', expiresInDays: 0 },
      { name: 'x', expiresInDays: 366 },
      { name: 'x', expiresInDays: 1.5 },
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { name: 'x', owner: 'y' },
      {},
    ];
    for (const payload of payloads) {
      const response = await makeAsAdmin(admin.cookie, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
    expect(await context.deps.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(1);
  });

  it('a token cannot make another token (403), and a member cannot use the token routes', async () => {
    const payload = { name: 'child' };
    const byToken = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(cliToken), payload });
    expect(byToken.statusCode).toBe(403);
    const member = await personCookie('member', 'mona');
    const calls = [
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/tokens'],
      ['DELETE', `/api/v1/tokens/${UNKNOWN_ID}`],
    ] as const;
    for (const [method, url] of calls) {
      const payload = method === 'POST' ? { name: 'm' } : undefined;
      const response = await app.inject({ method, url, headers: { cookie: member.cookie }, payload });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(401);
    expect(await context.deps.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(1);
  });

  it('lists id, name, owner and dates, never the token or its hash', async () => {
    context.clock.advance(MINUTE);
    await statusWith(cliToken);
    const listed = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(cliToken) });
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    const fields = ['active', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'owner', 'revokedAt'];
    expect(Object.keys(items[0]!).sort()).toEqual(fields);
    const lastUsedAt = new Date(context.clock.now()).toISOString();
    const owner = { id: null, label: 'cli' };
    expect(items[0]).toMatchObject({ name: 'ops', owner, lastUsedAt, revokedAt: null, active: true });
    expect(listed.body).not.toContain(cliToken);
    expect(listed.body).not.toContain(sha256(cliToken));
  });

  it('revoking answers 204 and the token is 401 at once; again is 204, one audit entry; unknown is 404', async () => {
    const admin = await personCookie('admin', 'ada');
    const now = context.clock.now();
    const { token, apiToken } = await createApiToken(context.deps.db, { name: 'to revoke', actor: CLI_ACTOR, now });
    expect(await statusWith(token)).toBe(200);
    const url = `/api/v1/tokens/${apiToken.id}`;
    expect((await app.inject({ method: 'DELETE', url, headers: { cookie: admin.cookie } })).statusCode).toBe(204);
    expect(await statusWith(token)).toBe(401);
    expect((await app.inject({ method: 'DELETE', url, headers: bearer(cliToken) })).statusCode).toBe(204);
    const entries = await audits('api_token.revoked');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_id: admin.id, actor_label: 'ada' });
    expect(JSON.parse(entries[0]!.details)).toEqual({ tokenId: apiToken.id, name: 'to revoke' });
    const listed = (await listTokens()).find((t) => t.id === apiToken.id);
    expect(listed).toMatchObject({ revokedAt: new Date(now).toISOString(), active: false });

    const unknownUrl = `/api/v1/tokens/${UNKNOWN_ID}`;
    const unknown = await app.inject({ method: 'DELETE', url: unknownUrl, headers: bearer(cliToken) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it("an admin's tokens stop working when the admin is demoted or deactivated; CLI tokens do not", async () => {
    const make = async (username: string): Promise<{ id: string; token: string }> => {
      const admin = await personCookie('admin', username);
      const made = await makeAsAdmin(admin.cookie, { name: `${username}'s` });
      expect(made.statusCode).toBe(201);
      return { id: admin.id, token: made.json().token };
    };
    const demoted = await make('dora');
    const deactivated = await make('dave');
    expect(await statusWith(demoted.token)).toBe(200);
    expect(await statusWith(deactivated.token)).toBe(200);
    const people = context.deps.db.updateTable('people');
    await people.set({ role: 'member' }).where('id', '=', demoted.id).execute();
    await people.set({ status: 'deactivated' }).where('id', '=', deactivated.id).execute();
    expect(await statusWith(demoted.token)).toBe(401);
    expect(await statusWith(deactivated.token)).toBe(401);
    expect(await statusWith(cliToken)).toBe(200);
    const listed = await listTokens();
    const active = Object.fromEntries(listed.map((t) => [t.name, t.active]));
    expect(active).toEqual({ ops: true, "dora's": false, "dave's": false });
  });

  it('last use is written at most once a minute per token', async () => {
    const lastUsed = async (): Promise<number | null> => {
      const query = context.deps.db.selectFrom('api_tokens').select('last_used_at');
      return (await query.where('token_hash', '=', sha256(cliToken)).executeTakeFirstOrThrow()).last_used_at;
    };
    const start = context.clock.now();
    await statusWith(cliToken);
    expect(await lastUsed()).toBe(start);
    context.clock.advance(MINUTE - 1);
    await statusWith(cliToken);
    expect(await lastUsed()).toBe(start);
    context.clock.advance(1);
    await statusWith(cliToken);
    expect(await lastUsed()).toBe(start + MINUTE);
  });

  it('the OpenAPI document describes the token routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/tokens'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/v1/tokens/{id}'])).toContain('delete');
  });

  it('the admin page lists tokens and revokes one with the page CSRF token (not without), in en and sv', async () => {
    const admin = await personCookie('admin', 'ada');
    const now = context.clock.now();
    const options = { name: 'nightly <sync>', actor: CLI_ACTOR, now };
    const { token, apiToken } = await createApiToken(context.deps.db, options);
    const get = (lang: 'en' | 'sv', cookie = admin.cookie) => {
      const headers = { accept: 'text/html', 'accept-language': lang, cookie };
      return app.inject({ method: 'GET', url: '/admin/tokens', headers });
    };
    const page = await get('en');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toContain('no-store');
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
    expect(await statusWith(token)).toBe(200);
    const done = await post({ _csrf: csrf });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/admin/tokens?done=token-revoked');
    expect(await statusWith(token)).toBe(401);
    expect(await audits('api_token.revoked')).toHaveLength(1);

    const member = await personCookie('member', 'mona');
    expect((await get('en', member.cookie)).statusCode).toBe(403);
  });
});

describe.each(DIALECTS)('migration 0004 (%s)', (dialect) => {
  it('a token made before it keeps working, owned by the CLI, until 90 days after the migration', async () => {
    const fresh = dialect === 'postgres' ? await freshPostgresSchema() : null;
    const handle = openDatabase(fresh?.url ?? 'sqlite::memory:', { poolSize: 2 });
    try {
      const db = handle.db;
      const current = async (): Promise<string> =>
        (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
      const schema = dialect === 'postgres' ? { migrationTableSchema: await current() } : {};
      const provider = { getMigrations: async () => ({ '0001_initial': m0001, '0002_batch_codes_index': m0002 }) };
      expect((await new Migrator({ db, provider, ...schema }).migrateToLatest()).error).toBeUndefined();
      const token = 'ks_made-before-the-migration-made-before-the-migrat';
      const createdAt = Date.UTC(2025, 0, 1);
      await sql`insert into api_tokens (id, name, token_hash, created_by, created_at, last_used_at, revoked_at)
        values (${UNKNOWN_ID}, ${'old'}, ${sha256(token)}, ${null}, ${createdAt}, ${null}, ${null})`.execute(db);

      const startedAt = Date.now();
      await migrateToLatest(db);
      const finishedAt = Date.now();
      const row = await db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ owner_label: 'cli', name: 'old', created_by: null });
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
