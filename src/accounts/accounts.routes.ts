// The person-level API routes whose use cases span capabilities: deactivating a person (their
// sessions and code end too) and ending every session of a person. Admin-only.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { errorResponses, IdParams, PersonSchema } from '../http/schemas.js';
import { getPerson } from '../people/people.service.js';
import { endSessionsOf } from '../sessions/sessions.service.js';
import { deactivatePerson } from './deactivate-person.js';

export function accountsRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.post(
      '/api/v1/people/:id/deactivate',
      { schema: { tags: ['people'], params: IdParams, response: { 200: PersonSchema, ...errorResponses } } },
      async (request) => deactivatePerson(deps, request.params.id, request.auth.actor),
    );

    app.delete(
      '/api/v1/people/:id/sessions',
      {
        schema: {
          tags: ['people'],
          params: IdParams,
          response: { 200: Type.Object({ ended: Type.Integer() }), ...errorResponses },
        },
      },
      async (request) => {
        const person = await getPerson(deps, request.params.id);
        if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
        return { ended: await endSessionsOf(deps, request.params.id, request.auth.actor) };
      },
    );
  };
}
