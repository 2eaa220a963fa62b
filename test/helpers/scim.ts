// Driving /scim/v2 with inject(): a SCIM token (and an admin token, to show they never mix) and a
// request helper that speaks application/scim+json as Entra ID and Okta do.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import type { TestContext } from './deps.js';

export interface ScimResponse {
  status: number;
  headers: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, read field by field as tests assert it
  body: any;
}

export interface ScimClient {
  app: FastifyInstance;
  scimToken: string;
  adminToken: string;
  /** A SCIM request with the SCIM token; a `body` goes as application/scim+json unless `headers` say otherwise. */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ScimResponse>;
}

export async function createScimClient(
  context: TestContext,
  options: { tokenName?: string } = {},
): Promise<ScimClient> {
  const app = await buildApp(context.deps);
  const now = context.clock.now();
  const scim = await createApiToken(context.deps.db, {
    name: options.tokenName ?? 'entra',
    actor: CLI_ACTOR,
    now,
    kind: 'scim',
  });
  const admin = await createApiToken(context.deps.db, { name: 'ops', actor: CLI_ACTOR, now });
  return {
    app,
    scimToken: scim.token,
    adminToken: admin.token,
    async request(method, url, body, headers = {}) {
      const response = await app.inject({
        method,
        url: url.startsWith('/scim/') ? url : `/scim/v2${url}`,
        headers: {
          authorization: `Bearer ${scim.token}`,
          accept: 'application/scim+json',
          ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = response.body;
      return { status: response.statusCode, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
    },
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const KEYSLIP = 'urn:keyslip:params:scim:schemas:extension:keyslip:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export function patch(...operations: unknown[]): { schemas: string[]; Operations: unknown[] } {
  return { schemas: [PATCH_OP], Operations: operations };
}
