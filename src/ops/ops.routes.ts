import type {} from '@fastify/swagger';
import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';
import { renderMetrics } from '../http/metrics.js';

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
    app.get('/healthz', { schema: { tags: ['operations'] } }, async (_request, reply) => {
      const ok = await databaseReachable(deps);
      return reply
        .status(ok ? 200 : 503)
        .header('Cache-Control', 'no-store')
        .send({ status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unavailable' });
    });

    app.get('/metrics', { schema: { tags: ['operations'] } }, async (_request, reply) => {
      const memory = process.memoryUsage();
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(
        renderMetrics({
          keyslip_process_resident_memory_bytes: { help: 'Resident set size.', value: memory.rss },
          keyslip_process_heap_used_bytes: { help: 'V8 heap in use.', value: memory.heapUsed },
          keyslip_up: { help: 'Always 1 while the process serves.', value: 1 },
        }),
      );
    });
  };
}
