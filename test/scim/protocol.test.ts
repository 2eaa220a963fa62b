// RFC 7643/7644 as Keyslip serves them under /scim/v2, feature by feature: authentication by a
// SCIM token only (and that token nowhere else), media types, discovery, filters and paging,
// attribute selection, errors, uniqueness, ETags, roles kept Keyslip's, the code kept unreadable,
// the claim flow of a provisioned person, and each change atomic with its audit entry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deactivatePerson } from '../../src/accounts/deactivate-person.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode } from '../../src/access-codes/access-codes.service.js';
import { addAreaManager, createArea } from '../../src/areas/areas.service.js';
import { createOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { createPerson } from '../../src/people/people.service.js';
import { createApiToken, revokeApiToken } from '../../src/sessions/api-tokens.js';
import { createSession } from '../../src/sessions/session.js';
import { failAuditInserts, PASSWORD, sessionCount, spellingsOf } from '../helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import {
  createScimClient,
  ENTERPRISE,
  ERROR,
  GROUP_SCHEMA,
  KEYSLIP,
  patch,
  USER_SCHEMA,
  type ScimClient,
} from '../helpers/scim.js';

function user(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, displayName: userName.replace('.', ' '), ...extra };
}

describe.each(DIALECTS)('SCIM 2.0 protocol (%s)', (dialect) => {
  let context: TestContext;
  let scim: ScimClient;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    scim = await createScimClient(context, { tokenName: 'hr-sync' });
  });
  afterEach(async () => {
    await scim.app.close();
    await context.close();
  });

  describe('authentication', () => {
    it('no token, a wrong token, an admin API token or a session cookie: 401 as a SCIM error', async () => {
      const person = await createPerson(context.deps, { name: 'Ada Admin', username: 'ada', role: 'admin' }, CLI_ACTOR);
      const session = await createSession(context.deps.db, context.deps.config, person.id, context.clock.now(), {
        ip: null,
        userAgent: null,
      });
      for (const headers of [
        {},
        { authorization: 'Bearer ks_not-a-token' },
        { authorization: `Bearer ${scim.adminToken}` },
        { cookie: `keyslip_session=${session.token}` },
      ]) {
        const response = await scim.app.inject({ method: 'GET', url: '/scim/v2/Users', headers });
        expect(response.statusCode, JSON.stringify(headers)).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(response.json()).toMatchObject({ schemas: [ERROR], status: '401' });
      }
      const write = await scim.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${scim.adminToken}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify(user('eve.admin')),
      });
      expect(write.statusCode).toBe(401);
      expect(await context.deps.db.selectFrom('people').select('id').execute()).toHaveLength(1);
    });

    it('a SCIM token can do nothing outside /scim/v2: the API answers 401', async () => {
      for (const [method, url] of [
        ['GET', '/api/v1/people'],
        ['GET', '/api/v1/me'],
        ['GET', '/api/v1/audit'],
        ['POST', '/api/v1/people'],
      ] as const) {
        const response = await scim.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${scim.scimToken}` },
          ...(method === 'POST' ? { payload: { name: 'Mallory', username: 'mallory' } } : {}),
        });
        expect(response.statusCode, `${method} ${url}`).toBe(401);
      }
      expect(await context.deps.db.selectFrom('people').select('id').execute()).toEqual([]);
    });

    it('the admin’s API tokens page lists the SCIM token, marked SCIM, with a revoke button', async () => {
      const admin = await createPerson(context.deps, { name: 'Ada Admin', username: 'ada', role: 'admin' }, CLI_ACTOR);
      const session = await createSession(context.deps.db, context.deps.config, admin.id, context.clock.now(), {
        ip: null,
        userAgent: null,
      });
      const page = await scim.app.inject({
        method: 'GET',
        url: '/admin/tokens',
        headers: { cookie: `keyslip_session=${session.token}`, accept: 'text/html' },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('hr-sync <span class="badge">SCIM</span>');
      expect(page.body).toContain('keyslip token create --scim');
      expect(page.body).toContain('aria-label="Revoke API token hr-sync"');
    });

    it('a revoked SCIM token is 401 at once', async () => {
      const made = await createApiToken(context.deps.db, {
        name: 'old',
        actor: CLI_ACTOR,
        now: context.clock.now(),
        kind: 'scim',
      });
      const headers = { authorization: `Bearer ${made.token}` };
      expect((await scim.app.inject({ method: 'GET', url: '/scim/v2/Users', headers })).statusCode).toBe(200);
      await revokeApiToken(context.deps.db, { id: made.apiToken.id, actor: CLI_ACTOR, now: context.clock.now() });
      expect((await scim.app.inject({ method: 'GET', url: '/scim/v2/Users', headers })).statusCode).toBe(401);
    });
  });

  describe('media types and errors', () => {
    it('takes application/scim+json and application/json; other types are 415, broken JSON 400', async () => {
      const scimJson = await scim.request('POST', '/Users', user('ann.one'));
      expect(scimJson.status).toBe(201);
      expect(scimJson.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      const plainJson = await scim.request('POST', '/Users', user('ann.two'), { 'content-type': 'application/json' });
      expect(plainJson.status).toBe(201);
      const charset = await scim.request('POST', '/Users', user('ann.four'), {
        'content-type': 'application/scim+json; charset=utf-8',
      });
      expect(charset.status).toBe(201);
      const plus = await scim.request('GET', '/Users?filter=userName+eq+%22ann.four%22');
      expect(plus.body.totalResults).toBe(1);
      const text = await scim.request('POST', '/Users', JSON.stringify(user('ann.three')), {
        'content-type': 'text/plain',
      });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ schemas: [ERROR], status: '415' });
      const broken = await scim.request('POST', '/Users', '{"userName": ');
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
      const unknown = await scim.request('GET', '/Widgets');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ schemas: [ERROR], status: '404' });
    });

    it('invalid values name the attribute: a userName Keyslip cannot hold, none, a number', async () => {
      const upn = await scim.request('POST', '/Users', user('anna@contoso.com'));
      expect(upn.status).toBe(400);
      expect(upn.body).toMatchObject({ scimType: 'invalidValue' });
      expect(upn.body.detail).toMatch(/^userName:/);
      const none = await scim.request('POST', '/Users', { schemas: [USER_SCHEMA], displayName: 'No Name' });
      expect(none.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      const number = await scim.request('POST', '/Users', user('num.ber', { displayName: 42 }));
      expect(number.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      expect(await context.deps.db.selectFrom('people').select('id').execute()).toEqual([]);
    });

    it('a malformed PATCH: no PatchOp schema, an unknown op, a bad path, remove without a path', async () => {
      const id = (await scim.request('POST', '/Users', user('pat.ch'))).body.id as string;
      const cases: [unknown, string][] = [
        [{ Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, 'invalidSyntax'],
        [patch({ op: 'merge', path: 'title', value: 'x' }), 'invalidSyntax'],
        [patch({ op: 'replace', path: 'title[[', value: 'x' }), 'invalidPath'],
        [patch({ op: 'remove' }), 'noTarget'],
        [patch({ op: 'replace', path: `${KEYSLIP}:codeState`, value: 'none' }), 'mutability'],
      ];
      for (const [body, scimType] of cases) {
        const response = await scim.request('PATCH', `/Users/${id}`, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.scimType, JSON.stringify(body)).toBe(scimType);
      }
    });
  });

  describe('PATCH semantics', () => {
    it('an email added as primary becomes the email; removing it by a filter path clears it', async () => {
      const id = (
        await scim.request(
          'POST',
          '/Users',
          user('mai.l', { emails: [{ value: 'old@example.com', type: 'work', primary: true }] }),
        )
      ).body.id as string;
      const added = await scim.request(
        'PATCH',
        `/Users/${id}`,
        patch({ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'work', primary: 'True' }] }),
      );
      expect(added.body.emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
      const removed = await scim.request(
        'PATCH',
        `/Users/${id}`,
        patch({ op: 'remove', path: 'emails[value eq "new@example.com"]' }),
      );
      expect(removed.body.emails).toBeUndefined();
      const person = await context.deps.db.selectFrom('people').select('email').where('id', '=', id).executeTakeFirst();
      expect(person?.email).toBeNull();
    });

    it('remove of a plain attribute and of a name part; replace of the name object keeps other parts', async () => {
      const id = (
        await scim.request(
          'POST',
          '/Users',
          user('par.ts', { title: 'Cook', name: { givenName: 'Par', familyName: 'Ts' }, displayName: 'Par Ts' }),
        )
      ).body.id as string;
      const patched = await scim.request(
        'PATCH',
        `/Users/${id}`,
        patch(
          { op: 'remove', path: 'title' },
          { op: 'replace', path: 'name', value: { familyName: 'Tess' } },
          { op: 'remove', path: 'name.givenName' },
        ),
      );
      expect(patched.status).toBe(200);
      expect(patched.body.title).toBeUndefined();
      expect(patched.body.name).toEqual({ formatted: 'Tess', familyName: 'Tess' });
      expect(patched.body.displayName).toBe('Tess');
    });
  });

  describe('discovery', () => {
    it('ServiceProviderConfig says what is supported, truthfully', async () => {
      const config = await scim.request('GET', '/ServiceProviderConfig');
      expect(config.status).toBe(200);
      expect(config.body).toMatchObject({
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 1000 },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: true },
        authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
      });
    });

    it('Schemas and ResourceTypes list the User, Group, enterprise and Keyslip schemas', async () => {
      const schemas = await scim.request('GET', '/Schemas');
      expect(schemas.body.totalResults).toBe(4);
      expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([
        USER_SCHEMA,
        GROUP_SCHEMA,
        ENTERPRISE,
        KEYSLIP,
      ]);
      const keyslip = await scim.request('GET', `/Schemas/${KEYSLIP}`);
      expect(keyslip.body.attributes.every((a: { mutability: string }) => a.mutability === 'readOnly')).toBe(true);
      const types = await scim.request('GET', '/ResourceTypes');
      expect(types.body.Resources.map((t: { endpoint: string }) => t.endpoint)).toEqual(['/Users', '/Groups']);
      expect((await scim.request('GET', '/ResourceTypes/User')).body.schemaExtensions).toEqual([
        { schema: ENTERPRISE, required: false },
        { schema: KEYSLIP, required: false },
      ]);
      expect((await scim.request('GET', '/Schemas/urn:nothing')).status).toBe(404);
    });
  });

  describe('filters and paging', () => {
    async function seed(): Promise<string[]> {
      const ids: string[] = [];
      for (const [i, name] of ['ava.berg', 'bo.ek', 'cai.lund', 'dana.ro', 'eli.sand'].entries()) {
        const created = await scim.request(
          'POST',
          '/Users',
          user(name, {
            externalId: `ext-${i}`,
            emails: [{ value: `${name}@example.com`, type: 'work', primary: true }],
          }),
        );
        ids.push(created.body.id as string);
        context.clock.advance(1000);
      }
      return ids;
    }

    const ids = (body: { Resources: { id: string }[] }): string[] => body.Resources.map((r) => r.id);
    const get = (filter: string, rest = ''): ReturnType<ScimClient['request']> =>
      scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}${rest}`);

    it('eq on userName, externalId, displayName, emails.value and the work email, joined by and', async () => {
      const all = await seed();
      expect(ids((await get('userName eq "BO.EK"')).body)).toEqual([all[1]]);
      expect(ids((await get(`${USER_SCHEMA}:userName eq "bo.ek"`)).body)).toEqual([all[1]]);
      expect(ids((await get('externalId eq "ext-2"')).body)).toEqual([all[2]]);
      expect(ids((await get('externalid eq "EXT-2"')).body)).toEqual([]);
      expect(ids((await get('displayName eq "dana ro"')).body)).toEqual([all[3]]);
      expect(ids((await get('emails.value eq "Eli.Sand@example.com"')).body)).toEqual([all[4]]);
      expect(ids((await get('emails[type eq "work"].value eq "ava.berg@example.com"')).body)).toEqual([all[0]]);
      expect(ids((await get('emails[type eq "home"].value eq "ava.berg@example.com"')).body)).toEqual([]);
      expect(ids((await get('userName eq "ava.berg" and externalId eq "ext-0"')).body)).toEqual([all[0]]);
      expect(ids((await get('userName eq "ava.berg" and externalId eq "ext-1"')).body)).toEqual([]);
      expect(ids((await get('userName eq "not a username"')).body)).toEqual([]);
    });

    it('anything else is 400 invalidFilter', async () => {
      for (const filter of [
        'userName co "a"',
        'userName sw "a"',
        'userName pr',
        'userName eq "a" or userName eq "b"',
        'not (userName eq "a")',
        'title eq "x"',
        'userName eq 5',
        'userName eq',
        '((',
      ]) {
        const response = await get(filter);
        expect(response.status, filter).toBe(400);
        expect(response.body, filter).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidFilter' });
      }
    });

    it('startIndex and count page in a stable order with an exact totalResults', async () => {
      const all = await seed();
      const page = await scim.request('GET', '/Users?startIndex=2&count=2');
      expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(ids(page.body)).toEqual(all.slice(1, 3));
      const rest = await scim.request('GET', '/Users?startIndex=4&count=10');
      expect(ids(rest.body)).toEqual(all.slice(3));
      const countOnly = await scim.request('GET', '/Users?count=0');
      expect(countOnly.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      const past = await scim.request('GET', '/Users?startIndex=99');
      expect(past.body).toMatchObject({ totalResults: 5, Resources: [] });
      expect(ids((await scim.request('GET', '/Users?startIndex=0&count=1')).body)).toEqual([all[0]]);
      const filtered = await get('emails[type eq "work"].value eq "cai.lund@example.com"', '&startIndex=1&count=1');
      expect(filtered.body.totalResults).toBe(1);
      expect((await scim.request('GET', '/Users?count=ten')).body.scimType).toBe('invalidValue');
    });

    it('attributes and excludedAttributes select top-level attributes; id and schemas always come', async () => {
      const all = await seed();
      const only = await scim.request('GET', `/Users/${all[0]}?attributes=userName,${ENTERPRISE}:employeeNumber`);
      expect(Object.keys(only.body).sort()).toEqual(['id', 'schemas', 'userName', ENTERPRISE].sort());
      const without = await scim.request('GET', `/Users/${all[0]}?excludedAttributes=emails,meta`);
      expect(without.body.emails).toBeUndefined();
      expect(without.body.meta).toBeUndefined();
      expect(without.body.userName).toBe('ava.berg');
    });
  });

  describe('uniqueness and versions', () => {
    it('a clash on userName, email, employeeNumber or externalId is 409 uniqueness; a group name too', async () => {
      await scim.request(
        'POST',
        '/Users',
        user('uma.one', {
          externalId: 'x-1',
          emails: [{ value: 'uma@example.com', primary: true }],
          [ENTERPRISE]: { employeeNumber: 'E1' },
        }),
      );
      const clashes = [
        user('UMA.ONE'),
        user('uma.two', { emails: [{ value: 'UMA@example.com', primary: true }] }),
        user('uma.three', { [ENTERPRISE]: { employeeNumber: 'E1' } }),
        user('uma.four', { externalId: 'x-1' }),
      ];
      for (const body of clashes) {
        const response = await scim.request('POST', '/Users', body);
        expect(response.status, JSON.stringify(body)).toBe(409);
        expect(response.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
      }
      const other = (await scim.request('POST', '/Users', user('uma.five'))).body.id as string;
      const patched = await scim.request(
        'PATCH',
        `/Users/${other}`,
        patch({ op: 'replace', path: 'externalId', value: 'x-1' }),
      );
      expect(patched.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect(await context.deps.db.selectFrom('people').select('id').execute()).toHaveLength(2);

      await scim.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Store 1' });
      const group = await scim.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'STORE 1' });
      expect(group.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    });

    it('ETags: meta.version and the ETag header; a stale If-Match is 412 and changes nothing', async () => {
      const created = await scim.request('POST', '/Users', user('eta.g'));
      const id = created.body.id as string;
      const version = created.body.meta.version as string;
      expect(created.headers.etag).toBe(version);
      const ok = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'title', value: 'Cook' }), {
        'if-match': version,
      });
      expect(ok.status).toBe(200);
      expect(ok.body.meta.version).not.toBe(version);
      const stale = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'title', value: 'Chef' }), {
        'if-match': version,
      });
      expect(stale.status).toBe(412);
      expect(stale.body).toMatchObject({ schemas: [ERROR], status: '412' });
      expect((await scim.request('DELETE', `/Users/${id}`, undefined, { 'if-match': version })).status).toBe(412);
      expect((await scim.request('GET', `/Users/${id}`)).body.title).toBe('Cook');
      const put = await scim.request('PUT', `/Users/${id}`, user('eta.g'), { 'if-match': ok.body.meta.version });
      expect(put.status).toBe(200);

      const group = await scim.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Depot' });
      const renamed = await scim.request(
        'PATCH',
        `/Groups/${group.body.id}`,
        patch({ op: 'replace', path: 'displayName', value: 'Depot 2' }),
        { 'if-match': group.body.meta.version },
      );
      expect(renamed.status).toBe(204);
      const staleGroup = await scim.request(
        'PATCH',
        `/Groups/${group.body.id}`,
        patch({ op: 'replace', path: 'displayName', value: 'Depot 3' }),
        { 'if-match': group.body.meta.version },
      );
      expect(staleGroup.status).toBe(412);
    });
  });

  describe('people, codes and accounts', () => {
    it('the code is never readable; its state is, read-only, in the Keyslip extension', async () => {
      const id = (await scim.request('POST', '/Users', user('cod.e'))).body.id as string;
      const { code } = await issueAccessCode(context.deps, { personId: id, actor: CLI_ACTOR });
      const got = await scim.request('GET', `/Users/${id}`);
      expect(got.body[KEYSLIP]).toMatchObject({ codeState: 'active', status: 'unclaimed' });
      expect(typeof got.body[KEYSLIP].codeExpiresAt).toBe('string');
      const list = await scim.request('GET', '/Users');
      for (const text of [JSON.stringify(got.body), JSON.stringify(list.body)]) {
        for (const spelling of spellingsOf(code)) expect(text).not.toContain(spelling);
      }
    });

    it('a provisioned userName is reserved: the access-code page asks to confirm it, and the claim works', async () => {
      const id = (await scim.request('POST', '/Users', user('nora.claim'))).body.id as string;
      const { code } = await issueAccessCode(context.deps, { personId: id, actor: CLI_ACTOR });
      const check = await scim.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } });
      expect(check.json()).toEqual({ username: 'nora.claim', claim: true });
      const wrong = await scim.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code, username: 'nora.other', password: PASSWORD },
      });
      expect(wrong.statusCode).toBe(400);
      const redeem = await scim.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/redeem',
        payload: { code, username: 'nora.claim', password: PASSWORD },
      });
      expect(redeem.statusCode).toBe(200);
      expect((await scim.request('GET', `/Users/${id}`)).body[KEYSLIP]).toMatchObject({
        status: 'active',
        codeState: 'used',
      });
    });

    it('active:false ends the person’s sessions and voids the code (the accounts layer’s deactivate)', async () => {
      const id = (await scim.request('POST', '/Users', user('ses.sion'))).body.id as string;
      await issueAccessCode(context.deps, { personId: id, actor: CLI_ACTOR });
      await createSession(context.deps.db, context.deps.config, id, context.clock.now(), { ip: null, userAgent: null });
      expect(await sessionCount(context.deps.db, id)).toBe(1);
      const off = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: false }));
      expect(off.body[KEYSLIP]).toMatchObject({ status: 'deactivated', codeState: 'deactivated' });
      expect(await sessionCount(context.deps.db, id)).toBe(0);
      const audit = await context.deps.db
        .selectFrom('audit_events')
        .select(['details', 'actor_label'])
        .where('action', '=', 'person.deactivated')
        .executeTakeFirstOrThrow();
      expect(audit.actor_label).toBe('scim:hr-sync');
      expect(JSON.parse(audit.details)).toMatchObject({ codesDeactivated: 1, sessionsEnded: 1 });
    });

    it('active:false tells the apps the person used: a back-channel logout is queued, their grants end', async () => {
      const id = (await scim.request('POST', '/Users', user('app.user'))).body.id as string;
      const app = await createOidcClient(
        context.deps,
        {
          name: 'Scheduler',
          redirectUris: ['https://scheduler.example.com/callback'],
          backchannelLogoutUri: 'https://scheduler.example.com/backchannel',
        },
        CLI_ACTOR,
      );
      const clientId = app.client.clientId;
      // The provider's record that the person granted the app access (as oidc-provider stores it).
      await context.deps.db
        .insertInto('oidc_payloads')
        .values({
          model: 'Grant',
          id: 'grant-1',
          payload: JSON.stringify({ clientId, accountId: id }),
          grant_id: 'grant-1',
          uid: null,
          user_code: null,
          account_id: id,
          expires_at: context.clock.now() + 3_600_000,
          consumed_at: null,
        })
        .execute();
      await scim.request('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
      const queued = await context.deps.db.selectFrom('oidc_logout_outbox').selectAll().execute();
      expect(queued).toMatchObject([
        { client_id: clientId, person_id: id, uri: 'https://scheduler.example.com/backchannel', delivered_at: null },
      ]);
      const grants = await context.deps.db
        .selectFrom('oidc_payloads')
        .select('id')
        .where('account_id', '=', id)
        .execute();
      expect(grants).toEqual([]);
    });

    it('a create whose audit entry fails leaves no person (one transaction)', async () => {
      const restore = await failAuditInserts(context, 'person.created');
      const failed = await scim.request('POST', '/Users', user('ato.mic'));
      expect(failed.status).toBe(500);
      expect(failed.body).toMatchObject({ schemas: [ERROR], status: '500' });
      await restore();
      expect(await context.deps.db.selectFrom('people').select('id').execute()).toEqual([]);
      expect(await context.deps.db.selectFrom('scim_users').select('person_id').execute()).toEqual([]);
    });

    it('a PATCH whose deactivation cannot be audited changes nothing, not even its other operations', async () => {
      const id = (await scim.request('POST', '/Users', user('all.or.nothing'))).body.id as string;
      const restore = await failAuditInserts(context, 'person.deactivated');
      const failed = await scim.request(
        'PATCH',
        `/Users/${id}`,
        patch({ op: 'add', path: 'title', value: 'Baker' }, { op: 'replace', path: 'active', value: false }),
      );
      expect(failed.status).toBe(500);
      await restore();
      const after = await scim.request('GET', `/Users/${id}`);
      expect(after.body.active).toBe(true);
      expect(after.body.title).toBeUndefined();
      const updates = await context.deps.db
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'person.updated')
        .execute();
      expect(updates).toEqual([]);
    });

    it('a group member must be a user; unknown ids are 400 and change nothing', async () => {
      const group = await scim.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ward 9' });
      const bad = await scim.request(
        'PATCH',
        `/Groups/${group.body.id}`,
        patch({ op: 'add', path: 'members', value: [{ value: '0190a000-0000-7000-8000-000000000000' }] }),
      );
      expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      expect(await context.deps.db.selectFrom('area_members').select('person_id').execute()).toEqual([]);
    });
  });

  describe('roles are Keyslip’s unless KEYSLIP_SCIM_MANAGES_ROLES says otherwise', () => {
    it('by default SCIM cannot make, demote, deactivate or delete an admin', async () => {
      const admin = await createPerson(context.deps, { name: 'Ada Admin', username: 'ada', role: 'admin' }, CLI_ACTOR);
      await createPerson(context.deps, { name: 'Bo Admin', username: 'bo.admin', role: 'admin' }, CLI_ACTOR);
      const made = await scim.request('POST', '/Users', user('eve.x', { roles: [{ value: 'admin', primary: true }] }));
      expect(made.body).toMatchObject({ status: '400', scimType: 'mutability' });
      const member = (await scim.request('POST', '/Users', user('mel.member'))).body.id as string;
      const promoted = await scim.request(
        'PATCH',
        `/Users/${member}`,
        patch({ op: 'replace', path: 'roles', value: [{ value: 'admin', primary: true }] }),
      );
      expect(promoted.body).toMatchObject({ status: '400', scimType: 'mutability' });
      const demoted = await scim.request(
        'PATCH',
        `/Users/${admin.id}`,
        patch({ op: 'replace', path: 'roles', value: [{ value: 'member' }] }),
      );
      expect(demoted.body).toMatchObject({ status: '400', scimType: 'mutability' });
      const off = await scim.request(
        'PATCH',
        `/Users/${admin.id}`,
        patch({ op: 'replace', path: 'active', value: false }),
      );
      expect(off.status).toBe(403);
      expect((await scim.request('DELETE', `/Users/${admin.id}`)).status).toBe(403);
      // A manager (made one in Keyslip, by managing an area) keeps the role through SCIM updates.
      const area = await createArea(context.deps, 'Store 7', CLI_ACTOR);
      await addAreaManager(context.deps, area.id, member, CLI_ACTOR);
      const managed = await scim.request('PUT', `/Users/${member}`, user('mel.member', { title: 'Store manager' }));
      expect(managed.status).toBe(200);
      expect(managed.body.roles).toEqual([{ value: 'manager', primary: true }]);
      // An admin's other attributes are the HR system's to keep up to date.
      const titled = await scim.request(
        'PATCH',
        `/Users/${admin.id}`,
        patch({ op: 'add', path: 'title', value: 'CTO' }),
      );
      expect(titled.status).toBe(200);
      const rows = await context.deps.db.selectFrom('people').select(['username', 'role', 'status']).execute();
      expect(rows.filter((r) => r.role === 'admin' && r.status !== 'deactivated')).toHaveLength(2);
      // Nor does SCIM bring back an admin that Keyslip deactivated.
      await deactivatePerson(context.deps, admin.id, CLI_ACTOR);
      const revived = await scim.request(
        'PATCH',
        `/Users/${admin.id}`,
        patch({ op: 'replace', path: 'active', value: true }),
      );
      expect(revived.status).toBe(403);
      const after = await context.deps.db.selectFrom('people').select('status').where('id', '=', admin.id).execute();
      expect(after).toEqual([{ status: 'deactivated' }]);
    });
  });
});

describe.each(DIALECTS)('SCIM with KEYSLIP_SCIM_MANAGES_ROLES=true (%s)', (dialect) => {
  it('SCIM may make and demote admins, but never the last one', async () => {
    const context = await createTestContext(dialect, { env: { KEYSLIP_SCIM_MANAGES_ROLES: 'true' } });
    const scim = await createScimClient(context);
    try {
      const made = await scim.request(
        'POST',
        '/Users',
        user('new.admin', { roles: [{ value: 'admin', primary: true }] }),
      );
      expect(made.status).toBe(201);
      expect(made.body.roles).toEqual([{ value: 'admin', primary: true }]);
      const demoted = await scim.request(
        'PATCH',
        `/Users/${made.body.id}`,
        patch({ op: 'replace', path: 'roles', value: [{ value: 'member', primary: true }] }),
      );
      expect(demoted.status).toBe(409);
      const other = await scim.request('POST', '/Users', user('two.admin', { roles: [{ value: 'admin' }] }));
      const nowDemoted = await scim.request(
        'PATCH',
        `/Users/${made.body.id}`,
        patch({ op: 'replace', path: 'roles', value: [{ value: 'member', primary: true }] }),
      );
      expect(nowDemoted.status).toBe(200);
      expect(nowDemoted.body.roles).toEqual([{ value: 'member', primary: true }]);
      const off = await scim.request(
        'PATCH',
        `/Users/${other.body.id}`,
        patch({ op: 'replace', path: 'active', value: false }),
      );
      expect(off.status).toBe(409);
    } finally {
      await scim.app.close();
      await context.close();
    }
  });
});
