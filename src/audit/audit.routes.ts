import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { ID_PATTERN } from '../lib/id.js';
import { requireAdmin } from '../http/auth.js';
import { scopeOf } from '../http/scope.js';
import { errorResponses, Nullable } from '../http/schemas.js';
import { AUDIT_ACTIONS, listAuditEvents, type AuditFilter } from './audit.js';

const AuditQuery = Type.Object(
  {
    personId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    actorId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    action: Type.Optional(Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)))),
    area: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'Only entries naming this area.' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  },
  { additionalProperties: false },
);

const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  action: Type.String(),
  actor: Type.Object({ id: Nullable(Type.String()), label: Type.String() }),
  personId: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  ip: Nullable(Type.String()),
  areaId: Nullable(Type.String()),
});

function timeOf(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('validation_failed', { fields: [{ field, code: 'not_a_date_time' }] });
  return ms;
}

export function auditRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/audit',
      {
        preHandler: requireAdmin,
        config: { managers: true },
        schema: {
          tags: ['audit'],
          description: "Newest first. A manager's session reads the entries of the areas they manage only.",
          querystring: AuditQuery,
          response: {
            200: Type.Object({ items: Type.Array(AuditEventSchema), nextCursor: Nullable(Type.String()) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const filter: AuditFilter = { limit: q.limit ?? 50 };
        if (q.personId) filter.personId = q.personId;
        if (q.actorId) filter.actorId = q.actorId;
        if (q.action) filter.action = q.action;
        const scope = await scopeOf(deps, request);
        if (!scope.all) filter.areaIds = q.area ? scope.areaIds.filter((a) => a === q.area) : scope.areaIds;
        else if (q.area) filter.areaIds = [q.area];
        if (q.cursor) filter.cursor = q.cursor;
        const from = timeOf(q.from, 'from');
        const to = timeOf(q.to, 'to');
        if (from !== undefined) filter.from = from;
        if (to !== undefined) filter.to = to;
        return listAuditEvents(deps.db, filter);
      },
    );
  };
}
