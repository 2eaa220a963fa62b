import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { clientOf } from '../http/client.js';
import { currentSessionHashOf, requireSignedIn } from '../http/auth.js';
import { clearSessionCookie, setSessionCookie } from '../http/cookies.js';
import { errorResponses, Nullable, PersonSchema, DateTime } from '../http/schemas.js';
import { toPerson } from '../people/person.js';
import { listPersonSessions } from '../sessions/sessions.store.js';
import { signIn, signOut } from './sign-in.service.js';

const SessionInfo = Type.Object({
  current: Type.Boolean(),
  createdAt: DateTime(),
  lastSeenAt: DateTime(),
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
});

export function signInRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/sessions',
      {
        schema: {
          operationId: 'signIn',
          summary: 'Sign in with a username (or email) and password',
          description: 'Sets the session cookie. Too many failures for an account answer 429 with Retry-After.',
          tags: ['sessions'],
          security: [],
          body: Type.Object(
            { username: Type.String({ maxLength: 300 }), password: Type.String({ maxLength: 4096 }) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ person: PersonSchema }), ...errorResponses },
          'x-keyslip-headers': { 201: ['Set-Cookie', 'Cache-Control'] },
        },
      },
      async (request, reply) => {
        const currentSessionHash = currentSessionHashOf(request);
        const { person, session } = await signIn(deps, {
          login: request.body.username,
          password: request.body.password,
          client: clientOf(request),
          currentSessionHash,
        });
        const now = deps.clock.now();
        setSessionCookie(reply, deps.config, session, now);
        return reply
          .status(201)
          .header('Cache-Control', 'no-store')
          .send({ person: toPerson(person, now) });
      },
    );

    app.delete(
      '/api/v1/sessions/current',
      {
        schema: {
          operationId: 'signOut',
          summary: 'Sign out (this session)',
          tags: ['sessions'],
          security: [{ session: [] }],
          response: { 204: Type.Null(), ...errorResponses },
          'x-keyslip-headers': { 204: ['Set-Cookie-Cleared'] },
        },
      },
      async (request, reply) => {
        const auth = request.auth;
        if (auth.via !== 'session') throw new AppError('unauthenticated');
        await signOut(deps, { idHash: auth.sessionIdHash, person: auth.person, everywhere: false });
        clearSessionCookie(reply, deps.config);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/api/v1/sessions',
      {
        schema: {
          operationId: 'signOutEverywhere',
          summary: 'Sign out everywhere',
          description: "Ends every session of the signed-in person, and their apps' sessions.",
          tags: ['sessions'],
          security: [{ session: [] }],
          response: { 200: Type.Object({ ended: Type.Integer() }), ...errorResponses },
          'x-keyslip-headers': { 200: ['Set-Cookie-Cleared'] },
        },
      },
      async (request, reply) => {
        const auth = request.auth;
        if (auth.via !== 'session') throw new AppError('unauthenticated');
        const ended = await signOut(deps, { idHash: auth.sessionIdHash, person: auth.person, everywhere: true });
        clearSessionCookie(reply, deps.config);
        return reply.send({ ended });
      },
    );

    app.get(
      '/api/v1/me',
      {
        preHandler: requireSignedIn,
        schema: {
          operationId: 'getMe',
          summary: 'Who is calling: the signed-in person or the API token',
          tags: ['sessions'],
          response: {
            200: Type.Object({
              kind: Type.Union([Type.Literal('person'), Type.Literal('token')]),
              person: Nullable(PersonSchema),
              token: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
              sessions: Type.Array(SessionInfo),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const auth = request.auth;
        const now = deps.clock.now();
        if (auth.via === 'token')
          return {
            kind: 'token' as const,
            person: null,
            token: { id: auth.tokenId, name: auth.actor.label.replace(/^token:/, '') },
            sessions: [],
          };
        if (auth.via !== 'session') throw new AppError('unauthenticated');
        const sessions = await listPersonSessions(deps.db, auth.person.id, now);
        return {
          kind: 'person' as const,
          person: toPerson(auth.person, now),
          token: null,
          sessions: sessions.map((s) => ({
            current: s.id_hash === auth.sessionIdHash,
            createdAt: new Date(s.created_at).toISOString(),
            lastSeenAt: new Date(s.last_seen_at).toISOString(),
            userAgent: s.user_agent,
            ip: s.ip,
          })),
        };
      },
    );
  };
}
