import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';

/** The admin panel: /admin/people, batches, import, audit log. (Being built.) */
export function adminWebRoutes(_deps: Deps): FastifyPluginAsync {
  return async () => undefined;
}
