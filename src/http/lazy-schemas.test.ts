// Route schemas compiled on first use (lazy-schemas.ts): they validate, coerce, report and
// serialize as Fastify's own compilers do, and every route's schemas do compile.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi } from '../../test/helpers/api.js';
import { createTestContext, type TestContext } from '../../test/helpers/deps.js';
import { lazySchemaCompilers } from './lazy-schemas.js';

const AJV = { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } } as const;

/** One route with a schema for every request part and a response, on the given compilers. */
async function sample(lazy: boolean): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    ajv: AJV,
    ...(lazy ? { schemaController: { compilersFactory: lazySchemaCompilers().compilersFactory } } : {}),
  });
  app.post(
    '/things/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        querystring: { type: 'object', properties: { limit: { type: 'integer', maximum: 50 } } },
        headers: { type: 'object', properties: { 'if-match': { type: 'string', maxLength: 5 } } },
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1 }, tags: { type: 'array', items: { type: 'string' } } },
          required: ['name'],
        },
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'integer' }, limit: { type: 'integer' }, name: { type: 'string' } },
          },
        },
      },
    },
    async (request) => ({
      ...(request.params as object),
      ...(request.query as object),
      ...(request.body as object),
      secret: 'never sent: not in the response schema',
    }),
  );
  // A body that is one number: Ajv coerces it in the request itself, which it can only do when
  // Fastify hands it the request as the body's parent.
  app.post('/count', { schema: { body: { type: 'integer' } } }, async (request) => ({ count: request.body }));
  await app.ready();
  return app;
}

describe('route schemas compiled on first use', () => {
  it('answer every request as Fastify’s own compilers do', async () => {
    const [eager, lazy] = await Promise.all([sample(false), sample(true)]);
    const requests = [
      { url: '/things/7?limit=5', payload: { name: 'a', tags: ['x'] } },
      { url: '/things/7?limit=5', payload: { name: 'a', tags: ['x'] } },
      { url: '/things/0', payload: { name: 'a' } },
      { url: '/things/abc', payload: { name: 'a' } },
      { url: '/things/7?limit=500', payload: { name: 'a' } },
      { url: '/things/7?limit=1e400', payload: { name: 'a' } },
      { url: '/things/7', payload: { name: '' } },
      { url: '/things/7', payload: { tags: 'x' } },
      { url: '/things/7', payload: { name: 'a' }, headers: { 'If-Match': 'too long a tag' } },
      { url: '/things/7', payload: { name: 'a' }, headers: { 'if-match': '"e1"' } },
      { url: '/count', payload: '"5"', headers: { 'content-type': 'application/json' } },
      { url: '/count', payload: '"five"', headers: { 'content-type': 'application/json' } },
    ];
    for (const request of requests) {
      const [expected, actual] = await Promise.all([
        eager.inject({ method: 'POST', ...request }),
        lazy.inject({ method: 'POST', ...request }),
      ]);
      expect({ status: actual.statusCode, body: actual.json() }).toEqual({
        status: expected.statusCode,
        body: expected.json(),
      });
    }
    await Promise.all([eager.close(), lazy.close()]);
  });

  it('refuses, when the route is added, a header schema that names a header in capitals', async () => {
    const app = Fastify({
      logger: false,
      schemaController: { compilersFactory: lazySchemaCompilers().compilersFactory },
    });
    app.get(
      '/x',
      { schema: { headers: { type: 'object', properties: { 'If-Match': { type: 'string' } } } } },
      () => ({}),
    );
    await expect(app.ready()).rejects.toThrow(/If-Match in lower case/);
  });

  describe('in the app', () => {
    let context: TestContext;
    let app: FastifyInstance;
    beforeAll(async () => {
      context = await createTestContext('sqlite');
      ({ app } = await createTestApi(context));
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await context.close();
    });

    it('compiles every route’s schemas without an error', () => {
      expect(app.compilePendingSchemas()).toBeGreaterThan(100);
      expect(app.compilePendingSchemas()).toBe(0);
    });
  });
});
