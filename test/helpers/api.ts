// Driving the app over HTTP with inject(): an admin token and small request helpers.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import type { TestContext } from './deps.js';

export interface TestApi {
  app: FastifyInstance;
  adminToken: string;
  /** Headers for an admin API call. */
  admin: { authorization: string };
}

export async function createTestApi(context: TestContext): Promise<TestApi> {
  const app = await buildApp(context.deps);
  const { token } = await createApiToken(context.deps.db, { name: 'test', actor: CLI_ACTOR, now: context.clock.now() });
  return { app, adminToken: token, admin: { authorization: `Bearer ${token}` } };
}

/**
 * The `keyslip_session=…` pair (`__Host-keyslip_session=…` over https) from a response's
 * Set-Cookie, for the next request's Cookie header.
 */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | null {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  for (const cookie of all) {
    const match = /^((?:__Host-)?keyslip_session=[^;]+)/.exec(cookie);
    if (match && !/^(?:__Host-)?keyslip_session=;/.test(cookie)) return match[1]!;
  }
  return null;
}
