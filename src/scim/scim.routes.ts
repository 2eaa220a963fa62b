// /scim/v2 (SPEC §10; RFC 7643/7644): Users, Groups (= areas), ServiceProviderConfig, Schemas
// and ResourceTypes. Every request carries a SCIM token (`keyslip token create --scim`); an admin
// API token or a session counts for nothing here, and a SCIM token counts for nothing elsewhere.
// Bodies are application/scim+json (application/json accepted), answers too, and every error is
// a SCIM error body. Each endpoint reads as steps: parse → the use case → render.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import type { Actor } from '../audit/audit.js';
import { noteServerError } from '../http/errors.handler.js';
import { clientAddressOf } from '../http/client.js';
import { resolveScimToken } from '../sessions/api-tokens.js';
import { ScimError, scimErrorBody, scimErrorOf } from './scim-errors.js';
import { parseGroupFilter, parseUserFilter } from './scim-filter.js';
import {
  createScimGroup,
  deleteScimGroup,
  getScimGroup,
  patchScimGroup,
  replaceScimGroup,
  searchScimGroups,
} from './scim-groups.js';
import { parsePatchRequest, type Resource } from './scim-patch.js';
import {
  DEFAULT_PAGE,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  MAX_PAGE,
  resourceTypeDocuments,
  SCIM_BODY_LIMIT,
  SCIM_MEDIA_TYPE,
  schemaDocuments,
  serviceProviderConfig,
  USER_SCHEMA,
} from './scim-resources.js';
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  patchScimUser,
  replaceScimUser,
  searchScimUsers,
  type ScimContext,
} from './scim-users.js';

const WRITE = { config: { csrf: 'none', body: 'application/scim+json' }, schema: { hide: true } } as const;
const READ = { schema: { hide: true } } as const;
const CONTENT_TYPE = `${SCIM_MEDIA_TYPE}; charset=utf-8`;

type Query = Record<string, string | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: Query }>;

const scimActors = new WeakMap<FastifyRequest, Actor>();

/** The SCIM token's actor: its name is who the audit log says acted. */
async function authenticateScim(deps: Deps, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : '';
  const row = token === '' ? null : await resolveScimToken(deps.db, token, deps.clock.now());
  if (!row) throw new ScimError(401, 'Send a valid SCIM token: Authorization: Bearer <token>.');
  scimActors.set(request, { kind: 'token', id: row.id, label: `scim:${row.name}`, ip: clientAddressOf(request) });
}

function contextOf(deps: Deps, request: FastifyRequest): ScimContext {
  const actor = scimActors.get(request);
  if (!actor) throw new ScimError(401, 'Send a valid SCIM token: Authorization: Bearer <token>.');
  return { deps, actor, baseUrl: deps.config.baseUrl };
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  const version = (body as { meta?: { version?: string } }).meta?.version;
  if (version) reply.header('ETag', version);
  return reply.status(status).type(CONTENT_TYPE).send(body);
}

/** `startIndex` (1-based; less than 1 counts as 1) and `count` (0 to MAX_PAGE) of RFC 7644 §3.4.2.4. */
function pageOf(query: Query): { startIndex: number; count: number } {
  const integer = (name: string, fallback: number): number => {
    const raw = query[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d{1,9}$/.test(raw.trim())) throw new ScimError(400, `${name} must be a whole number.`, 'invalidValue');
    return Number(raw.trim());
  };
  return {
    startIndex: Math.max(1, integer('startIndex', 1)),
    count: Math.min(MAX_PAGE, Math.max(0, integer('count', DEFAULT_PAGE))),
  };
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), on top-level attributes; id and schemas stay. */
function projected(resource: Resource, query: Query, coreSchema: string): Resource {
  const names = (value: string | undefined): string[] =>
    (value ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map((name) => topLevelOf(name, coreSchema, resource));
  const wanted = names(query.attributes);
  const excluded = names(query.excludedAttributes);
  if (wanted.length === 0 && excluded.length === 0) return resource;
  const kept: Resource = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    const always = lower === 'id' || lower === 'schemas';
    if (wanted.length > 0 && !always && !wanted.includes(lower)) continue;
    if (!always && excluded.includes(lower)) continue;
    kept[key] = value;
  }
  return kept;
}

function topLevelOf(name: string, coreSchema: string, resource: Resource): string {
  let lower = name.toLowerCase();
  const core = `${coreSchema.toLowerCase()}:`;
  if (lower.startsWith(core)) lower = lower.slice(core.length);
  for (const key of Object.keys(resource)) {
    const urn = key.toLowerCase();
    if (urn.startsWith('urn:') && (lower === urn || lower.startsWith(`${urn}:`))) return urn;
  }
  return lower.split('.')[0]!.split('[')[0]!;
}

function listResponse(resources: Resource[], total: number, startIndex: number): Resource {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

function bodyOf(request: FastifyRequest): Resource {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScimError(400, 'Send a JSON object.', 'invalidSyntax');
  }
  return body as Resource;
}

function ifMatchOf(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match'];
  return typeof header === 'string' ? header : undefined;
}

export function scimRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser(
      SCIM_MEDIA_TYPE,
      { parseAs: 'string', bodyLimit: SCIM_BODY_LIMIT },
      app.getDefaultJsonParser('error', 'error'),
    );
    app.setErrorHandler((error, request, reply) => {
      const { scim, app: appError } = scimErrorOf(error);
      if (appError) noteServerError(error, appError, request, reply);
      if (scim.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="scim"');
      return reply.status(scim.status).type(CONTENT_TYPE).send(scimErrorBody(scim));
    });
    app.setNotFoundHandler((request, reply) => {
      const detail = `No SCIM endpoint ${request.method} ${request.url.split('?')[0]}.`;
      return reply
        .status(404)
        .type(CONTENT_TYPE)
        .send(scimErrorBody(new ScimError(404, detail)));
    });
    app.addHook('onRequest', async (request) => authenticateScim(deps, request));

    // ---- Discovery (RFC 7644 §4) ----
    app.get('/ServiceProviderConfig', READ, async (_request, reply) =>
      send(reply, 200, serviceProviderConfig(deps.config.baseUrl, { etag: true })),
    );
    app.get('/Schemas', READ, async (_request, reply) => {
      const all = schemaDocuments(deps.config.baseUrl);
      return send(reply, 200, listResponse(all, all.length, 1));
    });
    app.get('/Schemas/:id', READ, async (request: IdRequest, reply) => {
      const found = schemaDocuments(deps.config.baseUrl).find((doc) => doc.id === request.params.id);
      if (!found) throw new ScimError(404, 'No such schema.');
      return send(reply, 200, found);
    });
    app.get('/ResourceTypes', READ, async (_request, reply) => {
      const all = resourceTypeDocuments(deps.config.baseUrl);
      return send(reply, 200, listResponse(all, all.length, 1));
    });
    app.get('/ResourceTypes/:id', READ, async (request: IdRequest, reply) => {
      const found = resourceTypeDocuments(deps.config.baseUrl).find((doc) => doc.id === request.params.id);
      if (!found) throw new ScimError(404, 'No such resource type.');
      return send(reply, 200, found);
    });

    // ---- Users ----
    app.get('/Users', READ, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
      const conditions = request.query.filter ? parseUserFilter(request.query.filter) : [];
      const page = pageOf(request.query);
      const found = await searchScimUsers(contextOf(deps, request), conditions, page);
      const resources = found.resources.map((resource) => projected(resource, request.query, USER_SCHEMA));
      return send(reply, 200, listResponse(resources, found.total, page.startIndex));
    });
    app.post('/Users', WRITE, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
      const created = await createScimUser(contextOf(deps, request), bodyOf(request));
      reply.header('Location', (created.meta as { location: string }).location);
      return send(reply, 201, created);
    });
    app.get('/Users/:id', READ, async (request: IdRequest, reply) => {
      const user = await getScimUser(contextOf(deps, request), request.params.id);
      return send(reply, 200, projected(user, request.query, USER_SCHEMA));
    });
    app.put('/Users/:id', WRITE, async (request: IdRequest, reply) => {
      const options = { ifMatch: ifMatchOf(request) };
      return send(
        reply,
        200,
        await replaceScimUser(contextOf(deps, request), request.params.id, bodyOf(request), options),
      );
    });
    app.patch('/Users/:id', WRITE, async (request: IdRequest, reply) => {
      const operations = parsePatchRequest(request.body);
      const options = { ifMatch: ifMatchOf(request) };
      return send(reply, 200, await patchScimUser(contextOf(deps, request), request.params.id, operations, options));
    });
    app.delete('/Users/:id', WRITE, async (request: IdRequest, reply) => {
      await deleteScimUser(contextOf(deps, request), request.params.id, { ifMatch: ifMatchOf(request) });
      return reply.status(204).send();
    });

    // ---- Groups (areas) ----
    app.get('/Groups', READ, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
      const conditions = request.query.filter ? parseGroupFilter(request.query.filter) : [];
      const page = pageOf(request.query);
      const members = !/\bmembers\b/i.test(request.query.excludedAttributes ?? '');
      const found = await searchScimGroups(contextOf(deps, request), conditions, { ...page, members });
      const resources = found.resources.map((resource) => projected(resource, request.query, GROUP_SCHEMA));
      return send(reply, 200, listResponse(resources, found.total, page.startIndex));
    });
    app.post('/Groups', WRITE, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
      const created = await createScimGroup(contextOf(deps, request), bodyOf(request));
      reply.header('Location', (created.meta as { location: string }).location);
      return send(reply, 201, created);
    });
    app.get('/Groups/:id', READ, async (request: IdRequest, reply) => {
      const group = await getScimGroup(contextOf(deps, request), request.params.id, {
        members: !/\bmembers\b/i.test(request.query.excludedAttributes ?? ''),
      });
      return send(reply, 200, projected(group, request.query, GROUP_SCHEMA));
    });
    app.put('/Groups/:id', WRITE, async (request: IdRequest, reply) => {
      const options = { ifMatch: ifMatchOf(request) };
      const group = await replaceScimGroup(contextOf(deps, request), request.params.id, bodyOf(request), options);
      return send(reply, 200, group);
    });
    app.patch('/Groups/:id', WRITE, async (request: IdRequest, reply) => {
      const operations = parsePatchRequest(request.body);
      const options = { ifMatch: ifMatchOf(request) };
      // 204, not the group: an area's members may be thousands (RFC 7644 §3.5.2 allows either).
      await patchScimGroup(contextOf(deps, request), request.params.id, operations, options);
      return reply.status(204).send();
    });
    app.delete('/Groups/:id', WRITE, async (request: IdRequest, reply) => {
      await deleteScimGroup(contextOf(deps, request), request.params.id, { ifMatch: ifMatchOf(request) });
      return reply.status(204).send();
    });
  };
}
