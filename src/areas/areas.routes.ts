// /api/v1/areas (SPEC §9): areas, their members and managers. Admin only: a manager's scoped
// reading is the authorization table's to grant.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { errorResponses, IdParams, Nullable } from '../http/schemas.js';
import { AREA_NAME_MAX, decodeAreaCursor, encodeAreaCursor } from './area.js';
import {
  addAreaManager,
  addAreaMember,
  createArea,
  deleteArea,
  getArea,
  listAreaMembers,
  listAreas,
  removeAreaManager,
  removeAreaMember,
  renameArea,
} from './areas.service.js';

export const AreaSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  memberCount: Type.Integer(),
  managerCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const AreaPersonSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  username: Nullable(Type.String()),
  employeeId: Nullable(Type.String()),
  role: Type.Union([Type.Literal('member'), Type.Literal('manager'), Type.Literal('admin')]),
  status: Type.Union([Type.Literal('unclaimed'), Type.Literal('active'), Type.Literal('deactivated')]),
});

const NameBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: AREA_NAME_MAX * 4,
      description: `1–${AREA_NAME_MAX} characters, any script; no control characters or "|"`,
    }),
  },
  { additionalProperties: false },
);

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 1000 })),
};

const ListQuery = Type.Object(
  { q: Type.Optional(Type.String({ maxLength: 200, description: 'A fragment of the name' })), ...Paging },
  { additionalProperties: false },
);

const PersonParams = Type.Object({
  id: IdParams.properties.id,
  personId: IdParams.properties.id,
});

const PeoplePage = Type.Object({
  items: Type.Array(AreaPersonSchema),
  nextCursor: Nullable(Type.String()),
});

const noContent = { 204: Type.Null(), ...errorResponses };

export function areasRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.get(
      '/api/v1/areas',
      {
        schema: {
          tags: ['areas'],
          querystring: ListQuery,
          response: { 200: Type.Object({ items: Type.Array(AreaSchema), nextCursor: Nullable(Type.String()) }) },
        },
      },
      async (request) => {
        const { q, limit, cursor } = request.query;
        const page = await listAreas(deps.db, { q, limit: limit ?? 50, after: decodeAreaCursor(cursor) });
        return { items: page.items, nextCursor: encodeAreaCursor(page.next) };
      },
    );

    app.post(
      '/api/v1/areas',
      { schema: { tags: ['areas'], body: NameBody, response: { 201: AreaSchema, ...errorResponses } } },
      async (request, reply) => reply.status(201).send(await createArea(deps, request.body.name, request.auth.actor)),
    );

    app.get(
      '/api/v1/areas/:id',
      { schema: { tags: ['areas'], params: IdParams, response: { 200: AreaSchema, ...errorResponses } } },
      async (request) => {
        const area = await getArea(deps.db, request.params.id);
        if (!area) throw new AppError('not_found', { message: 'No area with that id.' });
        return area;
      },
    );

    app.patch(
      '/api/v1/areas/:id',
      {
        schema: {
          tags: ['areas'],
          description: 'Renames the area.',
          params: IdParams,
          body: NameBody,
          response: { 200: AreaSchema, ...errorResponses },
        },
      },
      async (request) => renameArea(deps, request.params.id, request.body.name, request.auth.actor),
    );

    app.delete(
      '/api/v1/areas/:id',
      {
        schema: {
          tags: ['areas'],
          description: 'Deletes the area and its memberships; its people stay.',
          params: IdParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await deleteArea(deps, request.params.id, request.auth.actor);
        return reply.status(204).send(null);
      },
    );

    for (const kind of ['members', 'managers'] as const) {
      const managers = kind === 'managers';
      app.get(
        `/api/v1/areas/:id/${kind}`,
        {
          schema: {
            tags: ['areas'],
            description: `The area's ${kind}, in name order.`,
            params: IdParams,
            querystring: Type.Object(Paging, { additionalProperties: false }),
            response: { 200: PeoplePage, ...errorResponses },
          },
        },
        async (request) => {
          if (!(await getArea(deps.db, request.params.id))) {
            throw new AppError('not_found', { message: 'No area with that id.' });
          }
          const page = await listAreaMembers(deps.db, request.params.id, {
            managers,
            limit: request.query.limit ?? 50,
            after: decodeAreaCursor(request.query.cursor),
          });
          return {
            items: page.rows.map((row) => ({
              id: row.id,
              name: row.name,
              username: row.username,
              employeeId: row.employee_id,
              role: row.role,
              status: row.status,
            })),
            nextCursor: encodeAreaCursor(page.next),
          };
        },
      );

      app.put(
        `/api/v1/areas/:id/${kind}/:personId`,
        {
          schema: {
            tags: ['areas'],
            description: managers
              ? 'Makes the person a manager of the area (idempotent). A member becomes a manager; an admin ' +
                'stays an admin; a deactivated person is refused (409).'
              : 'Makes the person a member of the area (idempotent).',
            params: PersonParams,
            response: noContent,
          },
        },
        async (request, reply) => {
          const { id, personId } = request.params;
          const add = managers ? addAreaManager : addAreaMember;
          await add(deps, id, personId, request.auth.actor);
          return reply.status(204).send(null);
        },
      );

      app.delete(
        `/api/v1/areas/:id/${kind}/:personId`,
        {
          schema: {
            tags: ['areas'],
            description: managers
              ? 'Removes the person from the managers of the area (404 if not one); their role stays.'
              : 'Removes the person from the members of the area (404 if not one).',
            params: PersonParams,
            response: noContent,
          },
        },
        async (request, reply) => {
          const { id, personId } = request.params;
          const remove = managers ? removeAreaManager : removeAreaMember;
          if (!(await remove(deps, id, personId, request.auth.actor))) {
            const what = managers ? 'a manager' : 'a member';
            throw new AppError('not_found', { message: `That person is not ${what} of this area.` });
          }
          return reply.status(204).send(null);
        },
      );
    }
  };
}
