import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth.js';
import { pickLocale } from '../http/i18n.js';
import { authorizeTarget, scopeOf } from '../http/scope.js';
import { areasOfPeople, areasOfPerson } from '../areas/areas.service.js';
import { answerOnce, IDEMPOTENCY_KEY_PATTERN } from '../http/idempotency.js';
import {
  DateTime,
  errorResponses,
  ErrorSchema,
  IdParams,
  PeopleFilterSchema,
  PersonCreateSchema,
  PersonPatchSchema,
  PersonSchema,
} from '../http/schemas.js';
import { etagOf, toPerson, type Person } from './person.js';
import { importPeople, reportInWords } from './people-import.js';
import { createPerson, getPerson, updatePerson } from './people.service.js';
import { COUNT_CAP, decodeCursor, encodeCursor, filterOf, withinAreas } from './people-query.js';
import { countPeople, searchPeopleRows } from './people.store.js';

const SearchQuery = Type.Composite(
  [
    PeopleFilterSchema,
    Type.Object({
      updatedSince: Type.Optional(
        DateTime({ description: 'Only people whose fields or status changed at or after this moment.' }),
      ),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
      cursor: Type.Optional(Type.String({ maxLength: 400, description: "An earlier page's nextCursor (opaque)." })),
      count: Type.Optional(Type.Boolean({ description: `Also count the matches (up to ${COUNT_CAP}).` })),
    }),
  ],
  { additionalProperties: false },
);

export const IdempotencyKeyHeader = Type.Optional(
  Type.String({
    pattern: IDEMPOTENCY_KEY_PATTERN,
    description:
      'Makes a retry safe: the same key with the same request within 24 hours answers what the first did ' +
      '(Idempotent-Replayed: true); with another request, 422.',
  }),
);

const PeoplePage = Type.Object(
  {
    items: Type.Array(PersonSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page.' }),
    total: Type.Optional(Type.Object({ count: Type.Integer(), capped: Type.Boolean() })),
  },
  { title: 'PeoplePage' },
);

export const ImportReportSchema = Type.Object(
  {
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer({ description: 'Rows that matched a person and changed nothing.' }),
    errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })),
  },
  { title: 'ImportReport' },
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
      {
        schema: {
          operationId: 'createPerson',
          summary: 'Create a person',
          tags: ['people'],
          headers: Type.Object({ 'idempotency-key': IdempotencyKeyHeader }),
          body: PersonCreateSchema,
          response: { 201: PersonSchema, ...errorResponses, 422: ErrorSchema },
          'x-keyslip-headers': { 201: ['Location', 'ETag', 'Idempotent-Replayed'] },
        },
      },
      async (request, reply) =>
        answerOnce(deps, request, reply, { carriesSecret: false }, async () => {
          const person = await createPerson(deps, request.body, request.auth.actor);
          const headers = { Location: `/api/v1/people/${person.id}`, ETag: etagOf(person) };
          return { status: 201, body: { ...person, areas: [] }, headers, personId: person.id };
        }),
    );

    app.get(
      '/api/v1/people',
      {
        config: { managers: true },
        schema: {
          operationId: 'listPeople',
          summary: 'Find people',
          description:
            'Every filter narrows the result. Pages come in one stable order whatever the filter and the ' +
            'number of matches: newest first (by creation); follow nextCursor to the end. People created ' +
            'while you page come before your cursor, so an incremental sync notes the time before its first ' +
            'page and passes it as updatedSince next time.',
          tags: ['people'],
          querystring: SearchQuery,
          response: { 200: PeoplePage, ...errorResponses },
        },
      },
      async (request) => {
        const now = deps.clock.now();
        // A manager sees the members of their areas only, narrowed inside the query (counts and
        // cursors agree); their areas are read afresh on every request.
        const scope = await scopeOf(deps, request);
        const { updatedSince, ...rest } = request.query;
        const asked = filterOf({ ...rest, ...(updatedSince ? { updatedSince: Date.parse(updatedSince) } : {}) });
        const filter = scope.all ? asked : withinAreas(asked, scope.areaIds);
        const page = await searchPeopleRows(deps.db, filter, {
          limit: request.query.limit ?? 50,
          after: decodeCursor(request.query.cursor),
          now,
          order: 'newest',
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
        schema: {
          operationId: 'getPerson',
          summary: 'Read a person',
          tags: ['people'],
          params: IdParams,
          response: { 200: PersonSchema, ...errorResponses },
          'x-keyslip-headers': { 200: ['ETag'] },
        },
      },
      async (request, reply) => {
        await authorizeTarget(deps, request, request.params.id, 'view');
        const person = await getPerson(deps, request.params.id);
        if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
        return reply.header('ETag', etagOf(person)).send(await withAreas(person));
      },
    );

    app.patch(
      '/api/v1/people/:id',
      {
        schema: {
          operationId: 'updatePerson',
          summary: 'Edit a person',
          description: 'Send If-Match with the ETag you read: a person changed since then answers 412.',
          tags: ['people'],
          params: IdParams,
          headers: Type.Object({
            'if-match': Type.Optional(Type.String({ maxLength: 1000, description: 'An ETag of this person, or *.' })),
          }),
          body: PersonPatchSchema,
          response: { 200: PersonSchema, ...errorResponses, 412: ErrorSchema },
          'x-keyslip-headers': { 200: ['ETag'] },
        },
      },
      async (request, reply) => {
        const ifMatch = request.headers['if-match'];
        const options = typeof ifMatch === 'string' ? { ifMatch } : {};
        const person = await updatePerson(deps, request.params.id, request.body, request.auth.actor, options);
        return reply.header('ETag', etagOf(person)).send(await withAreas(person));
      },
    );

    // The CSV body arrives as a stream (see app.ts) and is parsed row by row: any size, bounded memory.
    app.post(
      '/api/v1/people/import',
      {
        schema: {
          operationId: 'importPeople',
          summary: 'Import people from CSV',
          description:
            'A CSV body (text/csv) with a header row of some of: name, username, email, employeeId, department, ' +
            'location, title, role, areas (names separated by "|", created when new; a row replaces the ' +
            "person's areas, an empty cell clears them, no column leaves them). A row matching a person by " +
            'username or employee id updates them; others are created. Bad rows are reported by line and ' +
            'skipped; the rest is imported (200).',
          tags: ['people'],
          response: { 200: ImportReportSchema, ...errorResponses },
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
