// A replay of what Microsoft Entra ID's provisioning service sends, built from Microsoft's
// "Develop and plan provisioning for a SCIM endpoint" (request/response examples) and "Known
// issues with SCIM 2.0 protocol compliance" (the requests sent with and without the
// aadOptscim062020 flag): create, find by userName and by work email, both PATCH forms,
// disable ("False" as a string), re-enable, groups with members, delete — each answered as
// Entra expects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessCodeStateOf } from './support.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import {
  createScimClient,
  ENTERPRISE,
  ERROR,
  GROUP_SCHEMA,
  KEYSLIP,
  LIST,
  patch,
  USER_SCHEMA,
  type ScimClient,
} from '../helpers/scim.js';

describe.each(DIALECTS)('Microsoft Entra ID provisioning, replayed (%s)', (dialect) => {
  let context: TestContext;
  let scim: ScimClient;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    scim = await createScimClient(context, { tokenName: 'entra-prod' });
  });
  afterEach(async () => {
    await scim.app.close();
    await context.close();
  });

  async function createAnna(): Promise<string> {
    const created = await scim.request('POST', '/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'anna.lindqvist',
      active: true,
      displayName: 'Anna Lindqvist',
      emails: [{ primary: true, type: 'work', value: 'Anna.Lindqvist@example.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Anna Lindqvist', familyName: 'Lindqvist', givenName: 'Anna' },
      roles: [],
      [ENTERPRISE]: { employeeNumber: 'E1001', department: 'Store 12' },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  it('test connection, then create: a query for a user that is not there is an empty ListResponse', async () => {
    const none = await scim.request('GET', '/Users?filter=userName eq "non-existent user"');
    expect(none.status).toBe(200);
    expect(none.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(none.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    // Entra's test connection asks for a random id it does not expect to exist: a SCIM 404.
    const missing = await scim.request('GET', '/Users/5171a35d82074e068ce2');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ schemas: [ERROR], status: '404' });
  });

  it('creates a user, finds it by userName and by work email, and GETs it with its Keyslip state', async () => {
    const id = await createAnna();
    const person = await context.deps.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(person).toMatchObject({
      name: 'Anna Lindqvist',
      username: 'anna.lindqvist',
      email: 'anna.lindqvist@example.com',
      employee_id: 'E1001',
      department: 'Store 12',
      status: 'unclaimed',
      role: 'member',
    });

    const byName = await scim.request('GET', '/Users?filter=userName eq "Anna.Lindqvist"');
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0]).toMatchObject({
      id,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'anna.lindqvist',
      active: true,
      emails: [{ value: 'anna.lindqvist@example.com', type: 'work', primary: true }],
      name: { givenName: 'Anna', familyName: 'Lindqvist', formatted: 'Anna Lindqvist' },
      [ENTERPRISE]: { employeeNumber: 'E1001', department: 'Store 12' },
      [KEYSLIP]: { status: 'unclaimed', codeState: 'none' },
    });
    const byEmail = await scim.request(
      'GET',
      `/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "anna.lindqvist@example.com"')}`,
    );
    expect(byEmail.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);

    const got = await scim.request('GET', `/Users/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe(got.body.meta.version);
    expect(got.body.meta).toMatchObject({
      resourceType: 'User',
      location: `http://127.0.0.1:3000/scim/v2/Users/${id}`,
    });
  });

  it('PATCH without the compliance flag: capitalised ops, one path each, employeeNumber by URN path', async () => {
    const id = await createAnna();
    const response = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'Replace', path: 'displayName', value: 'Anna Berg' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'anna.berg@example.com' },
        { op: 'Replace', path: 'name.givenName', value: 'Anna' },
        { op: 'Replace', path: 'name.familyName', value: 'Berg' },
        { op: 'Replace', path: 'externalId', value: 'ext-anna-2' },
        { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: 'E2001' },
        { op: 'Add', path: 'title', value: 'Shift lead' },
      ),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      displayName: 'Anna Berg',
      externalId: 'ext-anna-2',
      title: 'Shift lead',
      emails: [{ value: 'anna.berg@example.com', type: 'work', primary: true }],
      name: { givenName: 'Anna', familyName: 'Berg' },
      [ENTERPRISE]: { employeeNumber: 'E2001', department: 'Store 12' },
    });
  });

  it('PATCH with the compliance flag: path-less replace with dotted keys and the enterprise URN as a key', async () => {
    const id = await createAnna();
    const response = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'anna.w@example.com' },
        {
          op: 'replace',
          value: {
            displayName: 'Anna Wik',
            'name.givenName': 'Anna',
            'name.familyName': 'Wik',
            [`${ENTERPRISE}:employeeNumber`]: 'E3001',
            [ENTERPRISE]: { department: 'Depot 4' },
          },
        },
      ),
    );
    expect(response.status).toBe(200);
    const person = await context.deps.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(person).toMatchObject({
      name: 'Anna Wik',
      email: 'anna.w@example.com',
      employee_id: 'E3001',
      department: 'Depot 4',
    });
  });

  it('a name change through the name parts alone renames the person', async () => {
    const id = await createAnna();
    await scim.request('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'name.familyName', value: 'Ek' }));
    const got = await scim.request('GET', `/Users/${id}`);
    expect(got.body.displayName).toBe('Anna Ek');
  });

  it('disables with "False" (no flag) and false (flag), re-enables with "True": deactivate, reactivate', async () => {
    const id = await createAnna();
    const code = await accessCodeStateOf(context, id, { issue: true });
    expect(code).toBe('active');

    const off = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(off.body[KEYSLIP]).toMatchObject({ status: 'deactivated', codeState: 'deactivated' });

    const on = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'True' }));
    expect(on.body.active).toBe(true);
    expect(on.body[KEYSLIP].status).toBe('unclaimed');

    const offAgain = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'replace', path: 'active', value: false }),
    );
    expect(offAgain.body.active).toBe(false);
    const actions = await context.deps.db
      .selectFrom('audit_events')
      .select(['action', 'actor_label'])
      .where('person_id', '=', id)
      .orderBy('id')
      .execute();
    expect(actions.filter((a) => a.actor_label === 'scim:entra-prod').map((a) => a.action)).toEqual([
      'person.created',
      'person.deactivated',
      'person.reactivated',
      'person.deactivated',
    ]);
  });

  it('groups: create empty, find by displayName without members, rename, add and remove members, delete', async () => {
    const anna = await createAnna();
    const created = await scim.request('POST', '/Groups', {
      schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Store 12',
      meta: { resourceType: 'Group' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: 'Store 12', members: [] });
    const groupId = created.body.id as string;

    const found = await scim.request(
      'GET',
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "store 12"')}`,
    );
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toEqual({
      schemas: [GROUP_SCHEMA],
      id: groupId,
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Store 12',
      meta: expect.objectContaining({ resourceType: 'Group' }),
    });

    const renamed = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Store 12 Centrum' }),
    );
    expect(renamed.status).toBe(204);

    const added = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: anna }] }),
    );
    expect(added.status).toBe(204);
    const withMember = await scim.request('GET', `/Groups/${groupId}`);
    expect(withMember.body.displayName).toBe('Store 12 Centrum');
    expect(withMember.body.members).toEqual([
      { value: anna, display: 'Anna Lindqvist', $ref: `http://127.0.0.1:3000/scim/v2/Users/${anna}` },
    ]);

    // Is the user in the group? (`id eq … and members eq …`, as sync clients ask it.)
    const membership = encodeURIComponent(`id eq "${groupId}" and members eq "${anna}"`);
    const isMember = async (): Promise<number> =>
      (await scim.request('GET', `/Groups?excludedAttributes=members&filter=${membership}`)).body.totalResults;
    expect(await isMember()).toBe(1);

    // Without the flag: remove with a value list; with it: remove by a filter path. Both idempotent.
    const removed = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: anna }] }),
    );
    expect(removed.status).toBe(204);
    await scim.request('PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value: anna }] }));
    const removedByFilter = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'remove', path: `members[value eq "${anna}"]` }),
    );
    expect(removedByFilter.status).toBe(204);
    const again = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'remove', path: `members[value eq "${anna}"]` }),
    );
    expect(again.status).toBe(204);
    expect((await scim.request('GET', `/Groups/${groupId}`)).body.members).toEqual([]);
    expect(await isMember()).toBe(0);

    const areaAudit = await context.deps.db
      .selectFrom('audit_events')
      .select(['action'])
      .where('area_id', '=', groupId)
      .where('actor_label', '=', 'scim:entra-prod')
      .orderBy('id')
      .execute();
    expect(areaAudit.map((a) => a.action)).toEqual([
      'area.created',
      'area.renamed',
      'area.member_added',
      'area.member_removed',
      'area.member_added',
      'area.member_removed',
    ]);

    expect((await scim.request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect((await scim.request('GET', `/Groups/${groupId}`)).status).toBe(404);
  });

  it('delete: the person is deactivated and hidden from SCIM, the audit history stays', async () => {
    const id = await createAnna();
    const deleted = await scim.request('DELETE', `/Users/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await scim.request('GET', `/Users/${id}`)).status).toBe(404);
    expect((await scim.request('GET', '/Users?filter=userName eq "anna.lindqvist"')).body.totalResults).toBe(0);
    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(404);
    const person = await context.deps.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(person.status).toBe('deactivated');
    const actions = await context.deps.db
      .selectFrom('audit_events')
      .select('action')
      .where('person_id', '=', id)
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['person.created', 'person.deactivated', 'person.deprovisioned']);
  });
});
