// The person-level API routes whose use cases span capabilities: deactivating, reactivating and
// erasing a person (their sessions and code end too), ending every session of a person, and
// starting over for a person a code reached by mistake. Admin-only.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { errorResponses, IdParams, Nullable, PersonSchema, StringEnum } from '../http/schemas.js';
import { getPerson } from '../people/people.service.js';
import { endSessionsOf } from '../sessions/sessions.service.js';
import { deactivatePerson } from './deactivate-person.js';
import { erasePerson } from './erase-person.js';
import { reactivatePerson } from './reactivate-person.js';
import { startOver } from './start-over.js';

export function accountsRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.post(
      '/api/v1/people/:id/deactivate',
      {
        schema: {
          operationId: 'deactivatePerson',
          summary: 'Deactivate a person',
          description: 'Ends their sessions and app sessions and deactivates their open code. Takes no body.',
          tags: ['people'],
          params: IdParams,
          response: { 200: PersonSchema, ...errorResponses },
        },
      },
      async (request) => deactivatePerson(deps, request.params.id, request.auth.actor),
    );

    app.post(
      '/api/v1/people/:id/start-over',
      {
        schema: {
          tags: ['people'],
          description:
            'For a code that reached the wrong person: ends every session and app session of the person, ' +
            'removes the password the last redemption set, and, when that was the first claim, makes the ' +
            'account unclaimed again and clears the username that claim chose (a username given by an admin ' +
            'stays); voids any open code and makes a new one, returned once. One audit entry ' +
            '(`person.started_over`). Not for your own account (409).',
          params: IdParams,
          body: Type.Optional(
            Type.Object(
              { lifetimeHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 2160 })) },
              { additionalProperties: false },
            ),
          ),
          response: {
            201: Type.Object({
              code: Type.String(),
              expiresAt: Type.String(),
              person: Type.Object({ id: Type.String(), username: Nullable(Type.String()) }),
              undone: Type.Union([Type.Literal('claim'), Type.Literal('recovery'), Type.Literal('none')]),
              usernameCleared: Type.Boolean(),
              sessionsEnded: Type.Integer(),
              codesVoided: Type.Integer(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const done = await startOver(deps, {
          personId: request.params.id,
          actor: request.auth.actor,
          ...(request.body?.lifetimeHours ? { lifetimeHours: request.body.lifetimeHours } : {}),
        });
        return reply
          .status(201)
          .header('Cache-Control', 'no-store')
          .send({
            code: done.code.code,
            expiresAt: new Date(done.code.expiresAt).toISOString(),
            person: { id: done.code.person.id, username: done.code.person.username },
            undone: done.undo,
            usernameCleared: done.clearsUsername !== null,
            sessionsEnded: done.sessionsEnded,
            codesVoided: done.codesVoided,
          });
      },
    );

    app.post(
      '/api/v1/people/:id/reactivate',
      {
        schema: {
          operationId: 'reactivatePerson',
          summary: 'Reactivate a person (a rehire)',
          description:
            'The same record, id, employee id and history come back. Someone who never claimed their account ' +
            'is unclaimed again; someone who had is active again with their username but without a password: ' +
            'issue them a code to come back. A person who is not deactivated is answered as is. An erased ' +
            'person cannot be reactivated (409 `person_erased`). Takes no body.',
          tags: ['people'],
          params: IdParams,
          response: { 200: PersonSchema, ...errorResponses },
        },
      },
      async (request) => reactivatePerson(deps, request.params.id, request.auth.actor),
    );

    app.delete(
      '/api/v1/people/:id',
      {
        schema: {
          operationId: 'erasePerson',
          summary: "Erase a person's personal data (irreversible)",
          description:
            'For a request to erase (GDPR art. 17). The name becomes "Erased person"; username, email, employee ' +
            'id, department, location and title are removed; the password, open code, sessions and app ' +
            'sessions end. Audit entries keep the opaque id and the actions; the former values are scrubbed ' +
            'from their details, with the addresses of what they did themselves. Needs `?confirm=erase`. ' +
            'Answers the erased record.',
          tags: ['people'],
          params: IdParams,
          querystring: Type.Object(
            { confirm: StringEnum(['erase'] as const, { description: 'Must be `erase`: this cannot be undone.' }) },
            { additionalProperties: false },
          ),
          response: { 200: PersonSchema, ...errorResponses },
        },
      },
      async (request) => erasePerson(deps, request.params.id, request.auth.actor),
    );

    app.delete(
      '/api/v1/people/:id/sessions',
      {
        schema: {
          operationId: 'endSessionsOfPerson',
          summary: "End a person's sessions",
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
