// A replay of what Okta sends to a SCIM 2.0 app, built from Okta's "SCIM 2.0 protocol reference"
// (developer.okta.com, okta-scim guides/scim-20): a userName query with startIndex and count, a
// POST with `password` and `groups` it does not expect back, a PUT of the whole user for every
// profile update, deactivation and reactivation as a path-less PATCH of `active`, and group push:
// create, a path-less replace that repeats the group's id, members added by value and removed by
// a filter path, delete.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import {
  createScimClient,
  ENTERPRISE,
  GROUP_SCHEMA,
  LIST,
  patch,
  USER_SCHEMA,
  type ScimClient,
} from '../helpers/scim.js';

describe.each(DIALECTS)('Okta provisioning, replayed (%s)', (dialect) => {
  let context: TestContext;
  let scim: ScimClient;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    scim = await createScimClient(context, { tokenName: 'okta' });
  });
  afterEach(async () => {
    await scim.app.close();
    await context.close();
  });

  const oktaUser = {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'jonas.nilsson',
    name: { givenName: 'Jonas', familyName: 'Nilsson' },
    emails: [{ primary: true, value: 'jonas.nilsson@example.com', type: 'work' }],
    displayName: 'Jonas Nilsson',
    locale: 'sv-SE',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: 'not-kept-1234567',
    active: true,
    [ENTERPRISE]: { employeeNumber: '4711' },
  };

  it('assigns a user: query by userName (paged), create, read back; the password Okta sends is not kept', async () => {
    const query = await scim.request('GET', '/Users?filter=userName%20eq%20%22jonas.nilsson%22&startIndex=1&count=100');
    expect(query.body).toMatchObject({ schemas: [LIST], totalResults: 0, Resources: [] });

    const created = await scim.request('POST', '/Users', oktaUser);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(created.body.meta.location);
    expect(created.body).toMatchObject({
      userName: 'jonas.nilsson',
      displayName: 'Jonas Nilsson',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
    expect(JSON.stringify(created.body)).not.toContain('not-kept');
    const person = await context.deps.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(person.password_hash).toBeNull();
    expect(person.employee_id).toBe('4711');

    const again = await scim.request('GET', '/Users?filter=userName%20eq%20%22jonas.nilsson%22&startIndex=1&count=100');
    expect(again.body.totalResults).toBe(1);
    expect(again.body.Resources[0].id).toBe(created.body.id);
  });

  it('profile updates come as PUT of the whole user: changed fields change, left-out ones are cleared', async () => {
    const created = await scim.request('POST', '/Users', oktaUser);
    const id = created.body.id as string;
    const put = await scim.request('PUT', `/Users/${id}`, {
      ...oktaUser,
      id,
      name: { givenName: 'Jonas', familyName: 'Berg' },
      displayName: 'Jonas Berg',
      emails: [{ primary: true, value: 'jonas.berg@example.com', type: 'work' }],
      [ENTERPRISE]: { employeeNumber: '4711', department: 'Warehouse' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      displayName: 'Jonas Berg',
      emails: [{ value: 'jonas.berg@example.com', primary: true, type: 'work' }],
      [ENTERPRISE]: { employeeNumber: '4711', department: 'Warehouse' },
    });

    const { emails: _emails, ...withoutEmail } = oktaUser;
    const cleared = await scim.request('PUT', `/Users/${id}`, { ...withoutEmail, id });
    expect(cleared.status).toBe(200);
    expect(cleared.body.emails).toBeUndefined();
    expect(cleared.body.displayName).toBe('Jonas Nilsson');

    // The same PUT again changes nothing and writes no audit entry.
    const before = await context.deps.db.selectFrom('audit_events').select('id').execute();
    expect((await scim.request('PUT', `/Users/${id}`, { ...withoutEmail, id })).status).toBe(200);
    expect(await context.deps.db.selectFrom('audit_events').select('id').execute()).toHaveLength(before.length);
  });

  it('unassign deactivates by a path-less PATCH of active, reassign reactivates; PUT of active too', async () => {
    const created = await scim.request('POST', '/Users', oktaUser);
    const id = created.body.id as string;
    const off = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { active: false } }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const on = await scim.request('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { active: true } }));
    expect(on.body.active).toBe(true);
    const putOff = await scim.request('PUT', `/Users/${id}`, { ...oktaUser, id, active: false });
    expect(putOff.body.active).toBe(false);
    const status = await context.deps.db
      .selectFrom('people')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe('deactivated');
  });

  it('group push: create, rename with the id repeated, add members, remove by filter path, delete', async () => {
    const jonas = (await scim.request('POST', '/Users', oktaUser)).body.id as string;
    const eva = (
      await scim.request('POST', '/Users', {
        ...oktaUser,
        userName: 'eva.holm',
        displayName: 'Eva Holm',
        externalId: '00ujl29u0le5T6Aj10h8',
        emails: [{ primary: true, value: 'eva.holm@example.com', type: 'work' }],
        [ENTERPRISE]: {},
      })
    ).body.id as string;

    const created = await scim.request('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Ward 3',
      members: [],
    });
    expect(created.status).toBe(201);
    const groupId = created.body.id as string;

    const found = await scim.request('GET', '/Groups?filter=displayName%20eq%20%22Ward%203%22&startIndex=1&count=100');
    expect(found.body.Resources.map((g: { id: string }) => g.id)).toEqual([groupId]);

    const renamed = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'replace', value: { id: groupId, displayName: 'Ward 3 East' } }),
    );
    expect(renamed.status).toBe(204);

    const added = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({
        op: 'add',
        path: 'members',
        value: [
          { value: jonas, display: 'jonas.nilsson' },
          { value: eva, display: 'eva.holm' },
        ],
      }),
    );
    expect(added.status).toBe(204);
    const removed = await scim.request(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'remove', path: `members[value eq "${jonas}"]` }),
    );
    expect(removed.status).toBe(204);
    const group = await scim.request('GET', `/Groups/${groupId}`);
    expect(group.body).toMatchObject({ displayName: 'Ward 3 East', members: [{ value: eva, display: 'Eva Holm' }] });
    const members = await context.deps.db
      .selectFrom('area_members')
      .select('person_id')
      .where('area_id', '=', groupId)
      .execute();
    expect(members.map((m) => m.person_id)).toEqual([eva]);

    // A PUT of the group sets exactly its members.
    const put = await scim.request('PUT', `/Groups/${groupId}`, {
      schemas: [GROUP_SCHEMA],
      displayName: 'Ward 3 East',
      members: [{ value: jonas }],
    });
    expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([jonas]);

    expect((await scim.request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    const areas = await context.deps.db.selectFrom('areas').select('id').execute();
    expect(areas).toEqual([]);
  });
});
