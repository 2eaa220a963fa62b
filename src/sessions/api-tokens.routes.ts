// /api/v1/tokens: list, make and revoke admin API tokens. Admin-only; a token may list and
// revoke tokens (to put out a fire from a script) but not make one (see createApiToken).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { errorResponses, IdParams, Nullable } from '../http/schemas.js';
import { API_TOKEN_DAYS, API_TOKEN_NAME_MAX, createApiToken, listApiTokens, revokeApiToken } from './api-tokens.js';

const ApiTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    owner: Type.Object({
      id: Nullable(Type.String({ description: 'The admin who made it; null for the CLI' })),
      label: Type.String({ description: "The admin's username at the time, or 'cli'" }),
    }),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Nullable(Type.String({ format: 'date-time' })),
    lastUsedAt: Nullable(Type.String({ format: 'date-time', description: 'Updated at most once a minute' })),
    revokedAt: Nullable(Type.String({ format: 'date-time' })),
    active: Type.Boolean({ description: 'Not revoked and not expired: it authenticates now' }),
  },
  { title: 'ApiToken' },
);

const TokenList = Type.Object({ items: Type.Array(ApiTokenSchema) });

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: API_TOKEN_NAME_MAX, pattern: '\\S' }),
    expiresInDays: Type.Optional(
      Type.Integer({ minimum: API_TOKEN_DAYS.min, maximum: API_TOKEN_DAYS.max, default: API_TOKEN_DAYS.default }),
    ),
  },
  { additionalProperties: false },
);

const CreatedToken = Type.Intersect([
  ApiTokenSchema,
  Type.Object({ token: Type.String({ description: 'The token itself: shown only in this response' }) }),
]);

export function apiTokenRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.get(
      '/api/v1/tokens',
      {
        schema: {
          operationId: 'listApiTokens',
          summary: 'List API tokens',
          tags: ['tokens'],
          response: { 200: TokenList, ...errorResponses },
        },
      },
      async () => ({ items: await listApiTokens(deps.db, deps.clock.now()) }),
    );

    app.post(
      '/api/v1/tokens',
      {
        schema: {
          operationId: 'createApiToken',
          summary: 'Make an API token',
          description: 'An admin session only: a token cannot make tokens. The token is in this answer only.',
          tags: ['tokens'],
          body: CreateTokenBody,
          response: { 201: CreatedToken, ...errorResponses },
          'x-keyslip-headers': { 201: ['Cache-Control'] },
        },
      },
      async (request, reply) => {
        const { name, expiresInDays } = request.body;
        const now = deps.clock.now();
        const options = { name, actor: request.auth.actor, now, ...(expiresInDays ? { expiresInDays } : {}) };
        const { token, apiToken } = await createApiToken(deps.db, options);
        return reply
          .status(201)
          .header('Cache-Control', 'no-store')
          .send({ ...apiToken, token });
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      {
        schema: {
          operationId: 'revokeApiToken',
          summary: 'Revoke an API token',
          tags: ['tokens'],
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const options = { id: request.params.id, actor: request.auth.actor, now: deps.clock.now() };
        const result = await revokeApiToken(deps.db, options);
        if (!result) throw new AppError('not_found', { message: 'No API token with that id.' });
        return reply.status(204).send(null);
      },
    );
  };
}
