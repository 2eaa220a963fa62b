import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { createTestApi, sessionCookieOf, type TestApi } from './helpers/api.js';

describe.each(DIALECTS)('core journey through the API (%s)', (dialect) => {
  let context: TestContext;
  let api: TestApi;
  beforeAll(async () => {
    context = await createTestContext(dialect);
    api = await createTestApi(context);
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
  });

  it('creates a person, issues a code, and the person claims the account with it', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/people',
      headers: api.admin,
      payload: { name: 'Åsa Öberg', employeeId: 'E100' },
    });
    expect(created.statusCode).toBe(201);
    const person = created.json();
    const issued = await api.app.inject({
      method: 'POST',
      url: `/api/v1/people/${person.id}/access-code`,
      headers: api.admin,
    });
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { code } = issued.json();
    const check = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/check',
      payload: { code: code.toLowerCase() },
    });
    expect(check.json()).toEqual({ username: null, claim: true });
    const redeem = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username: 'asa.oberg', password: 'a long enough passphrase' },
    });
    expect(redeem.statusCode).toBe(200);
    const cookie = sessionCookieOf(redeem.headers['set-cookie']);
    expect(cookie).not.toBeNull();
    const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookie! } });
    expect(me.json().person.username).toBe('asa.oberg');
    expect(me.json().person.status).toBe('active');
    const again = await api.app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } });
    expect(again.json().error.code).toBe('code_unusable');
  });
});
