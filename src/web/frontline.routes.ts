import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';

/** Pages for everyone: /login, /help/login, /work/accesscode, the home page. (Being built.) */
export function frontlineRoutes(_deps: Deps): FastifyPluginAsync {
  return async () => undefined;
}
