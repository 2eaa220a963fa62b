// The authorization table (SPEC §9), generated from the app's own route list: every route the app
// serves is classified below, and every one is requested as each of {admin, manager in scope,
// manager out of scope, member, anonymous} (and an API token on the API) for each target
// {member, manager, admin, self}, and the status compared with what its class allows. A route
// added later fails the first test until it is classified here, so none can be forgotten.
//
// Who is who: store A has as members a worker, another manager, a second admin and the manager in
// scope (who manages it); the manager out of scope manages store B, where none of them is. Targets
// for the admin: the worker, the other manager, the second admin, and the admin herself.
import { writeFileSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCodeIn } from '../../src/access-codes/access-codes.service.js';
import { issueAccessCodes } from '../../src/access-codes/batches.service.js';
import { csrfTokenFor } from '../../src/http/csrf.js';
import { createOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { findPersonById, lockPerson } from '../../src/people/people.store.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import { createSession } from '../../src/sessions/session.js';
import { hashPassword } from '../../src/sign-in/password.js';
import { addManager, addMember, makeArea, makePerson } from '../helpers/areas.js';
import { createTestApi } from '../helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';

/**
 * What a route lets through:
 * - public: anyone (sign-in, redemption, OIDC protocol, assets, probes): it decides itself; never 5xx
 * - own: a signed-in person about their own account or session
 * - admin: admins' sessions and API tokens
 * - admin-session: admins' sessions only (the two-person rule needs a person)
 * - staff: admins, API tokens and managers, narrowed to a manager's areas inside (lists, bulk)
 * - staff-view: also, a person a manager may see (a member of their areas, or themselves)
 * - staff-act: also, a person a manager may act on (a member of their areas with the member role)
 * - staff-batch: also, a batch a manager may see (their own, while they manage its areas)
 * - scim: a SCIM token only (none here): every session and every admin API token gets 401
 */
type Kind =
  | 'public'
  | 'own'
  | 'admin'
  | 'admin-session'
  | 'staff'
  | 'staff-view'
  | 'staff-act'
  | 'staff-batch'
  | 'scim';

type Actor = 'admin' | 'token' | 'managerIn' | 'managerOut' | 'member' | 'anonymous';
type Target = 'member' | 'manager' | 'admin' | 'self';

interface Fixture {
  ids: Record<string, string>;
  batchId: string;
  clientId: string;
  requests: { approvable: string; collectable: string };
  n: number;
}

interface Spec {
  kind: Kind;
  /** The path requested, when the pattern's parameters are not a person's id. */
  path?: (f: Fixture) => string;
  /** A JSON body (object), a form's fields (form: true) or a CSV text. */
  body?: (f: Fixture, targetId: string) => Record<string, unknown> | string | Promise<Record<string, unknown>>;
  form?: boolean;
  /** Issues a code: for an admin account the two-person rule applies, which no API token can meet. */
  twoPerson?: boolean;
  /** Made fresh before each request (a token to revoke, a code to deactivate, requests to decide). */
  prepare?: (f: Fixture) => Promise<void>;
}

let context: TestContext;
const fresh: { tokenId?: string; clientId?: string; areaId?: string; personId?: string } = {};

const ROUTES: Record<string, Spec> = {
  'GET /healthz': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  'POST /api/v1/people': { kind: 'admin', body: (f) => ({ name: 'New Person', username: `new.${f.n}` }) },
  'GET /api/v1/people': { kind: 'staff' },
  'GET /api/v1/people/:id': { kind: 'staff-view' },
  'PATCH /api/v1/people/:id': { kind: 'admin', body: () => ({ title: 'Checked' }) },
  'POST /api/v1/people/import': { kind: 'admin', body: (f) => `name,username\nImported ${f.n},imported.${f.n}\n` },
  'POST /api/v1/people/:id/deactivate': { kind: 'admin' },
  'DELETE /api/v1/people/:id/sessions': { kind: 'admin' },
  // For an admin account (two admins active) an admin's session asks for approval (202); a token cannot.
  'POST /api/v1/people/:id/access-code': {
    kind: 'staff-act',
    body: () => ({}),
    prepare: clearRequests,
    twoPerson: true,
  },
  'GET /api/v1/people/:id/access-code': { kind: 'staff-view' },
  'DELETE /api/v1/people/:id/access-code': { kind: 'staff-act', prepare: giveEveryoneACode },
  'POST /api/v1/access-codes/bulk': { kind: 'staff', body: () => ({ filter: { q: 'nobody-matches-this' } }) },
  'POST /api/v1/access-codes/bulk-deactivate': { kind: 'admin', body: () => ({ filter: { q: 'nobody' } }) },
  'GET /api/v1/batches/:id': { kind: 'staff-batch', path: (f) => `/api/v1/batches/${f.batchId}` },
  'GET /api/v1/batches/:id/codes': { kind: 'staff-batch', path: (f) => `/api/v1/batches/${f.batchId}/codes` },
  'POST /api/v1/access-code/check': { kind: 'public', body: () => ({ code: 'BBBB-BBBB-BBBB-BBBB' }) },
  'POST /api/v1/access-code/username-available': {
    kind: 'public',
    body: () => ({ code: 'BBBB-BBBB-BBBB-BBBB', username: 'someone' }),
  },
  'POST /api/v1/access-code/redeem': {
    kind: 'public',
    body: () => ({ code: 'BBBB-BBBB-BBBB-BBBB', username: 'someone', password: 'a long password here' }),
  },
  'GET /api/v1/admin-code-requests': { kind: 'admin-session' },
  'GET /api/v1/admin-code-requests/:id': {
    kind: 'admin-session',
    path: (f) => `/api/v1/admin-code-requests/${f.requests.approvable}`,
    prepare: openRequests,
  },
  'POST /api/v1/admin-code-requests/:id/approve': {
    kind: 'admin-session',
    path: (f) => `/api/v1/admin-code-requests/${f.requests.approvable}/approve`,
    prepare: openRequests,
  },
  'POST /api/v1/admin-code-requests/:id/decline': {
    kind: 'admin-session',
    path: (f) => `/api/v1/admin-code-requests/${f.requests.approvable}/decline`,
    prepare: openRequests,
  },
  'POST /api/v1/admin-code-requests/:id/code': {
    kind: 'admin-session',
    path: (f) => `/api/v1/admin-code-requests/${f.requests.collectable}/code`,
    prepare: openRequests,
  },
  'POST /api/v1/sessions': { kind: 'public', body: () => ({ username: 'nobody', password: 'wrong password' }) },
  'DELETE /api/v1/sessions/current': { kind: 'own' },
  'DELETE /api/v1/sessions': { kind: 'own' },
  'GET /api/v1/me': { kind: 'own' },
  'GET /api/v1/audit': { kind: 'staff' },
  'GET /api/v1/tokens': { kind: 'admin' },
  // An API token cannot make another: an admin's session (or the CLI) does.
  'POST /api/v1/tokens': { kind: 'admin-session', body: (f) => ({ name: `token ${f.n}` }) },
  'DELETE /api/v1/tokens/:id': { kind: 'admin', path: () => `/api/v1/tokens/${fresh.tokenId}`, prepare: newToken },
  'GET /assets/*': { kind: 'public', path: () => '/assets/app.css' },
  'GET /lang/:locale': { kind: 'public', path: () => '/lang/sv' },
  'GET /login': { kind: 'public' },
  'POST /login': { kind: 'public', form: true, body: () => ({ username: 'nobody', password: 'wrong' }) },
  'GET /help/login': { kind: 'public' },
  'GET /work/accesscode': { kind: 'public' },
  'POST /work/accesscode': { kind: 'public', form: true, body: () => ({ code: 'BBBB-BBBB-BBBB-BBBB' }) },
  'GET /': { kind: 'own' },
  'POST /logout': { kind: 'own', form: true, body: () => ({}) },
  'POST /logout-everywhere': { kind: 'own', form: true, body: () => ({}) },
  'GET /admin': { kind: 'staff' },
  'GET /admin/people': { kind: 'staff' },
  'GET /admin/people/new': { kind: 'admin' },
  'POST /admin/people/new': { kind: 'admin', form: true, body: (f) => ({ name: 'Paged', username: `paged.${f.n}` }) },
  'GET /admin/people/import': { kind: 'admin' },
  'GET /admin/people/:id': { kind: 'staff-view' },
  'POST /admin/people/:id': { kind: 'admin', form: true, body: editFields },
  'GET /admin/people/:id/deactivate': { kind: 'admin' },
  'POST /admin/people/:id/deactivate': { kind: 'admin', form: true, body: () => ({}) },
  'POST /admin/people/:id/sessions/end': { kind: 'admin', form: true, body: () => ({}) },
  'GET /admin/people/:id/access-code': { kind: 'staff-act', prepare: clearRequests },
  'POST /admin/people/:id/access-code': { kind: 'staff-act', form: true, body: () => ({}), prepare: clearRequests },
  'GET /admin/people/:id/access-code/shown': { kind: 'staff-view' },
  'GET /admin/people/:id/access-code/deactivate': { kind: 'staff-act' },
  'POST /admin/people/:id/access-code/deactivate': {
    kind: 'staff-act',
    form: true,
    body: () => ({}),
    prepare: giveEveryoneACode,
  },
  'GET /admin/access-codes/issue': { kind: 'staff' },
  'POST /admin/access-codes/issue': { kind: 'staff', form: true, body: () => ({ q: 'nobody-matches-this' }) },
  'GET /admin/access-codes/deactivate': { kind: 'admin' },
  'POST /admin/access-codes/deactivate': { kind: 'admin', form: true, body: () => ({ q: 'nobody' }) },
  'GET /admin/batches/:id': { kind: 'staff-batch', path: (f) => `/admin/batches/${f.batchId}` },
  'GET /admin/batches/:id/codes.csv': { kind: 'staff-batch', path: (f) => `/admin/batches/${f.batchId}/codes.csv` },
  'GET /admin/batches/:id/slips.pdf': { kind: 'staff-batch', path: (f) => `/admin/batches/${f.batchId}/slips.pdf` },
  'GET /admin/tokens': { kind: 'admin' },
  'POST /admin/tokens/:id/revoke': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: () => `/admin/tokens/${fresh.tokenId}/revoke`,
    prepare: newToken,
  },
  'GET /admin/audit': { kind: 'staff' },
  'GET /admin/code-requests': { kind: 'admin' },
  'GET /admin/code-requests/:id': {
    kind: 'admin',
    path: (f) => `/admin/code-requests/${f.requests.approvable}`,
    prepare: openRequests,
  },
  'POST /admin/code-requests/:id/approve': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/code-requests/${f.requests.approvable}/approve`,
    prepare: openRequests,
  },
  'POST /admin/code-requests/:id/decline': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/code-requests/${f.requests.approvable}/decline`,
    prepare: openRequests,
  },
  'POST /admin/code-requests/:id/code': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/code-requests/${f.requests.collectable}/code`,
    prepare: openRequests,
  },
  'GET /.well-known/openid-configuration': { kind: 'public' },
  'OPTIONS /.well-known/openid-configuration': { kind: 'public' },
  'POST /.well-known/openid-configuration': { kind: 'public', body: () => ({}) },
  'GET /oidc/*': { kind: 'public', path: () => '/oidc/jwks' },
  'OPTIONS /oidc/*': { kind: 'public', path: () => '/oidc/token' },
  'POST /oidc/*': { kind: 'public', path: () => '/oidc/token', form: true, body: () => ({ grant_type: 'x' }) },
  'GET /oidc/interaction/:uid': { kind: 'public', path: () => '/oidc/interaction/unknown-uid' },
  'POST /oidc/interaction/:uid/consent': {
    kind: 'public',
    path: () => '/oidc/interaction/unknown-uid/consent',
    form: true,
    body: () => ({}),
  },
  'GET /api/v1/oidc-clients': { kind: 'admin' },
  'POST /api/v1/oidc-clients': {
    kind: 'admin',
    body: (f) => ({ name: `App ${f.n}`, redirectUris: ['https://app.example.org/callback'] }),
  },
  'GET /api/v1/oidc-clients/:id': { kind: 'admin', path: (f) => `/api/v1/oidc-clients/${f.clientId}` },
  'DELETE /api/v1/oidc-clients/:id': {
    kind: 'admin',
    path: () => `/api/v1/oidc-clients/${fresh.clientId}`,
    prepare: newClient,
  },
  'GET /admin/apps': { kind: 'admin' },
  'POST /admin/apps': {
    kind: 'admin',
    form: true,
    body: (f) => ({ name: `Paged app ${f.n}`, redirectUris: 'https://app.example.org/callback' }),
  },
  'GET /admin/apps/:id': { kind: 'admin', path: (f) => `/admin/apps/${f.clientId}` },
  'POST /admin/apps/:id/delete': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: () => `/admin/apps/${fresh.clientId}/delete`,
    prepare: newClient,
  },
  'GET /api/openapi.json': { kind: 'public' },
  // Areas (admin only; a manager's scope is read from them, never changed by them). Store A and B
  // stay as the fixture made them: renames go to a scratch area, deletes to a fresh one, and
  // memberships to fresh people (a manager's appointment turns a member into a manager).
  'GET /api/v1/areas': { kind: 'admin' },
  'POST /api/v1/areas': { kind: 'admin', body: (f) => ({ name: `Area ${f.n}` }) },
  'GET /api/v1/areas/:id': { kind: 'admin', path: (f) => `/api/v1/areas/${f.ids.storeA}` },
  'PATCH /api/v1/areas/:id': {
    kind: 'admin',
    path: (f) => `/api/v1/areas/${f.ids.scratch}`,
    body: (f) => ({ name: `Scratch ${f.n}` }),
  },
  'DELETE /api/v1/areas/:id': { kind: 'admin', path: () => `/api/v1/areas/${fresh.areaId}`, prepare: newArea },
  'GET /api/v1/areas/:id/members': { kind: 'admin', path: (f) => `/api/v1/areas/${f.ids.storeA}/members` },
  'PUT /api/v1/areas/:id/members/:personId': {
    kind: 'admin',
    path: (f) => `/api/v1/areas/${f.ids.scratch}/members/${fresh.personId}`,
    prepare: newPerson,
  },
  'DELETE /api/v1/areas/:id/members/:personId': {
    kind: 'admin',
    path: (f) => `/api/v1/areas/${f.ids.scratch}/members/${fresh.personId}`,
    prepare: newScratchMember,
  },
  'GET /api/v1/areas/:id/managers': { kind: 'admin', path: (f) => `/api/v1/areas/${f.ids.storeA}/managers` },
  'PUT /api/v1/areas/:id/managers/:personId': {
    kind: 'admin',
    path: (f) => `/api/v1/areas/${f.ids.scratch}/managers/${fresh.personId}`,
    prepare: newPerson,
  },
  'DELETE /api/v1/areas/:id/managers/:personId': {
    kind: 'admin',
    path: (f) => `/api/v1/areas/${f.ids.scratch}/managers/${fresh.personId}`,
    prepare: newScratchManager,
  },
  'GET /admin/areas': { kind: 'admin' },
  'POST /admin/areas': { kind: 'admin', form: true, body: (f) => ({ name: `Paged area ${f.n}` }) },
  'GET /admin/areas/:id': { kind: 'admin', path: (f) => `/admin/areas/${f.ids.storeA}` },
  'POST /admin/areas/:id': {
    kind: 'admin',
    form: true,
    path: (f) => `/admin/areas/${f.ids.scratch}`,
    body: (f) => ({ name: `Scratch ${f.n}` }),
  },
  'GET /admin/areas/:id/delete': { kind: 'admin', path: (f) => `/admin/areas/${f.ids.storeA}/delete` },
  'POST /admin/areas/:id/delete': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: () => `/admin/areas/${fresh.areaId}/delete`,
    prepare: newArea,
  },
  'POST /admin/areas/:id/members': {
    kind: 'admin',
    form: true,
    path: (f) => `/admin/areas/${f.ids.scratch}/members`,
    body: () => ({ personId: fresh.personId! }),
    prepare: newPerson,
  },
  'POST /admin/areas/:id/members/:personId/remove': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/areas/${f.ids.scratch}/members/${fresh.personId}/remove`,
    prepare: newScratchMember,
  },
  'POST /admin/areas/:id/managers': {
    kind: 'admin',
    form: true,
    path: (f) => `/admin/areas/${f.ids.scratch}/managers`,
    body: () => ({ personId: fresh.personId! }),
    prepare: newPerson,
  },
  'POST /admin/areas/:id/managers/:personId/remove': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/areas/${f.ids.scratch}/managers/${fresh.personId}/remove`,
    prepare: newScratchManager,
  },
  'POST /admin/people/:id/areas': {
    kind: 'admin',
    form: true,
    path: () => `/admin/people/${fresh.personId}/areas`,
    body: () => ({ area: 'Spare' }),
    prepare: newPerson,
  },
  'POST /admin/people/:id/areas/:areaId/remove': {
    kind: 'admin',
    form: true,
    body: () => ({}),
    path: (f) => `/admin/people/${fresh.personId}/areas/${f.ids.spare}/remove`,
    prepare: newSpareMember,
  },
  // A person's life cycle beyond deactivating: admin only. Erasing and reactivating get a fresh person.
  'POST /api/v1/people/:id/start-over': { kind: 'admin', body: () => ({}) },
  'POST /api/v1/people/:id/reactivate': {
    kind: 'admin',
    path: () => `/api/v1/people/${fresh.personId}/reactivate`,
    prepare: newDeactivatedPerson,
  },
  'DELETE /api/v1/people/:id': {
    kind: 'admin',
    path: () => `/api/v1/people/${fresh.personId}?confirm=erase`,
    prepare: newPerson,
  },
  'GET /admin/people/:id/start-over': { kind: 'admin' },
  'POST /admin/people/:id/start-over': { kind: 'admin', form: true, body: () => ({}) },
  'POST /admin/guide/dismiss': { kind: 'admin', form: true, body: () => ({}) },
  'GET /admin/audit/export.csv': { kind: 'staff' },
  'POST /help/request-code': { kind: 'public', form: true, body: () => ({ login: 'nobody' }) },
  'GET /account/password': { kind: 'own' },
  'POST /account/password': {
    kind: 'own',
    form: true,
    body: () => ({ current: CURRENT_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD }),
    prepare: givePasswords,
  },
  // SCIM answers its own bearer token only: a session or an admin's API token is nobody there.
  'GET /scim/v2/ServiceProviderConfig': { kind: 'scim' },
  'GET /scim/v2/Schemas': { kind: 'scim' },
  'GET /scim/v2/Schemas/:id': {
    kind: 'scim',
    path: () => '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
  },
  'GET /scim/v2/ResourceTypes': { kind: 'scim' },
  'GET /scim/v2/ResourceTypes/:id': { kind: 'scim', path: () => '/scim/v2/ResourceTypes/User' },
  'GET /scim/v2/Users': { kind: 'scim' },
  'POST /scim/v2/Users': { kind: 'scim', body: (f) => ({ schemas: [SCIM_USER], userName: `scim.${f.n}` }) },
  'GET /scim/v2/Users/:id': { kind: 'scim' },
  'PUT /scim/v2/Users/:id': { kind: 'scim', body: () => ({ schemas: [SCIM_USER], userName: 'wanda.worker' }) },
  'PATCH /scim/v2/Users/:id': { kind: 'scim', body: () => scimPatch('active', false) },
  'DELETE /scim/v2/Users/:id': { kind: 'scim' },
  'GET /scim/v2/Groups': { kind: 'scim' },
  'POST /scim/v2/Groups': { kind: 'scim', body: (f) => ({ schemas: [SCIM_GROUP], displayName: `Group ${f.n}` }) },
  'GET /scim/v2/Groups/:id': { kind: 'scim', path: (f) => `/scim/v2/Groups/${f.ids.storeA}` },
  'PUT /scim/v2/Groups/:id': {
    kind: 'scim',
    path: (f) => `/scim/v2/Groups/${f.ids.storeA}`,
    body: () => ({ schemas: [SCIM_GROUP], displayName: 'Taken over' }),
  },
  'PATCH /scim/v2/Groups/:id': {
    kind: 'scim',
    path: (f) => `/scim/v2/Groups/${f.ids.storeA}`,
    body: () => scimPatch('displayName', 'Taken over'),
  },
  'DELETE /scim/v2/Groups/:id': { kind: 'scim', path: (f) => `/scim/v2/Groups/${f.ids.storeA}` },
};

// ---------------------------------------------------------------------------------------------
// Fixture makers

let fixture: Fixture;

async function clearRequests(): Promise<void> {
  await context.deps.db.deleteFrom('admin_code_requests').execute();
}

/** One pending request the admin may decide (asked by the second admin), one approved she may collect. */
async function openRequests(f: Fixture): Promise<void> {
  await clearRequests();
  const now = context.deps.clock.now();
  const row = (id: string, person: string, by: string, approvedBy: string | null) => ({
    id,
    person_id: person,
    requested_by: by,
    requested_at: now,
    expires_at: now + 3_600_000,
    status: approvedBy ? ('approved' as const) : ('pending' as const),
    decided_by: approvedBy,
    decided_at: approvedBy ? now : null,
    issued_at: null,
    lifetime_hours: null,
  });
  await context.deps.db
    .insertInto('admin_code_requests')
    .values([
      row(f.requests.approvable, f.ids.admin!, f.ids.admin2!, null),
      row(f.requests.collectable, f.ids.admin2!, f.ids.admin!, f.ids.admin2!),
    ])
    .execute();
}

async function giveEveryoneACode(f: Fixture): Promise<void> {
  const { deps } = context;
  for (const key of ['worker', 'otherManager', 'admin', 'admin2', 'managerIn', 'managerOut', 'member']) {
    await deps.db.transaction().execute(async (trx) => {
      const person = await lockPerson(trx, f.ids[key]!);
      await issueAccessCodeIn(trx, deps, person!, { actor: CLI_ACTOR, now: deps.clock.now() });
    });
  }
}

async function newToken(): Promise<void> {
  const made = await createApiToken(context.deps.db, { name: 'to revoke', actor: CLI_ACTOR, now: context.clock.now() });
  fresh.tokenId = made.apiToken.id;
}

async function newClient(f: Fixture): Promise<void> {
  const created = await createOidcClient(
    context.deps,
    { name: 'To delete', redirectUris: ['https://app.example.org/callback'] },
    CLI_ACTOR,
  );
  void f;
  fresh.clientId = created.client.clientId;
}

async function newArea(f: Fixture): Promise<void> {
  fresh.areaId = await makeArea(context.deps, `Doomed ${f.n}`);
}

/** A fresh person (in no area): the victim of an erase, or one to add to an area. */
async function newPerson(f: Fixture): Promise<void> {
  fresh.personId = await makePerson(context.deps, { name: `Fresh ${f.n}`, username: `fresh.${f.n}` });
}

async function newDeactivatedPerson(f: Fixture): Promise<void> {
  await newPerson(f);
  const now = context.deps.clock.now();
  await context.deps.db
    .updateTable('people')
    .set({ status: 'deactivated', deactivated_at: now })
    .where('id', '=', fresh.personId!)
    .execute();
}

async function newScratchMember(f: Fixture): Promise<void> {
  await newPerson(f);
  await addMember(context.deps, f.ids.scratch!, fresh.personId!);
}

async function newScratchManager(f: Fixture): Promise<void> {
  await newPerson(f);
  await addManager(context.deps, f.ids.scratch!, fresh.personId!);
}

async function newSpareMember(f: Fixture): Promise<void> {
  await newPerson(f);
  await addMember(context.deps, f.ids.spare!, fresh.personId!);
}

const CURRENT_PASSWORD = 'the current password here';
const NEW_PASSWORD = 'a brand new password here';
let currentPasswordHash: string | undefined;

/** The people who sign in here get a known password, so changing it can succeed. */
async function givePasswords(f: Fixture): Promise<void> {
  currentPasswordHash ??= await hashPassword(CURRENT_PASSWORD);
  const signedIn = ['admin', 'managerIn', 'managerOut', 'member'].map((key) => f.ids[key]!);
  await context.deps.db
    .updateTable('people')
    .set({ password_hash: currentPasswordHash })
    .where('id', 'in', signedIn)
    .execute();
}

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

function scimPatch(path: string, value: unknown): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path, value }],
  };
}

async function editFields(f: Fixture, targetId: string): Promise<Record<string, string>> {
  void f;
  const person = await findPersonById(context.deps.db, targetId);
  return { name: person!.name, username: person!.username ?? '', email: person!.email ?? '' };
}

// ---------------------------------------------------------------------------------------------
// The expected answer

type Expected = 'ok' | 'any' | 401 | 403 | 404 | 'login';

function expectedOf(url: string, method: string, spec: Spec, actor: Actor, target: Target): Expected {
  const { kind } = spec;
  const page = !url.startsWith('/api/');
  if (kind === 'public') return 'any';
  if (kind === 'scim') return 401;
  if (actor === 'anonymous') return page ? (method === 'GET' ? 'login' : 403) : 401;
  // A token is no person: what it may do about "its own" session is the route's affair.
  if (kind === 'own') return actor === 'token' ? 'any' : 'ok';
  if (actor === 'member') return 403;
  if (actor === 'admin') return 'ok';
  if (actor === 'token') return kind === 'admin-session' || (spec.twoPerson && target === 'admin') ? 403 : 'ok';
  // A manager, in scope (manages store A, where every target is) or out of it (manages store B).
  if (kind === 'admin' || kind === 'admin-session') return 403;
  if (kind === 'staff') return 'ok';
  if (kind === 'staff-batch') return actor === 'managerIn' ? 'ok' : 404;
  if (target === 'self') return kind === 'staff-view' ? 'ok' : 403;
  if (actor === 'managerOut') return 404;
  if (kind === 'staff-view') return 'ok';
  return target === 'member' ? 'ok' : 403;
}

function targetIdOf(actor: Actor, target: Target): string {
  const ids = fixture.ids;
  if (target === 'member') return ids.worker!;
  if (target === 'manager') return ids.otherManager!;
  if (target === 'admin') return ids.admin2!;
  if (actor === 'anonymous' || actor === 'token') return ids.worker!;
  return ids[actor]!;
}

describe.each(DIALECTS)('authorization table (%s)', (dialect) => {
  let app: FastifyInstance;
  let tokenHeader: string;
  const table: { route: string; actor: Actor; target: Target | '–'; status: number; expected: Expected }[] = [];

  beforeAll(async () => {
    context = await createTestContext(dialect, { env: { KEYSLIP_MANAGER_CODES_PER_HOUR: '100000' } });
    const api = await createTestApi(context);
    app = api.app;
    tokenHeader = api.admin.authorization;
    const { deps } = context;
    const ids: Record<string, string> = {};
    ids.storeA = await makeArea(deps, 'Store A');
    ids.storeB = await makeArea(deps, 'Store B');
    ids.scratch = await makeArea(deps, 'Scratch');
    ids.spare = await makeArea(deps, 'Spare');
    ids.admin = await makePerson(deps, { name: 'Ada Admin', username: 'ada.admin', role: 'admin' });
    ids.admin2 = await makePerson(deps, { name: 'Bo Admin', username: 'bo.admin', role: 'admin' });
    ids.managerIn = await makePerson(deps, { name: 'Mia Manager', username: 'mia.manager', role: 'manager' });
    ids.managerOut = await makePerson(deps, { name: 'Nils Manager', username: 'nils.manager', role: 'manager' });
    ids.otherManager = await makePerson(deps, { name: 'Max Manager', username: 'max.manager', role: 'manager' });
    ids.worker = await makePerson(deps, { name: 'Wanda Worker', username: 'wanda.worker' });
    ids.member = await makePerson(deps, { name: 'Molly Member', username: 'molly.member' });
    for (const key of ['worker', 'otherManager', 'admin2', 'managerIn']) await addMember(deps, ids.storeA, ids[key]!);
    await addManager(deps, ids.storeA, ids.managerIn);
    await addManager(deps, ids.storeB, ids.managerOut);
    const { batch } = await issueAccessCodes(deps, {
      filter: {},
      actor: { kind: 'person', id: ids.managerIn, label: 'mia.manager' },
      manager: { areaIds: [ids.storeA], quota: { managerId: ids.managerIn, perHour: 100000 } },
    });
    const client = await createOidcClient(
      deps,
      { name: 'Kept', redirectUris: ['https://app.example.org/callback'] },
      CLI_ACTOR,
    );
    fixture = {
      ids,
      batchId: batch.id,
      clientId: client.client.clientId,
      requests: {
        approvable: '00000000-0000-7000-8000-00000000aaa1',
        collectable: '00000000-0000-7000-8000-00000000aaa2',
      },
      n: 0,
    };
    await openRequests(fixture);
  });

  afterAll(async () => {
    await app.close();
    await context.close();
    // The table as built, for the issue note: route, actor, target, status, expected.
    if (process.env.AUTHZ_TABLE) {
      const lines = table.map((row) => `${row.route}\t${row.actor}\t${row.target}\t${row.status}\t${row.expected}`);
      writeFileSync(process.env.AUTHZ_TABLE, `${lines.join('\n')}\n`);
    }
  });

  it('has every route the app serves classified, and nothing classified that it does not serve', () => {
    const served = [...new Set(app.routeList.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`))];
    const unclassified = served.filter((route) => !(route in ROUTES));
    expect(unclassified, 'classify these routes in test/security/authorization.test.ts').toEqual([]);
    expect(Object.keys(ROUTES).filter((route) => !served.includes(route))).toEqual([]);
  });

  async function request(route: string, spec: Spec, actor: Actor, target: Target): Promise<LightMyRequestResponse> {
    const { deps } = context;
    const [method, pattern] = route.split(' ') as [string, string];
    fixture.n += 1;
    // Everyone active again and a fresh session for each request: a route may deactivate its
    // target or end sessions, and the next request must not inherit that.
    await deps.db
      .updateTable('people')
      .set({ status: 'active' })
      .where('id', 'in', Object.values(fixture.ids))
      .execute();
    await spec.prepare?.(fixture);
    const targetId = targetIdOf(actor, target);
    const path = spec.path ? spec.path(fixture) : pattern.replace(':id', targetId);
    const headers: Record<string, string> = { accept: pattern.startsWith('/api/') ? 'application/json' : 'text/html' };
    let csrf = 'not-a-token';
    if (actor === 'token') headers.authorization = tokenHeader;
    else if (actor !== 'anonymous') {
      const session = await createSession(deps.db, deps.config, fixture.ids[actor]!, deps.clock.now(), {
        ip: null,
        userAgent: null,
      });
      headers.cookie = `keyslip_session=${session.token}`;
      csrf = csrfTokenFor(deps.keyring, session.idHash);
    }
    const raw = spec.body ? await spec.body(fixture, targetId) : undefined;
    let payload: string | undefined;
    if (spec.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams({ ...(raw as Record<string, string>), _csrf: csrf }).toString();
    } else if (typeof raw === 'string') {
      headers['content-type'] = 'text/csv';
      payload = raw;
    } else if (raw !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(raw);
    }
    return app.inject({ method: method as 'GET', url: path, headers, ...(payload !== undefined ? { payload } : {}) });
  }

  it('answers every route as its class says, for every actor and target', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    for (const [route, spec] of Object.entries(ROUTES)) {
      const api = route.split(' ')[1]!.startsWith('/api/');
      const perTarget = spec.kind.startsWith('staff-') && spec.kind !== 'staff-batch';
      const actors: Actor[] = [
        'admin',
        'managerIn',
        'managerOut',
        'member',
        'anonymous',
        ...(api || spec.kind === 'scim' ? ['token' as const] : []),
      ];
      for (const actor of actors) {
        const targets: Target[] = perTarget ? ['member', 'manager', 'admin', 'self'] : ['member'];
        for (const target of targets) {
          const response = await request(route, spec, actor, target);
          const method = route.split(' ')[0]!;
          const expected = expectedOf(route.split(' ')[1]!, route.split(' ')[0]!, spec, actor, target);
          const status = response.statusCode;
          const okay =
            expected === 'any'
              ? status < 500
              : expected === 'ok'
                ? status < 400 && !(method === 'GET' && String(response.headers.location ?? '').startsWith('/login'))
                : expected === 'login'
                  ? status === 303 && String(response.headers.location ?? '').startsWith('/login')
                  : status === expected;
          table.push({ route, actor, target: perTarget ? target : '–', status, expected });
          if (!okay)
            failures.push(
              `${route} as ${actor} on ${target}: ${status} (expected ${expected}) ${response.body.slice(0, 200)}`,
            );
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers HEAD as GET for a manager (the HEAD routes Fastify adds carry the same policy)', async () => {
    for (const route of ['GET /api/v1/people', 'GET /admin/people', 'GET /api/v1/tokens', 'GET /admin/tokens']) {
      const spec = ROUTES[route]!;
      const get = await request(route, spec, 'managerIn', 'member');
      const head = await request(route.replace('GET', 'HEAD'), spec, 'managerIn', 'member');
      expect(head.statusCode, route).toBe(get.statusCode);
    }
  });

  it('hides a person outside the areas exactly as a missing one', async () => {
    const { deps } = context;
    const session = await createSession(deps.db, deps.config, fixture.ids.managerOut!, deps.clock.now(), {
      ip: null,
      userAgent: null,
    });
    const get = (url: string) =>
      app.inject({ method: 'GET', url, headers: { cookie: `keyslip_session=${session.token}` } });
    for (const suffix of ['', '/access-code']) {
      const outside = await get(`/api/v1/people/${fixture.ids.worker}${suffix}`);
      const none = await get(`/api/v1/people/00000000-0000-7000-8000-000000000000${suffix}`);
      expect(outside.statusCode).toBe(404);
      expect(outside.body).toBe(none.body);
    }
  });
});
