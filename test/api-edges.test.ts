// Edges an HR script or admin tooling runs into: filled-in URL templates, odd Accept headers,
// the last admin, odd ids, and configuration mistakes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { createTestApi, type TestApi } from './helpers/api.js';

describe.each(DIALECTS)('API edges (%s)', (dialect) => {
  let context: TestContext;
  let api: TestApi;
  beforeAll(async () => {
    context = await createTestContext(dialect, { env: { KEYSLIP_RATE_CODE_FAILURES: '2' } });
    api = await createTestApi(context);
  });
  afterAll(async () => {
    await api.app.close();
    await context.close();
  });

  const create = async (payload: Record<string, unknown>): Promise<{ id: string }> => {
    const response = await api.app.inject({ method: 'POST', url: '/api/v1/people', headers: api.admin, payload });
    expect(response.statusCode).toBe(201);
    return response.json();
  };

  it('empty query parameters of the search template mean "not given"', async () => {
    await create({ name: 'Template Person', employeeId: 'T-1' });
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/v1/people?q=&hasEmail=&status=&codeState=&department=&location=&limit=&cursor=',
      headers: api.admin,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().items.length).toBeGreaterThan(0);
  });

  it('a bulk issue asking for a format Keyslip cannot give is refused before any code is replaced', async () => {
    const person = await create({ name: 'Kept Code', employeeId: 'T-2' });
    const issued = await api.app.inject({
      method: 'POST',
      url: `/api/v1/people/${person.id}/access-code`,
      headers: api.admin,
    });
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-codes/bulk',
      headers: { ...api.admin, accept: 'image/png' },
      payload: { filter: { q: 'Kept Code' } },
    });
    expect(response.statusCode).toBe(406);
    expect(response.json().error.code).toBe('not_acceptable');
    const check = await api.app.inject({
      method: 'POST',
      url: '/api/v1/access-code/check',
      payload: { code: issued.json().code },
    });
    expect(check.statusCode).toBe(200);
  });

  it('a number too large to be finite is refused, not a server error', async () => {
    for (const url of ['/api/v1/people?limit=1e400', '/api/v1/people?limit=-1e400', '/api/v1/audit?limit=1e400']) {
      const response = await api.app.inject({ method: 'GET', url, headers: api.admin });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
  });

  it('a malformed person id is not found, like an unknown one', async () => {
    for (const id of ['nonexistent', '01234567-89ab-7def-8123-456789abcdef']) {
      const response = await api.app.inject({ method: 'GET', url: `/api/v1/people/${id}`, headers: api.admin });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
  });

  it('a name with a lone surrogate is refused', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/people',
      headers: api.admin,
      payload: { name: 'Bad \ud800 name', employeeId: 'T-3' },
    });
    expect(response.statusCode).toBe(400);
  });

  it('the last admin can be neither demoted nor deactivated; with a second admin, one can', async () => {
    const admins = await api.app.inject({ method: 'GET', url: '/api/v1/people?q=last.admin', headers: api.admin });
    expect(admins.json().items).toHaveLength(0);
    const first = await create({ name: 'Last Admin', username: 'last.admin', role: 'admin' });
    const demote = (id: string) =>
      api.app.inject({ method: 'PATCH', url: `/api/v1/people/${id}`, headers: api.admin, payload: { role: 'member' } });
    expect((await demote(first.id)).statusCode).toBe(409);
    expect(
      (await api.app.inject({ method: 'POST', url: `/api/v1/people/${first.id}/deactivate`, headers: api.admin }))
        .statusCode,
    ).toBe(409);
    const second = await create({ name: 'Second Admin', username: 'second.admin', role: 'admin' });
    expect((await demote(first.id)).statusCode).toBe(200);
    expect((await demote(second.id)).statusCode).toBe(409);
  });

  it('one claim code cannot be used to list usernames: availability checks are limited per address', async () => {
    const person = await create({ name: 'Chooser', employeeId: 'T-4' });
    const { code } = (
      await api.app.inject({ method: 'POST', url: `/api/v1/people/${person.id}/access-code`, headers: api.admin })
    ).json();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/api/v1/access-code/username-available',
        remoteAddress: '10.9.9.9',
        payload: { code, username: `probe${i}` },
      });
      statuses.push(response.statusCode);
    }
    // KEYSLIP_RATE_CODE_FAILURES=2 allows 6 checks per window.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });
});

describe('configuration', () => {
  it('reports a KEYSLIP_TRUST_PROXY entry that is not an address or range, with every other problem', () => {
    let error: unknown;
    try {
      loadConfig({ KEYSLIP_TRUST_PROXY: 'bogus,999.1.1.1/77,10.0.0.0/8', KEYSLIP_PORT: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('"bogus"');
    expect(problems).toContain('"999.1.1.1/77"');
    expect(problems).not.toContain('"10.0.0.0/8"');
    expect(problems).toContain('KEYSLIP_PORT');
    expect(loadConfig({ KEYSLIP_TRUST_PROXY: '127.0.0.1, ::1, 10.0.0.0/8, loopback' }).trustProxy).toHaveLength(4);
  });
});

describe.each(DIALECTS)('CSV import from a Swedish spreadsheet (%s)', (dialect) => {
  it('reads a semicolon-separated file, as Excel saves "CSV" in comma-decimal locales', async () => {
    const context = await createTestContext(dialect);
    const api = await createTestApi(context);
    const body = '\ufeffname;employeeId;department\r\nÅsa Öberg;S-1;Lager, norra\r\n"Berg; Bo";S-2;Kassa\r\n';
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/people/import',
      headers: { ...api.admin, 'content-type': 'text/csv' },
      payload: body,
    });
    expect(response.json()).toEqual({ created: 2, updated: 0, unchanged: 0, errors: [] });
    const found = await api.app.inject({ method: 'GET', url: '/api/v1/people?q=berg', headers: api.admin });
    expect(
      found
        .json()
        .items.map((p: { name: string; department: string }) => [p.name, p.department])
        .sort(),
    ).toEqual([
      ['Berg; Bo', 'Kassa'],
      ['Åsa Öberg', 'Lager, norra'],
    ]);
    await api.app.close();
    await context.close();
  });
});
