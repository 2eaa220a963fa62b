// /api/openapi.json tells the truth, checked by outside tools: Redocly's recommended rules find no
// error, the client types generated from it (openapi-typescript) are the checked-in ones, and the
// document holds what a client generator and a contract-validating gateway rely on. Prism replays
// real traffic against it in api-prism.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { ERRORS } from '../src/errors.js';
import { createTestContext, type TestContext } from './helpers/deps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const API_TYPES_FILE = path.join(ROOT, 'test/api-client/keyslip-api.ts');
const API_TYPES_HEADER =
  '// Generated from /api/openapi.json by openapi-typescript: do not edit. To regenerate after a change to\n' +
  '// the API: npm run api:types (test/api-document.test.ts checks that this file is fresh).\n';

type Json = Record<string, unknown>;
type Operation = { operationId?: string; summary?: string; tags?: string[]; security?: unknown[] } & Json;

/** The API document as the server serves it. */
export async function servedDocument(context: TestContext): Promise<Json> {
  const app = await buildApp(context.deps);
  try {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    return response.json() as Json;
  } finally {
    await app.close();
  }
}

/** The client types openapi-typescript makes of the document. */
export async function generatedTypes(doc: Json): Promise<string> {
  const ast = await openapiTS(doc as never, { alphabetize: true });
  return API_TYPES_HEADER + astToString(ast);
}

function operationsOf(doc: Json): [string, string, Operation][] {
  const list: [string, string, Operation][] = [];
  for (const [p, item] of Object.entries(doc.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) list.push([method, p, operation as Operation]);
  }
  return list;
}

describe('the API document', () => {
  let context: TestContext;
  let doc: Json;
  beforeAll(async () => {
    context = await createTestContext('sqlite', { env: { KEYSLIP_METRICS_TOKEN: 'metrics-token-metrics-token-0001' } });
    doc = await servedDocument(context);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('passes Redocly lint (recommended rules) with no error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      fs.writeFileSync(file, JSON.stringify(doc));
      const cli = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
      const args = [cli, 'lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format=json'];
      const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      const report = JSON.parse(run.stdout) as { totals: { errors: number }; problems: { ruleId: string }[] };
      expect(report.problems.filter((p) => (p as { severity?: string }).severity === 'error')).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the checked-in client types are the ones generated from it', async () => {
    const fresh = await generatedTypes(doc);
    if (process.env.UPDATE_API_TYPES === '1') fs.writeFileSync(API_TYPES_FILE, fresh);
    const stale = 'test/api-client/keyslip-api.ts is stale: run `npm run api:types`';
    expect(fs.readFileSync(API_TYPES_FILE, 'utf8') === fresh, stale).toBe(true);
  });

  it('holds the API only: no HTML pages, OpenID Connect or SCIM protocol routes', () => {
    const paths = Object.keys(doc.paths as Json);
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths) expect(p, p).toMatch(/^(\/api\/v1\/|\/healthz$|\/metrics$)/);
  });

  it('names every operation uniquely, sums it up, and declares every tag it uses with a description', () => {
    const ids = new Set<string>();
    const tags = new Map((doc.tags as { name: string; description: string }[]).map((t) => [t.name, t.description]));
    for (const [method, p, operation] of operationsOf(doc)) {
      expect(operation.operationId, `${method} ${p}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(operation.operationId!), operation.operationId).toBe(false);
      ids.add(operation.operationId!);
      expect(operation.summary, `${method} ${p}`).toBeTruthy();
      for (const tag of operation.tags ?? []) expect(tags.get(tag), tag).toBeTruthy();
    }
    expect((doc.servers as unknown[]).length).toBe(1);
  });

  it('marks public operations public and the sign-outs session-only', () => {
    const byId = new Map(operationsOf(doc).map(([, , operation]) => [operation.operationId, operation]));
    const publicOnes = ['getHealth', 'checkAccessCode', 'checkUsernameAvailable', 'redeemAccessCode', 'signIn'];
    for (const id of publicOnes) expect(byId.get(id)?.security, id).toEqual([]);
    for (const id of ['signOut', 'signOutEverywhere']) expect(byId.get(id)?.security, id).toEqual([{ session: [] }]);
    expect(byId.get('getMetrics')?.security).toEqual([{ metricsToken: [] }]);
    expect(byId.get('createPerson')?.security).toBeUndefined(); // the document's default: bearer or session
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
  });

  it('documents bodies as the server takes them: CSV import, optional bodies, required ones', () => {
    const paths = doc.paths as Record<string, Record<string, { requestBody?: Json }>>;
    const importBody = paths['/api/v1/people/import']!.post!.requestBody!;
    expect(importBody.required).toBe(true);
    expect(Object.keys(importBody.content as Json)).toEqual(['text/csv']);
    expect(paths['/api/v1/people/{id}/access-code']!.post!.requestBody!.required).toBe(false);
    expect(paths['/api/v1/access-codes/bulk']!.post!.requestBody!.required).toBe(true);
    const schemas = (doc.components as { schemas: Record<string, { required?: string[]; properties: Json }> }).schemas;
    expect(schemas.PersonCreate!.required).toEqual(['name']);
    expect(schemas.PersonPatch!.required).toBeUndefined();
    expect(schemas.BulkIssue!.required).toEqual(['filter']);
  });

  it('lists every error code in the Error schema, and the statuses every operation can answer', () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const error = schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect([...error.properties.error.properties.code.enum].sort()).toEqual(Object.keys(ERRORS).sort());
    for (const [method, p, operation] of operationsOf(doc)) {
      const statuses = Object.keys(operation.responses as Json);
      for (const status of ['500', '503']) expect(statuses, `${method} ${p}`).toContain(status);
      if (operation.requestBody)
        for (const status of ['413', '415']) expect(statuses, `${method} ${p}`).toContain(status);
      const responses = operation.responses as Record<string, { headers?: Json }>;
      for (const status of ['429', '503'])
        if (responses[status]) expect(Object.keys(responses[status]!.headers ?? {})).toContain('Retry-After');
    }
  });

  it('declares the headers clients rely on', () => {
    const headersOf = (p: string, method: string, status: string): string[] => {
      const operation = (doc.paths as Record<string, Record<string, Operation>>)[p]![method]!;
      return Object.keys((operation.responses as Record<string, { headers?: Json }>)[status]!.headers ?? {});
    };
    expect(headersOf('/api/v1/access-codes/bulk', 'post', '201')).toEqual(
      expect.arrayContaining(['Location', 'Keyslip-Batch-Id']),
    );
    expect(headersOf('/api/v1/access-codes/bulk', 'post', '200')).toContain('Idempotent-Replayed');
    expect(headersOf('/api/v1/people/{id}', 'get', '200')).toContain('ETag');
    expect(headersOf('/api/v1/people/{id}', 'patch', '200')).toContain('ETag');
    expect(headersOf('/api/v1/people', 'post', '201')).toEqual(expect.arrayContaining(['Location', 'ETag']));
    expect(headersOf('/api/v1/sessions', 'post', '201')).toContain('Set-Cookie');
    expect(headersOf('/api/v1/access-code/redeem', 'post', '200')).toContain('Set-Cookie');
    expect(headersOf('/api/v1/access-code/check', 'post', '429')).toContain('Retry-After');
  });

  it("has the server's limits: a value the document allows is not refused for its length", async () => {
    const schemas = (doc.components as { schemas: Record<string, { properties: Record<string, Json> }> }).schemas;
    const create = schemas.PersonCreate!.properties;
    const maxOf = (field: string): number => {
      const schema = create[field]!;
      const text = (schema.anyOf as Json[] | undefined)?.find((s) => s.type === 'string') ?? schema;
      return text.maxLength as number;
    };
    const app = await buildApp(context.deps);
    try {
      const token = await import('../src/sessions/api-tokens.js');
      const { CLI_ACTOR } = await import('../src/audit/audit.js');
      const made = await token.createApiToken(context.deps.db, {
        name: 'doc',
        actor: CLI_ACTOR,
        now: context.clock.now(),
      });
      const headers = { authorization: `Bearer ${made.token}` };
      const at = (n: number, field: string): Json => ({
        name: 'Limit Test',
        username: `limit${field.toLowerCase().slice(0, 5)}`,
        [field]: 'x'.repeat(n),
      });
      for (const field of ['name', 'department', 'location', 'title', 'employeeId']) {
        const max = maxOf(field);
        const fits = await app.inject({ method: 'POST', url: '/api/v1/people', headers, payload: at(max, field) });
        expect(fits.statusCode, `${field} at ${max}: ${fits.body}`).toBe(201);
        const over = await app.inject({ method: 'POST', url: '/api/v1/people', headers, payload: at(max + 1, field) });
        expect(over.statusCode, `${field} at ${max + 1}`).toBe(400);
        expect(over.json().error.fields[0].field).toBe(field);
        await context.deps.db.deleteFrom('people').where('id', '=', fits.json().id).execute();
      }
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers,
        payload: { name: 'X', username: 'xxx', manager: 'y' },
      });
      expect(unknown.json().error.fields).toEqual([{ field: 'manager', message: 'is not a known field' }]);
    } finally {
      await app.close();
    }
  });
});
