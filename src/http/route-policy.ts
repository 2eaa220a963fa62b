// Which guard a request that may change something gets, decided by the route that matched, never
// by how the path was spelled: the router decodes `/%61pi/v1/sessions` to the API route, so a
// check on the raw URL can be walked around. Every route that takes POST, PUT, PATCH or DELETE
// has a policy in its route config (declared there, or derived from its pattern when the app
// starts); app.ts enforces it in one place:
//   - 'api':  JSON only (the CSV import: text/csv only). A browser must preflight either, and
//             there is no CORS, so no other site can send one; a browser's request must also come
//             from KEYSLIP_BASE_URL's origin and, with a session cookie, carry X-CSRF-Token.
//   - 'form': an HTML form (application/x-www-form-urlencoded) from our origin with a `_csrf`
//             field bound to the session (or, before sign-in, to the pre-session cookie).
//   - 'none': not CSRF-checked, so it refuses cookies: the request counts as anonymous. Only for
//             protocol endpoints with their own credentials (OIDC; SCIM's bearer token).
import type { FastifyRequest, RouteOptions } from 'fastify';

export type CsrfPolicy = 'api' | 'form' | 'none';
export type BodyType = 'application/json' | 'text/csv' | 'application/x-www-form-urlencoded' | 'application/scim+json';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every state-changing route with its policy, as app.ts assigned them. */
    routeTable: readonly RoutePolicy[];
    /** Every route and method the app serves (HEAD included), as app.ts collected them. */
    routeList: readonly { method: string; url: string }[];
  }
  interface FastifyContextConfig {
    /** The CSRF guard of a state-changing route; derived from the pattern when not given. */
    csrf?: CsrfPolicy;
    /** The one content type the route's body may have; derived from the pattern when not given. */
    body?: BodyType;
  }
}

export interface RoutePolicy {
  method: string;
  url: string;
  csrf: CsrfPolicy;
  body: BodyType;
}

/** Routes whose body is a CSV file, streamed to the importer. */
const CSV_ROUTES = new Set(['/api/v1/people/import']);

export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** The policy of one method of a route: what its config declares, else what its pattern implies. */
export function routePolicyOf(
  method: string,
  url: string,
  config: { csrf?: CsrfPolicy; body?: BodyType } = {},
): RoutePolicy {
  const api = url.startsWith('/api/');
  const form = 'application/x-www-form-urlencoded';
  const derivedBody: BodyType = CSV_ROUTES.has(url) ? 'text/csv' : api ? 'application/json' : form;
  return { method, url, csrf: config.csrf ?? (api ? 'api' : 'form'), body: config.body ?? derivedBody };
}

/**
 * For an onRoute hook: writes the policy into the config of a route that takes a state-changing
 * method and returns it (null for a read-only route). Throws at start-up on a route that declares
 * no CSRF policy while its pattern implies none, so no write route can be added unguarded.
 */
export function assignRoutePolicy(route: RouteOptions): RoutePolicy | null {
  const methods = ([] as string[]).concat(route.method);
  const unsafe = methods.filter((method) => !isSafeMethod(method));
  if (unsafe.length === 0) return null;
  if (unsafe.length !== methods.length) {
    throw new Error(`Route ${route.url} mixes read and write methods; declare them apart.`);
  }
  const config = (route.config ?? {}) as { csrf?: CsrfPolicy; body?: BodyType };
  const policy = routePolicyOf(unsafe.join(','), route.url, config);
  if (!['api', 'form', 'none'].includes(policy.csrf)) {
    throw new Error(`Route ${policy.method} ${route.url} has no valid CSRF policy.`);
  }
  route.config = { ...route.config, csrf: policy.csrf, body: policy.body } as typeof route.config;
  return policy;
}

/** The media type of a Content-Type header, lower-cased, without parameters; null when absent. */
export function mediaTypeOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  return header.split(';')[0]!.trim().toLowerCase();
}

/** Whether a body of `mediaType` is what the route takes: SCIM's own type, or plain JSON beside it (RFC 7644 §3.1). */
export function bodyTypeAccepts(body: BodyType, mediaType: string | null): boolean {
  if (body === 'application/scim+json') return mediaType === body || mediaType === 'application/json';
  return mediaType === body;
}

/** Whether the request carries a body (or says what type it would be). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['content-type'] !== undefined ||
    request.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}
