import type {} from '@fastify/swagger';
import { sql } from 'kysely';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { ErrorSchema } from '../http/schemas.js';
import { renderMetrics } from '../lib/metrics.js';
import { safeEqual, sha256 } from '../lib/random.js';

export async function databaseReachable(deps: Deps): Promise<boolean> {
  try {
    await sql`select 1`.execute(deps.db);
    return true;
  } catch {
    return false;
  }
}

export function opsRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    const health = (status: string) => ({
      description: status === 'ok' ? 'Serving, with its database.' : 'The database cannot be reached.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['status', 'database'],
            properties: { status: { type: 'string', enum: [status] }, database: { type: 'string', enum: [status] } },
          },
        },
      },
    });
    const schema = {
      operationId: 'getHealth',
      summary: 'Health probe',
      tags: ['operations'],
      security: [],
      response: { 200: health('ok'), 503: health('unavailable') },
      'x-keyslip-headers': { 200: ['Cache-Control'] },
    };
    // The probe's answer is two fixed words, which JSON.stringify writes exactly as the schema's
    // serializer would: the first probe of a starting server then does not wait for
    // fast-json-stringify (and Ajv) to load, which no other route has needed yet (lazy-schemas.ts).
    const serializerCompiler = () => (data: unknown) => JSON.stringify(data);
    app.get('/healthz', { schema, serializerCompiler }, async (_request, reply) => {
      const ok = await databaseReachable(deps);
      return reply
        .status(ok ? 200 : 503)
        .header('Cache-Control', 'no-store')
        .send({ status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unavailable' });
    });

    await app.register(metricsRoutes(deps, { listener: 'main' }));
  };
}

/**
 * Whether a /metrics request may see the numbers. On the main port only with the bearer token and
 * only when no separate metrics listener is configured; with neither token nor listener, /metrics
 * is not there (404). On the metrics listener, the token too when one is set.
 */
function metricsAccess(
  config: Config,
  request: FastifyRequest,
  listener: 'main' | 'metrics',
): 'ok' | 'not_found' | 'unauthenticated' {
  if (listener === 'main' && (config.metricsPort !== null || config.metricsToken === '')) return 'not_found';
  if (config.metricsToken === '') return 'ok';
  const header = request.headers.authorization;
  const given = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : '';
  // Compared as digests: constant time, whatever the lengths.
  return safeEqual(sha256(given), sha256(config.metricsToken)) ? 'ok' : 'unauthenticated';
}

export function metricsRoutes(deps: Deps, options: { listener: 'main' | 'metrics' }): FastifyPluginAsync {
  return async (app) => {
    const description =
      'Prometheus metrics: needs `Authorization: Bearer <KEYSLIP_METRICS_TOKEN>`, or is served on ' +
      'KEYSLIP_METRICS_PORT only.';
    const errorAnswer = (text: string) => ({
      description: text,
      content: { 'application/json': { schema: ErrorSchema } },
    });
    const schema = {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tags: ['operations'],
      description,
      security: [{ metricsToken: [] }],
      response: {
        200: {
          description: 'The Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: errorAnswer('The metrics token is missing or wrong.'),
        404: errorAnswer('Metrics are not served on this port.'),
      },
      'x-keyslip-headers': { 401: ['WWW-Authenticate'] },
    };
    app.get('/metrics', { schema }, async (request, reply) => {
      const access = metricsAccess(deps.config, request, options.listener);
      if (access === 'not_found') throw new AppError('not_found');
      if (access === 'unauthenticated') {
        reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new AppError('unauthenticated', { message: 'Send the metrics token: Authorization: Bearer <token>.' });
      }
      const memory = process.memoryUsage();
      return reply
        .header('Cache-Control', 'no-store')
        .type('text/plain; version=0.0.4; charset=utf-8')
        .send(
          renderMetrics({
            keyslip_process_resident_memory_bytes: { help: 'Resident set size.', value: memory.rss },
            keyslip_process_heap_used_bytes: { help: 'V8 heap in use.', value: memory.heapUsed },
            keyslip_up: { help: 'Always 1 while the process serves.', value: 1 },
          }),
        );
    });
  };
}
