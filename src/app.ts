// buildApp(deps): a Fastify instance with everything registered; buildMetricsApp(deps): the separate
// metrics listener. Neither listens; main.ts does. The composition root: the one file that imports routes.
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { Deps } from './deps.js';
import { AppError } from './errors.js';
import {
  accessCodeAdminRoutes,
  accessCodePublicRoutes,
  adminCodeRequestRoutes,
} from './access-codes/access-codes.routes.js';
import { accountsRoutes } from './accounts/accounts.routes.js';
import { areasRoutes } from './areas/areas.routes.js';
import { auditRoutes } from './audit/audit.routes.js';
import { ASSETS_PREFIX } from './http/assets.js';
import { anonymous, authenticate } from './http/auth.js';
import { assertSameOrigin, CSRF_HEADER, csrfTokenValid, isFromBrowser } from './http/csrf.js';
import { handleError } from './http/errors.handler.js';
import { buildApiDocument } from './http/openapi.js';
import { lazySchemaCompilers } from './http/lazy-schemas.js';
import { verifyFormCsrf } from './http/forms.js';
import { countHttpRequest } from './lib/metrics.js';
import { sendNotFoundPage, wantsHtmlPage } from './http/page-errors.js';
import {
  assignRoutePolicy,
  bodyTypeAccepts,
  hasBody,
  isSafeMethod,
  mediaTypeOf,
  type RoutePolicy,
} from './http/route-policy.js';
import { isOidcProtocolPath } from './oidc/interaction-link.js';
import { appsAdminRoutes } from './oidc/apps.routes.js';
import { oidcClientRoutes } from './oidc/oidc-clients.routes.js';
import { oidcRoutes } from './oidc/oidc.routes.js';
import { metricsRoutes, opsRoutes } from './ops/ops.routes.js';
import { peopleRoutes } from './people/people.routes.js';
import { SCIM_PREFIX } from './scim/scim-resources.js';
import { scimRoutes } from './scim/scim.routes.js';
import { apiTokenRoutes } from './sessions/api-tokens.routes.js';
import { signInRoutes } from './sign-in/sign-in.routes.js';
import { adminWebRoutes } from './web/admin.routes.js';
import { frontlineRoutes } from './web/frontline.routes.js';

export interface BuildAppOptions {
  /** A pino logger (main.ts) or false (tests). */
  logger?: FastifyServerOptions['loggerInstance'] | false;
}

/** Body size for JSON and forms; CSV imports stream and have no such limit. */
export const BODY_LIMIT = 1024 * 1024;

export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  // Each route's schemas are compiled at its first request, not all at start (lazy-schemas.ts).
  const schemas = lazySchemaCompilers();
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.config.trustProxy.length > 0 ? [...deps.config.trustProxy] : false,
    return503OnClosing: true,
    // Errors the router raises before any route runs (a malformed URL, an over-long path
    // parameter) get the same JSON error shape as everything else.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: schemas.compilersFactory },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('compilePendingSchemas', schemas.compileAll);

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    if (wantsHtmlPage(request)) return sendNotFoundPage(deps, request, reply);
    return reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        upgradeInsecureRequests: deps.config.secureCookies ? [] : null,
      },
    },
    strictTransportSecurity: deps.config.secureCookies,
    // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on form
    // POSTs, which the same-origin check must refuse. Other sites still get no referrer.
    referrerPolicy: { policy: 'same-origin' },
  });

  // CSV imports: the body is handed over as a stream, parsed row by row by the importer. Only
  // text/csv: text/plain is a type a form on any web site may send without asking (see below).
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
  // `Content-Type: application/json` with an empty body (what curl and some clients send on a POST
  // that takes none, e.g. deactivate) is no body, not broken JSON; anything else parses as usual.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });

  // Every route that can change something gets its CSRF policy and body type as it is added
  // (route-policy.ts); the hooks below enforce them by the matched route. routeTable lists them.
  const routeTable: RoutePolicy[] = [];
  app.decorate('routeTable', routeTable);
  // Every route with each of its methods, in the order added: the authorization table test
  // (test/security/authorization.test.ts) classifies each, so none can be added unexamined.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  // And every route but the HEAD ones (which it leaves out) for the API document (openapi.ts).
  const documentedRoutes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    const policy = assignRoutePolicy(route);
    if (policy) routeTable.push(policy);
    for (const method of ([] as string[]).concat(route.method)) routeList.push({ method, url: route.url });
    if (route.method !== 'HEAD') documentedRoutes.push(route);
  });

  // A POST without a body (e.g. "issue a code" with no options) is validated as an empty object.
  // An empty query parameter (`?status=&limit=`) means "not given", as a filled-in URL template sends it.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && (request.method === 'POST' || request.method === 'PATCH')) request.body = {};
    const query = request.query as Record<string, unknown> | undefined;
    if (query && typeof query === 'object') {
      for (const [key, value] of Object.entries(query)) if (value === '') delete query[key];
    }
  });

  // Ajv coerces "1e400" to Infinity and lets it through `maximum`; no number Keyslip takes is infinite.
  app.addHook('preHandler', async (request) => {
    for (const part of [request.query, request.body]) {
      if (!part || typeof part !== 'object') continue;
      for (const [key, value] of Object.entries(part as Record<string, unknown>)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          throw new AppError('validation_failed', {
            message: `${key} must be a finite number.`,
            fields: [{ field: key, code: 'not_finite' }],
          });
        }
      }
    }
  });

  app.decorateRequest('auth', null as never);
  // Static files and the health and metrics probes need no identity: skip the session lookup,
  // which would otherwise run (and touch the session row) for every stylesheet and script.
  // Decided by the matched route, as everything below: never by the spelling of the URL.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? '';
    // oidc-provider's endpoints authenticate apps and their tokens themselves: an app's Bearer
    // access token is not a Keyslip API token. SCIM checks its own kind of token (scim.routes.ts).
    const needsNoIdentity =
      route.startsWith(ASSETS_PREFIX) ||
      route === '/healthz' ||
      route === '/metrics' ||
      isOidcProtocolPath(route) ||
      route.startsWith(SCIM_PREFIX) ||
      (request.is404 && request.url.startsWith(`${SCIM_PREFIX}/`));
    request.auth = needsNoIdentity ? anonymous(request) : await authenticate(deps, request);
  });
  // A request that may change something: the body must be the route's one type (415 otherwise),
  // and an API write from a browser must be same-origin and, with a session, carry the token.
  app.addHook('onRequest', async (request) => {
    if (isSafeMethod(request.method)) return;
    const { csrf, body } = request.routeOptions.config;
    if (csrf === undefined || body === undefined) {
      if (request.is404) return;
      throw new AppError('forbidden');
    }
    if (csrf === 'none') request.auth = anonymous(request);
    if (hasBody(request) && !bodyTypeAccepts(body, mediaTypeOf(request.headers['content-type']))) {
      throw new AppError('unsupported_media_type', { message: `Send the body with Content-Type: ${body}.` });
    }
    if (csrf !== 'api' || request.auth.via === 'token' || !isFromBrowser(request)) return;
    assertSameOrigin(deps.config, request);
    if (
      request.auth.via === 'session' &&
      !csrfTokenValid(deps.keyring, request.auth.sessionIdHash, request.headers[CSRF_HEADER])
    ) {
      throw new AppError('csrf_failed', { message: 'A request from a browser with a session needs X-CSRF-Token.' });
    }
  });
  // A form's token is in its body, so this waits for the body to be parsed. The page handlers
  // check it again themselves; this hook is what guarantees no form route goes unchecked.
  app.addHook('preValidation', async (request) => {
    if (!isSafeMethod(request.method) && request.routeOptions.config.csrf === 'form') verifyFormCsrf(deps, request);
  });
  app.addHook('onResponse', async (_request, reply) => {
    countHttpRequest({ status: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  await app.register(opsRoutes(deps));
  await app.register(peopleRoutes(deps));
  await app.register(areasRoutes(deps));
  await app.register(accountsRoutes(deps));
  await app.register(accessCodeAdminRoutes(deps));
  await app.register(accessCodePublicRoutes(deps));
  await app.register(adminCodeRequestRoutes(deps));
  await app.register(signInRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(apiTokenRoutes(deps));
  await app.register(frontlineRoutes(deps));
  await app.register(adminWebRoutes(deps));
  await app.register(oidcRoutes(deps));
  await app.register(oidcClientRoutes(deps));
  await app.register(appsAdminRoutes(deps));
  await app.register(scimRoutes(deps), { prefix: SCIM_PREFIX });
  let apiDocument: Promise<unknown> | null = null;
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => {
    apiDocument ??= buildApiDocument(deps.config, documentedRoutes).catch((error: unknown) => {
      apiDocument = null;
      throw error;
    });
    return apiDocument;
  });

  return app;
}

/**
 * The separate listener for KEYSLIP_METRICS_HOST:KEYSLIP_METRICS_PORT (main.ts starts it): only
 * GET /metrics, everything else 404, errors in the usual JSON shape. No sessions, no cookies.
 */
export async function buildMetricsApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send({ error: { code: 'not_found', message: 'Only GET /metrics is served here.' } }),
  );
  await app.register(metricsRoutes(deps, { listener: 'metrics' }));
  return app;
}
