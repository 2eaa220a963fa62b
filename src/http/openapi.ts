// /api/openapi.json: generated from the routes' own schemas (the ones that validate requests), then
// finished here so it tells the whole truth without any route repeating what is true of them all:
//   - only the API: /api/v1/…, /healthz and /metrics (HTML pages, OIDC and SCIM stay out);
//   - every operation has an operationId and a summary (derived when a route gives none);
//   - a body that may be left out is optional; the CSV import's body is text/csv;
//   - the statuses every route can answer (413/415 with a body, 500, 503) and the headers clients
//     rely on (Retry-After on 429/503, and what a route lists under `x-keyslip-headers`);
//   - schemas titled with one capitalised word are shared components, referenced by $ref;
//   - every tag used is declared.
// Route-level hints (top-level schema keys, removed from the finished document):
//   'x-keyslip-headers': { '<status>': ['Location', …] } names headers of components.headers.
//
// The document is made the first time it is asked for, not at start: @fastify/swagger (and the
// YAML library it loads) is loaded then, in an instance of its own that is given the app's routes
// as app.ts recorded them (buildApiDocument).
import { OptionalKind } from '@sinclair/typebox';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import Fastify, { type RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import { lazySchemaCompilers } from './lazy-schemas.js';
import { sessionCookieName } from './cookies.js';
import { ErrorSchema } from './schemas.js';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;

/** The tags of the API with their descriptions; a tag used but not listed gets a plain one. */
export const API_TAGS: { name: string; description: string }[] = [
  {
    name: 'people',
    description: 'The directory: create, find, edit, import, deactivate, reactivate and erase people.',
  },
  { name: 'access codes', description: 'Issue, inspect and deactivate access codes, one person or many (batches).' },
  { name: 'redemption', description: 'Public: what the access-code page calls to check and redeem a code.' },
  { name: 'sessions', description: 'Sign in and out with a username and password (a session cookie).' },
  { name: 'audit', description: 'The audit log, filtered and paged.' },
  { name: 'tokens', description: 'Admin API tokens: list, make and revoke.' },
  { name: 'apps', description: 'Apps that sign people in with Keyslip (OpenID Connect clients).' },
  { name: 'operations', description: 'Health and metrics probes.' },
];

/** Whether a route belongs in the API document. */
export function isApiRoute(url: string): boolean {
  return url.startsWith('/api/v1/') || url === '/healthz' || url === '/metrics';
}

/** Response headers the routes may name in `x-keyslip-headers`. */
export const RESPONSE_HEADERS: Record<string, Json> = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  Location: { description: 'Where the created resource (or the batch) can be read.', schema: { type: 'string' } },
  'Keyslip-Batch-Id': {
    description: "The batch's id: with a CSV or PDF answer, the only place it appears.",
    schema: { type: 'string' },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Set-Cookie': { description: 'The session cookie (HttpOnly, SameSite=Lax).', schema: { type: 'string' } },
  'Set-Cookie-Cleared': { description: 'The session cookie, cleared (Max-Age=0).', schema: { type: 'string' } },
  ETag: { description: "The person's current version, for If-Match.", schema: { type: 'string' } },
  'Content-Disposition': { description: 'The file name of a CSV or PDF answer.', schema: { type: 'string' } },
  'Cache-Control': { description: '`no-store`: the answer carries a secret.', schema: { type: 'string' } },
  'WWW-Authenticate': { description: 'The authentication scheme to use.', schema: { type: 'string' } },
};

/** Header names as they appear on the wire (a component may have a name of its own). */
const WIRE_NAME: Record<string, string> = { 'Set-Cookie-Cleared': 'Set-Cookie' };

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK.',
  '201': 'Created.',
  '204': 'Done; no content.',
  '400': 'The request is not valid (`fields` names what is wrong).',
  '401': 'Not signed in, or the credential is not valid.',
  '403': 'Not allowed.',
  '404': 'Not found.',
  '406': 'The Accept header asks for a format this operation does not have.',
  '409': 'Conflicts with the current state.',
  '410': 'Gone.',
  '412': 'If-Match does not match the current version.',
  '413': 'The body is larger than 1 MiB.',
  '415': 'The body has another Content-Type than the one this operation takes.',
  '422': 'This Idempotency-Key was already used with a different request.',
  '429': 'Too many requests: wait as Retry-After says.',
  '500': 'Something went wrong on the server.',
  '503': 'Busy, or the database cannot be reached: try again after Retry-After.',
};

function asJson(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function camel(words: string[]): string {
  return words
    .map((word, i) => (i === 0 ? word.toLowerCase() : word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()))
    .join('');
}

/** `POST /api/v1/people/:id/access-code` → `postPeopleIdAccessCode`. */
export function derivedOperationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return camel([method, ...words]);
}

/** The options for @fastify/swagger: what the document starts from, and the per-route transform. */
export function swaggerOptions(config: Config): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyslip API',
        version: '1',
        description:
          'People, access codes, redemption and sign-in. Admin calls take an admin session or ' +
          "`Authorization: Bearer <token>`. A manager's session may use the people, access-code, bulk, batch and " +
          'audit calls, narrowed to the members of the areas they manage (others: 404). ' +
          'Errors are `{ "error": { "code", "message", "fields"? } }` with ' +
          'the codes listed in the Error schema. Lists are paged with an opaque `nextCursor`. There is no ' +
          'CORS: a web page on another origin cannot call the API; call it from a server or script. Unknown ' +
          'query parameters and body fields are refused (400), so a typo never passes unnoticed.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Keyslip' },
      },
      servers: [{ url: new URL(config.baseUrl).origin, description: 'This Keyslip (KEYSLIP_BASE_URL).' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An admin API token (`keyslip token create`).' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: sessionCookieName(config),
            description: 'The session cookie from sign-in or redemption; from a browser, writes need X-CSRF-Token.',
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'KEYSLIP_METRICS_TOKEN.' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: ({ schema, url, route }) => {
      if (!isApiRoute(url)) return { schema: { ...(schema ?? {}), hide: true }, url };
      const next: Json = { ...(schema ?? {}) };
      const method = ([] as string[]).concat(route.method).find((m) => m !== 'HEAD') ?? 'GET';
      next.operationId ??= derivedOperationId(method, url);
      next.summary ??= `${method} ${url}`;
      if ((route.config as { body?: string } | undefined)?.body === 'text/csv') {
        next.consumes = ['text/csv'];
        next.body = { type: 'string', description: 'The CSV file, UTF-8, with a header row.' };
      } else if (next.body && (next.body as Record<symbol, unknown>)[OptionalKind] === 'Optional') {
        next['x-keyslip-optional-body'] = true;
      }
      return { schema: next as typeof schema, url };
    },
  };
}

/**
 * The finished document for the app's routes (as its onRoute hook saw them, HEAD routes left out as
 * @fastify/swagger leaves them out). The plugin sees routes only as they are added, so it is given
 * them again, with what it reads of them, in a Fastify instance that serves nothing and compiles
 * no schema; the document is the same as if it had been registered in the app from the start.
 */
export async function buildApiDocument(config: Config, routes: readonly RouteOptions[]): Promise<Json> {
  const { default: fastifySwagger } = await import('@fastify/swagger');
  const scribe = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    schemaController: { compilersFactory: lazySchemaCompilers().compilersFactory },
  });
  try {
    await scribe.register(fastifySwagger, swaggerOptions(config));
    await scribe.register(async (scope) => {
      for (const { method, url, schema, config: routeConfig, links } of routes) {
        scope.route({
          method,
          url,
          schema,
          config: routeConfig,
          ...(links ? { links } : {}),
          handler: async () => null,
        });
      }
    });
    await scribe.ready();
    return finishApiDocument(scribe.swagger());
  } finally {
    await scribe.close();
  }
}

/** Moves every titled schema under `node` into `components` and puts a $ref in its place. */
function hoistTitled(node: unknown, components: Json, path: string): unknown {
  if (Array.isArray(node)) return node.map((item, i) => hoistTitled(item, components, `${path}/${i}`));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = hoistTitled(value, components, `${path}/${key}`);
  collapseConstUnion(out);
  const title = out.title;
  if (typeof title === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(title) && (out.type !== undefined || out.anyOf)) {
    const existing = components[title];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(out)) {
      throw new Error(`Two different schemas are titled ${title} (the second at ${path}).`);
    }
    components[title] = out;
    return { $ref: `#/components/schemas/${title}` };
  }
  return out;
}

/** `anyOf` of single-value string enums (TypeBox's union of literals) → one `enum`. */
function collapseConstUnion(schema: Json): void {
  const members = schema.anyOf;
  if (!Array.isArray(members) || members.length === 0) return;
  const values: unknown[] = [];
  for (const member of members as Json[]) {
    const keys = Object.keys(member);
    const single = Array.isArray(member.enum) && member.enum.length === 1 ? member.enum[0] : member.const;
    if (
      member.type !== 'string' ||
      typeof single !== 'string' ||
      keys.some((k) => !['type', 'enum', 'const'].includes(k))
    )
      return;
    values.push(single);
  }
  delete schema.anyOf;
  schema.type = 'string';
  schema.enum = values;
}

function errorResponse(status: string, headers: Json = {}): Json {
  return {
    description: STATUS_TEXT[status] ?? 'Error.',
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

/** Finishes the document @fastify/swagger made (see the top of this file). Pure; throws on a conflict. */
export function finishApiDocument(raw: unknown): Json {
  const doc = structuredClone(asJson(raw));
  const components = asJson(doc.components);
  const schemas: Json = { ...asJson(components.schemas) };
  hoistTitled(JSON.parse(JSON.stringify(ErrorSchema)), schemas, '#/components/schemas/Error');
  const usedTags = new Set<string>();
  const paths = asJson(doc.paths);
  const finishedPaths: Json = {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isApiRoute(path)) continue;
    const finishedItem: Json = {};
    for (const [method, value] of Object.entries(asJson(item))) {
      if (!(METHODS as readonly string[]).includes(method)) {
        finishedItem[method] = value;
        continue;
      }
      finishedItem[method] = finishOperation(asJson(value), usedTags);
    }
    finishedPaths[path] = finishedItem;
  }
  doc.paths = hoistTitled(finishedPaths, schemas, '#/paths');
  const known = new Map(API_TAGS.map((tag) => [tag.name, tag]));
  doc.tags = [...usedTags].sort().map((name) => known.get(name) ?? { name, description: `Operations on ${name}.` });
  const headers: Json = {};
  for (const [name, header] of Object.entries(RESPONSE_HEADERS)) headers[name] = header;
  doc.components = { ...components, schemas, headers };
  return doc;
}

function finishOperation(operation: Json, usedTags: Set<string>): Json {
  for (const tag of (operation.tags as string[] | undefined) ?? []) usedTags.add(tag);
  const requestBody = asJson(operation.requestBody);
  if (operation['x-keyslip-optional-body'] === true && operation.requestBody) requestBody.required = false;
  delete operation['x-keyslip-optional-body'];
  const listed = asJson(operation['x-keyslip-headers']);
  delete operation['x-keyslip-headers'];

  const responses = asJson(operation.responses);
  for (const [status, response] of Object.entries(responses)) {
    const r = asJson(response);
    if (r.description === 'Default Response') r.description = STATUS_TEXT[status] ?? 'Answer.';
    const isError = /^[45]/.test(status);
    const names = [
      ...((listed[status] as string[] | undefined) ?? []),
      ...(['429', '503'].includes(status) ? ['Retry-After'] : []),
    ];
    if (names.length > 0) {
      r.headers = { ...asJson(r.headers) };
      for (const name of names) (r.headers as Json)[WIRE_NAME[name] ?? name] = headerRef(name);
    }
    if (isError) responses[status] = { ...errorResponse(status), ...(r.headers ? { headers: r.headers } : {}) };
  }
  if (operation.requestBody) {
    responses['413'] ??= errorResponse('413');
    responses['415'] ??= errorResponse('415');
  }
  responses['500'] ??= errorResponse('500');
  responses['503'] ??= errorResponse('503', { 'Retry-After': headerRef('Retry-After') });
  operation.responses = responses;
  return operation;
}
