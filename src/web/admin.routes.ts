// The admin panel (SPEC §5): People (search, filters, paging, "More options" menus), one person's
// access code (issue → shown once), codes for a group (confirmation → batch page → CSV/PDF),
// add/edit/deactivate a person, import, the audit log, and the API tokens (list, revoke). Every
// page needs an admin's session; every POST carries `_csrf` and answers 303 (POST-redirect-GET),
// so a reload never repeats it. Each page file is a table of named handlers; this plugin
// registers them all behind the admin guard and the page error handler.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { pageErrorHandler } from '../http/page-errors.js';
import { ADMIN_AREAS_ROUTES } from './admin-areas.pages.js';
import { ADMIN_AUDIT_ROUTES } from './admin-audit.pages.js';
import { ADMIN_CODE_REQUEST_ROUTES } from './admin-code-requests.pages.js';
import { ADMIN_CODES_ROUTES } from './admin-codes.pages.js';
import { ADMIN_GUIDE_ROUTES } from './admin-guide.pages.js';
import { ADMIN_PEOPLE_ROUTES } from './admin-people.pages.js';
import { ADMIN_TOKENS_ROUTES } from './admin-tokens.pages.js';
import { requireAdminPage, type AdminRoute } from './admin.page.js';

const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    url: '/admin',
    managers: true,
    handler: async (_deps, _request, reply) => reply.redirect('/admin/people', 303),
  },
  ...ADMIN_PEOPLE_ROUTES,
  ...ADMIN_AREAS_ROUTES,
  ...ADMIN_CODES_ROUTES,
  ...ADMIN_TOKENS_ROUTES,
  ...ADMIN_AUDIT_ROUTES,
  ...ADMIN_CODE_REQUEST_ROUTES,
  ...ADMIN_GUIDE_ROUTES,
];

export function adminWebRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(pageErrorHandler(deps));
    app.addHook('preHandler', requireAdminPage);
    for (const route of ADMIN_ROUTES) {
      const handler = (request: FastifyRequest, reply: FastifyReply) => route.handler(deps, request, reply);
      const config = route.managers ? { managers: true } : {};
      app.route({ method: route.method, url: route.url, config, handler });
    }
  };
}
