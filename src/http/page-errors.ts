// Errors on HTML pages: a friendly page in the visitor's language with the right status, never a
// stack trace. A page plugin installs it with `app.setErrorHandler(pageErrorHandler(deps))`;
// the API keeps its JSON error handler (errors.handler.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError, ERRORS } from '../errors.js';
import type { Auth } from './auth.js';
import { noteServerError, toAppError } from './errors.handler.js';
import { csrfTokenForRequest, safeNextPath } from './forms.js';
import { pickLocale } from './i18n.js';
import { renderErrorPage, sendPage } from './layout.js';

const NO_AUTH: Auth = { via: 'none', person: null, actor: { kind: 'anonymous', id: null, label: 'anonymous' } };

function currentPath(request: FastifyRequest): string {
  return request.url.length > 2000 ? '/' : request.url;
}

/** The page the visitor came from, when it is one of ours (the Referrer-Policy is same-origin). */
function sameSiteReferrerPath(request: FastifyRequest): string | null {
  const referer = request.headers.referer;
  const host = request.headers.host;
  if (typeof referer !== 'string' || !host) return null;
  try {
    const url = new URL(referer);
    if (url.host !== new URL(`${url.protocol}//${host}`).host) return null;
    const path = safeNextPath(url.pathname + url.search, '');
    return path === '' || (path === currentPath(request) && request.method === 'GET') ? null : path;
  } catch {
    return null;
  }
}

/** Renders and sends an error page for an AppError. */
export function sendErrorPage(deps: Deps, request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const locale = pickLocale(request);
  const auth = request.auth ?? NO_AUTH;
  if (!request.auth) request.auth = NO_AUTH;
  const retryAfterSeconds = error.options.retryAfterSeconds;
  const backPath = error.status === 404 ? null : sameSiteReferrerPath(request);
  if (retryAfterSeconds !== undefined) reply.header('Retry-After', String(retryAfterSeconds));
  const page = renderErrorPage({
    locale,
    auth,
    csrfToken: csrfTokenForRequest(deps, request, reply),
    path: currentPath(request),
    status: error.status,
    message: ERRORS[error.code][locale],
    code: error.code,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(backPath ? { backPath } : {}),
  });
  return sendPage(reply, page, { noStore: true, status: error.status });
}

/**
 * The error handler for page plugins. "Sign in first" on a GET sends the visitor to /login and
 * back here afterwards; everything else becomes an error page.
 */
export function pageErrorHandler(
  deps: Deps,
): (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const appError = toAppError(error);
    noteServerError(error, appError, request, reply);
    if (appError.code === 'unauthenticated' && (request.method === 'GET' || request.method === 'HEAD')) {
      return reply
        .header('Cache-Control', 'no-store')
        .redirect(`/login?next=${encodeURIComponent(currentPath(request))}`, 303);
    }
    return sendErrorPage(deps, request, reply, appError);
  };
}

/** Whether a request is a browser asking for a page (not an API call, not an asset). */
export function wantsHtmlPage(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** The HTML 404 page, for app.ts's not-found handler. */
export function sendNotFoundPage(deps: Deps, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendErrorPage(deps, request, reply, new AppError('not_found'));
}
