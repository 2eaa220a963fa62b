import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { ID_PATTERN } from '../lib/id.js';
import { requireAdmin } from '../http/auth.js';
import { scopeOf } from '../http/scope.js';
import { pickLocale } from '../http/i18n.js';
import { auditCsv } from '../web/admin-audit.pages.js';
import { errorResponses, Nullable, DateTime } from '../http/schemas.js';
import { AUDIT_ACTIONS, listAuditEvents, type AuditFilter } from './audit.js';

const AuditQuery = Type.Object(
  {
    personId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    actorId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    // One enum in the document, typed as a plain string: a union of every action is too deep for tsc.
    action: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...AUDIT_ACTIONS] })),
    area: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'Only entries naming this area.' })),
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
    areaId: Nullable(Type.String()),
  },
  { title: 'AuditEvent' },
);

function timeOf(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('validation_failed', { fields: [{ field, code: 'not_a_date_time' }] });
  return ms;
}

/** Whether the client asked for CSV before JSON (`Accept: text/csv`). */
function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.findIndex((type) => type === 'application/json' || type === 'application/*');
  return csv >= 0 && (json < 0 || csv < json);
}

export function auditRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/audit',
      {
        preHandler: requireAdmin,
        config: { managers: true },
        schema: {
          operationId: 'listAuditEvents',
          summary: 'Read the audit log',
          tags: ['audit'],
          querystring: AuditQuery,
          description:
            'The audit log, newest first; follow nextCursor for older entries. ' +
            "A manager's session reads the entries of the areas they manage only. " +
            'With `Accept: text/csv` the answer is every entry the filters select ' +
            '(from `cursor` on, at most 100,000; `limit` is ignored) as a CSV file in the language of ' +
            '`Accept-Language`, with plain-language actions and details; no cell can start a spreadsheet formula.',
          produces: ['application/json', 'text/csv'],
          response: {
            200: Type.Object({ items: Type.Array(AuditEventSchema), nextCursor: Nullable(Type.String()) }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const filter: AuditFilter = { limit: q.limit ?? 50 };
        if (q.personId) filter.personId = q.personId;
        if (q.actorId) filter.actorId = q.actorId;
        if (q.action) filter.action = String(q.action);
        const scope = await scopeOf(deps, request as FastifyRequest);
        if (!scope.all) filter.areaIds = q.area ? scope.areaIds.filter((a) => a === q.area) : scope.areaIds;
        else if (q.area) filter.areaIds = [q.area];
        if (q.cursor) filter.cursor = q.cursor;
        const from = timeOf(q.from, 'from');
        const to = timeOf(q.to, 'to');
        if (from !== undefined) filter.from = from;
        if (to !== undefined) filter.to = to;
        if (wantsCsv(request.headers.accept)) {
          const csv = await auditCsv(deps, pickLocale(request), filter);
          const plain = reply as FastifyReply;
          return plain.header('Cache-Control', 'no-store').type('text/csv; charset=utf-8').send(csv);
        }
        return listAuditEvents(deps.db, filter);
      },
    );
  };
}
