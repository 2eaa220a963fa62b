// The admin's API tokens page: the list, and revoking one. A table of routes, then the handlers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { verifyFormCsrf } from '../http/forms.js';
import { pickLocale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { listApiTokens, revokeApiToken } from '../sessions/api-tokens.js';
import { tokensPage } from './admin-tokens.views.js';
import { idParam, page, queryOf, sessionOf, text, type AdminRoute } from './admin.page.js';

export const ADMIN_TOKENS_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/tokens', handler: listTokens },
  { method: 'POST', url: '/admin/tokens/:id/revoke', handler: revokeToken },
];

async function listTokens(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const now = deps.clock.now();
  const tokens = await listApiTokens(deps.db, now);
  const done = text(queryOf(request).done, 40) === 'token-revoked';
  const body = (csrfToken: string) => tokensPage({ locale, csrfToken, tokens, now, done });
  return page(deps, request, reply, { title: labelText(locale, 'apiTokens'), wide: true, body });
}

async function revokeToken(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const options = { id: idParam(request), actor: sessionOf(request).actor, now: deps.clock.now() };
  const result = await revokeApiToken(deps.db, options);
  if (!result) throw new AppError('not_found');
  return reply.redirect('/admin/tokens?done=token-revoked', 303);
}
