// SCIM clients retry and run in parallel (Entra ID sends several requests at once): the database
// decides, so the same user created twice at once is one person and one 409, and parallel
// membership changes of one area all land, with no 5xx.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import { createScimClient, GROUP_SCHEMA, patch, USER_SCHEMA, type ScimClient } from '../helpers/scim.js';

describe.each(DIALECTS)('SCIM under concurrency (%s)', (dialect) => {
  let context: TestContext;
  let scim: ScimClient;

  beforeEach(async () => {
    context = await createTestContext(dialect);
    scim = await createScimClient(context);
  });
  afterEach(async () => {
    await scim.app.close();
    await context.close();
  });

  it('the same user posted six times at once: one 201, five 409 uniqueness, one person, one audit entry', async () => {
    const body = { schemas: [USER_SCHEMA], userName: 'twin.one', externalId: 'tw-1', displayName: 'Twin One' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => scim.request('POST', '/Users', body)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) expect(answer.body.scimType).toBe('uniqueness');
    expect(await context.deps.db.selectFrom('people').select('id').execute()).toHaveLength(1);
    const created = await context.deps.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'person.created')
      .execute();
    expect(created).toHaveLength(1);
  });

  it('parallel member adds and a rename of one group all land', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const made = await scim.request('POST', '/Users', { schemas: [USER_SCHEMA], userName: `member.${i}` });
      ids.push(made.body.id as string);
    }
    const group = await scim.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Busy store' });
    const groupId = group.body.id as string;
    const answers = await Promise.all([
      ...ids.map((id) =>
        scim.request('PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value: id }] })),
      ),
      scim.request('PATCH', `/Groups/${groupId}`, patch({ op: 'replace', path: 'displayName', value: 'Busy store 2' })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204, 204]);
    const after = await scim.request('GET', `/Groups/${groupId}`);
    expect(after.body.displayName).toBe('Busy store 2');
    expect(after.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...ids].sort());
  });

  it('a disable and a profile update of one user at once: both land, in some order', async () => {
    const made = await scim.request('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'both.ways' });
    const id = made.body.id as string;
    const [off, titled] = await Promise.all([
      scim.request('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: false })),
      scim.request('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'title', value: 'Baker' })),
    ]);
    expect([off.status, titled.status]).toEqual([200, 200]);
    const after = await scim.request('GET', `/Users/${id}`);
    expect(after.body).toMatchObject({ active: false, title: 'Baker' });
  });
});
