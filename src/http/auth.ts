// Who is asking: a session cookie (people using the web) or a Bearer API token (admin tooling).
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import type { Actor } from '../audit/audit.js';
import type { SignedInPerson } from '../people/person.js';
import { AppError } from '../errors.js';
import { resolveApiToken } from '../sessions/api-tokens.js';
import { resolveSession } from '../sessions/session.js';
import { clientAddressOf } from './client.js';
import { sessionCookieName } from './cookies.js';

export type Auth =
  | { via: 'session'; person: SignedInPerson; sessionIdHash: string; actor: Actor }
  | { via: 'token'; person: null; tokenId: string; actor: Actor }
  | { via: 'none'; person: null; actor: Actor };

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth;
  }
  interface FastifyContextConfig {
    /**
     * A route a manager's session may use as well as an admin (SPEC §9); its handler narrows
     * what a manager sees and may touch to their areas (http/scope.ts). Absent: admins only.
     */
    managers?: boolean;
  }
}

export async function authenticate(deps: Deps, request: FastifyRequest): Promise<Auth> {
  const now = deps.clock.now();
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^Bearer /i.test(header)) {
    const token = await resolveApiToken(deps.db, header.slice(7).trim(), now);
    if (!token) throw new AppError('unauthenticated', { message: 'The API token is not valid.' });
    const actor: Actor = { kind: 'token', id: token.id, label: `token:${token.name}`, ip: clientAddressOf(request) };
    return { via: 'token', person: null, tokenId: token.id, actor };
  }
  const cookie = request.cookies[sessionCookieName(deps.config)];
  if (cookie) {
    const current = await resolveSession(deps.db, deps.config, cookie, now);
    if (current) {
      const { person, session } = current;
      const label = person.username ?? person.name;
      const actor: Actor = { kind: 'person', id: person.id, label, ip: clientAddressOf(request) };
      return { via: 'session', person, sessionIdHash: session.id_hash, actor };
    }
  }
  return anonymous(request);
}

/** No identity: what a request without a valid session or token is. */
export function anonymous(request: FastifyRequest): Auth {
  const actor: Actor = { kind: 'anonymous', id: null, label: 'anonymous', ip: clientAddressOf(request) };
  return { via: 'none', person: null, actor };
}

/** preHandler: any signed-in person (session) or token. */
export async function requireSignedIn(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (request.auth.via === 'none') throw new AppError('unauthenticated');
}

/**
 * preHandler: an admin's session, or an API token (tokens are admin credentials); a manager's
 * session too on a route whose config says `managers: true`. Decided by the matched route and the
 * signed-in person, never by the URL as spelled.
 */
export async function requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const auth = request.auth;
  if (auth.via === 'none') throw new AppError('unauthenticated');
  if (auth.via !== 'session' || auth.person.role === 'admin') return;
  if (auth.person.role === 'manager' && request.routeOptions.config.managers === true) return;
  throw new AppError('forbidden');
}

/** The manager behind a request, or null for an admin's session or an API token. */
export function managerOf(request: FastifyRequest): SignedInPerson | null {
  const auth = request.auth;
  return auth.via === 'session' && auth.person.role === 'manager' ? auth.person : null;
}

/** The hash of the session the request came with, so signing in again can end it. */
export function currentSessionHashOf(request: FastifyRequest): string | null {
  return request.auth.via === 'session' ? request.auth.sessionIdHash : null;
}
