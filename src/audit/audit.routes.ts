import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { ID_PATTERN } from '../lib/id.js';
import { requireAdmin } from '../http/auth.js';
import { errorResponses, Nullable, DateTime, StringEnum } from '../http/schemas.js';
import { AUDIT_ACTIONS, listAuditEvents, type AuditFilter } from './audit.js';

const AuditQuery = Type.Object(
  {
    personId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    actorId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    action: Type.Optional(StringEnum(AUDIT_ACTIONS)),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  },
  { additionalProperties: false },
);

const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    at: DateTime(),
    action: Type.Unsafe<string>({ type: 'string', enum: [...AUDIT_ACTIONS] }),
    actor: Type.Object({ id: Nullable(Type.String()), label: Type.String() }),
    personId: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'Depends on the action; never a secret.' }),
    ip: Nullable(Type.String()),
  },
  { title: 'AuditEvent' },
);

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
        schema: {
          operationId: 'listAuditEvents',
          summary: 'Read the audit log',
          description: 'Newest first; follow nextCursor for older entries.',
          tags: ['audit'],
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
