import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { pickLocale } from '../http/i18n.js';
import { authorizeTarget, scopeOf } from '../http/scope.js';
import { errorResponses, IdParams, PeopleFilterSchema, PersonInputSchema, PersonSchema } from '../http/schemas.js';
import { areasOfPeople, areasOfPerson } from '../areas/areas.service.js';
import { toPerson, type Person } from './person.js';
import { importPeople, reportInWords } from './people-import.js';
import { createPerson, getPerson, updatePerson } from './people.service.js';
import { COUNT_CAP, decodeCursor, encodeCursor, filterOf, withinAreas } from './people-query.js';
import { countPeople, searchPeopleRows } from './people.store.js';

const SearchQuery = Type.Composite(
  [
    PeopleFilterSchema,
    Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
      cursor: Type.Optional(Type.String({ maxLength: 400 })),
      count: Type.Optional(Type.Boolean()),
    }),
  ],
  { additionalProperties: false },
);

export function peopleRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  const withAreas = async (person: Person): Promise<Person> => ({
    ...person,
    areas: await areasOfPerson(deps.db, person.id),
  });
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.post(
      '/api/v1/people',
      { schema: { tags: ['people'], body: PersonInputSchema, response: { 201: PersonSchema, ...errorResponses } } },
      async (request, reply) => {
        const person = await createPerson(deps, request.body, request.auth.actor);
        return reply.status(201).send({ ...person, areas: [] });
      },
    );

    app.get(
      '/api/v1/people',
      {
        config: { managers: true },
        schema: {
          tags: ['people'],
          querystring: SearchQuery,
          response: {
            200: Type.Object({
              items: Type.Array(PersonSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
              total: Type.Optional(Type.Object({ count: Type.Integer(), capped: Type.Boolean() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const now = deps.clock.now();
        // A manager sees the members of their areas only, narrowed inside the query (counts and
        // cursors agree); their areas are read afresh on every request.
        const scope = await scopeOf(deps, request);
        const filter = scope.all ? filterOf(request.query) : withinAreas(filterOf(request.query), scope.areaIds);
        const page = await searchPeopleRows(deps.db, filter, {
          limit: request.query.limit ?? 50,
          after: decodeCursor(request.query.cursor),
          now,
        });
        const total = request.query.count ? await countPeople(deps.db, filter, { cap: COUNT_CAP, now }) : undefined;
        // A page's areas in one query over (person_id, area_id): cheap enough for every search.
        const areas = await areasOfPeople(
          deps.db,
          page.rows.map((row) => row.id),
        );
        return {
          items: page.rows.map((row) => ({ ...toPerson(row, now), areas: areas.get(row.id) ?? [] })),
          nextCursor: encodeCursor(page.next),
          ...(total ? { total } : {}),
        };
      },
    );

    app.get(
      '/api/v1/people/:id',
      {
        config: { managers: true },
        schema: { tags: ['people'], params: IdParams, response: { 200: PersonSchema, ...errorResponses } },
      },
      async (request) => {
        await authorizeTarget(deps, request, request.params.id, 'view');
        const person = await getPerson(deps, request.params.id);
        if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
        return withAreas(person);
      },
    );

    app.patch(
      '/api/v1/people/:id',
      {
        schema: {
          tags: ['people'],
          params: IdParams,
          body: PersonInputSchema,
          response: { 200: PersonSchema, ...errorResponses },
        },
      },
      async (request) => withAreas(await updatePerson(deps, request.params.id, request.body, request.auth.actor)),
    );

    // The CSV body arrives as a stream (see app.ts) and is parsed row by row: any size, bounded memory.
    app.post(
      '/api/v1/people/import',
      {
        schema: {
          tags: ['people'],
          description:
            'CSV body (text/csv) with a header row: name, username, ' +
            'email, employeeId, department, location, title, role, areas (names separated by "|", created ' +
            "when new; a row replaces the person's areas, an empty cell clears them, no column leaves them).",
          response: {
            200: Type.Object({
              created: Type.Integer(),
              updated: Type.Integer(),
              errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const body = request.body as unknown;
        if (!body || typeof (body as NodeJS.ReadableStream).pipe !== 'function') {
          throw new AppError('unsupported_media_type', {
            message: 'Send the CSV file as the body with Content-Type: text/csv.',
          });
        }
        const report = await importPeople(deps, body as import('node:stream').Readable, request.auth.actor);
        // The admin page posts the file with its session: its report follows the admin's language.
        // An API token gets English, as every JSON message is.
        return reportInWords(report, request.auth.via === 'session' ? pickLocale(request) : 'en');
      },
    );
  };
}
