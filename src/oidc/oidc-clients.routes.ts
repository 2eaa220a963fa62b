// /api/v1/oidc-clients: the registered apps, for admins (session or API token). A confidential
// app's secret is in the 201 answer only; it is never readable again.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { DateTime, errorResponses, Nullable } from '../http/schemas.js';
import { createOidcClient, deleteOidcClient, getOidcClient, listOidcClients } from './oidc-clients.service.js';

const Uri = Type.String({ minLength: 1, maxLength: 2000 });

export const OidcClientSchema = Type.Object(
  {
    clientId: Type.String(),
    name: Type.String(),
    redirectUris: Type.Array(Type.String()),
    postLogoutRedirectUris: Type.Array(Type.String()),
    backchannelLogoutUri: Nullable(Type.String()),
    firstParty: Type.Boolean(),
    public: Type.Boolean(),
    syntheticEmailDomain: Nullable(Type.String()),
    launchUrl: Nullable(Type.String()),
    createdAt: DateTime(),
  },
  { title: 'Client', description: 'An app that signs people in with Keyslip (an OpenID Connect client).' },
);

const OidcClientInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    redirectUris: Type.Array(Uri, { minItems: 1, maxItems: 20 }),
    postLogoutRedirectUris: Type.Optional(Type.Array(Uri, { maxItems: 20 })),
    backchannelLogoutUri: Type.Optional(Nullable(Uri)),
    firstParty: Type.Optional(Type.Boolean()),
    public: Type.Optional(Type.Boolean()),
    syntheticEmailDomain: Type.Optional(Nullable(Type.String({ maxLength: 253 }))),
    launchUrl: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 2000,
          description: "The app's start page: a button on people's home page and after they redeem an access code.",
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const ClientIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }) });

export function oidcClientRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.get(
      '/api/v1/oidc-clients',
      {
        schema: {
          operationId: 'listClients',
          summary: 'List the apps',
          tags: ['apps'],
          response: { 200: Type.Object({ items: Type.Array(OidcClientSchema) }), ...errorResponses },
        },
      },
      async () => ({
        items: await listOidcClients(deps),
      }),
    );

    app.post(
      '/api/v1/oidc-clients',
      {
        schema: {
          operationId: 'createClient',
          summary: 'Register an app',
          tags: ['apps'],
          description:
            'Registers an app (OpenID Connect client). The client secret of a confidential app is in this answer only.',
          body: OidcClientInputSchema,
          response: {
            201: Type.Object({ client: OidcClientSchema, clientSecret: Nullable(Type.String()) }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const created = await createOidcClient(deps, request.body, request.auth.actor);
        return reply.status(201).header('Cache-Control', 'no-store').send(created);
      },
    );

    app.get(
      '/api/v1/oidc-clients/:id',
      {
        schema: {
          operationId: 'getClient',
          summary: 'Read an app',
          tags: ['apps'],
          params: ClientIdParams,
          response: { 200: OidcClientSchema, ...errorResponses },
        },
      },
      async (request) => getOidcClient(deps, request.params.id),
    );

    app.delete(
      '/api/v1/oidc-clients/:id',
      {
        schema: {
          operationId: 'deleteClient',
          summary: 'Remove an app',
          tags: ['apps'],
          params: ClientIdParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await deleteOidcClient(deps, request.params.id, request.auth.actor);
        return reply.status(204).send(null);
      },
    );
  };
}
