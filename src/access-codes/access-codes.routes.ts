import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { clientOf } from '../http/client.js';
import { setSessionCookie } from '../http/cookies.js';
import { currentSessionHashOf, requireAdmin } from '../http/auth.js';
import { authorizeBatch, authorizeTarget, codeQuotaOf, managerBulkOf } from '../http/scope.js';
import { answerOnce, IDEMPOTENCY_KEY_PATTERN, idempotencyKeyOf } from '../http/idempotency.js';
import {
  DateTime,
  ErrorSchema,
  errorResponses,
  IdParams,
  Nullable,
  PeopleFilterSchema,
  PersonSchema,
  StringEnum,
} from '../http/schemas.js';
import { pickLocale } from '../http/i18n.js';
import { toPerson } from '../people/person.js';
import { filterOf } from '../people/people-query.js';
import {
  checkAccessCode,
  checkUsernameAvailable,
  deactivateAccessCode,
  getAccessCodeStatus,
  issueAccessCode,
  redeemAccessCode,
} from './access-codes.service.js';
import {
  approveAdminCodeRequest,
  collectAdminCode,
  declineAdminCodeRequest,
  getAdminCodeRequest,
  listOpenAdminCodeRequests,
  requestAdminCode,
  twoPersonRuleOn,
} from './admin-code-requests.js';
import { codesFormat, sendBatch } from './batch-files.js';
import { deactivateAccessCodes, getBatch, issueAccessCodes } from './batches.service.js';

const NO_STORE = 'no-store';

const BatchSchema = Type.Object(
  {
    id: Type.String(),
    createdAt: DateTime(),
    createdBy: Nullable(Type.String()),
    filter: PeopleFilterSchema,
    count: Type.Integer(),
    downloadUntil: DateTime({ description: 'The codes can be downloaded until then; afterwards 410.' }),
    downloadable: Type.Boolean(),
  },
  { title: 'Batch' },
);

const LifetimeHours = Type.Integer({
  minimum: 1,
  maximum: 2160,
  description: 'Default: the configured lifetime of a claim or recovery code. Claim codes allow less.',
});

const BulkBody = Type.Object(
  {
    filter: Type.Composite([PeopleFilterSchema], {
      additionalProperties: false,
      minProperties: 1,
      description: 'Whom to issue codes to: at least one field (`{}` is refused; there is no "everyone").',
    }),
    lifetimeHours: Type.Optional(LifetimeHours),
  },
  { additionalProperties: false, title: 'BulkIssue' },
);

const IdempotencyKeyHeader = (what: string) =>
  Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description:
        `Makes a retry safe: the same key with the same request ${what}; with another request, 422 ` +
        '(the same caller; keys are kept 24 hours).',
    }),
  );

const CodesJson = Type.Object(
  {
    batch: BatchSchema,
    items: Type.Array(
      Type.Object({
        id: Type.String({ description: "The person's id." }),
        name: Type.String(),
        username: Nullable(Type.String()),
        code: Type.String(),
        expiresAt: DateTime(),
      }),
    ),
  },
  { title: 'BatchCodes' },
);

const IssuedCodeSchema = Type.Object(
  {
    code: Type.String({ description: 'Shown in this answer only (and to a retry with the same Idempotency-Key).' }),
    expiresAt: DateTime(),
    person: Type.Object({ id: Type.String(), username: Nullable(Type.String()) }),
  },
  { title: 'IssuedAccessCode' },
);

const AccessCodeSchema = Type.Object(
  {
    state: StringEnum(['none', 'active', 'used', 'deactivated', 'replaced', 'expired'] as const),
    kind: Nullable(StringEnum(['claim', 'recovery'] as const)),
    createdAt: Nullable(DateTime()),
    expiresAt: Nullable(DateTime()),
    usedAt: Nullable(DateTime()),
    deactivatedAt: Nullable(DateTime()),
  },
  { title: 'AccessCode', description: "The state of a person's latest code; never the code." },
);

const BATCH_HEADERS = ['Location', 'Keyslip-Batch-Id', 'Content-Disposition', 'Cache-Control'];

/** How a batch's codes can come back, by Accept header. */
const CODES_CONTENT = {
  'application/json': { schema: CodesJson },
  'text/csv': { schema: Type.String({ description: 'name,username,code,expiresAt — spreadsheet-formula-safe' }) },
  'application/pdf': { schema: Type.String({ format: 'binary', description: 'A4 pages of printable slips' }) },
};

const Who = Type.Object({ id: Type.String(), name: Type.String(), username: Nullable(Type.String()) });

const AdminCodeRequestSchema = Type.Object({
  id: Type.String(),
  person: Who,
  requestedBy: Who,
  requestedAt: Type.String(),
  expiresAt: Type.String({
    description: 'Pending: until when it may be approved. Approved: until when it may be collected.',
  }),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('approved'),
    Type.Literal('declined'),
    Type.Literal('expired'),
    Type.Literal('issued'),
  ]),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String()),
  lifetimeHours: Nullable(Type.Integer()),
});

const CodeBody = Type.Object({ code: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

/** Admin routes: issue, inspect and deactivate codes, one person or many. */
export function accessCodeAdminRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Before the body is validated: a member learns nothing from a bulk request's validation.
    app.addHook('onRequest', requireAdmin);

    app.post(
      '/api/v1/people/:id/access-code',
      {
        config: { managers: true },
        schema: {
          operationId: 'issueAccessCode',
          summary: "Issue a person's access code",
          description:
            'A claim code for an unclaimed person, a recovery code for an active one; replaces an open code. ' +
            'With an Idempotency-Key a retry gets the same code (kept sealed for the batch download window, ' +
            'then 410) instead of replacing it. For an admin account while two or more active admins exist, ' +
            'asks for one instead (202): a second admin approves it, then the one who asked collects it once.',
          tags: ['access codes'],
          params: IdParams,
          headers: Type.Object({ 'idempotency-key': IdempotencyKeyHeader('gets the same code') }),
          body: Type.Optional(
            Type.Object({ lifetimeHours: Type.Optional(LifetimeHours) }, { additionalProperties: false }),
          ),
          response: {
            201: IssuedCodeSchema,
            202: Type.Object({ request: AdminCodeRequestSchema }),
            ...errorResponses,
            410: ErrorSchema,
            422: ErrorSchema,
          },
          'x-keyslip-headers': {
            201: ['Cache-Control', 'Idempotent-Replayed'],
            202: ['Idempotent-Replayed'],
            410: ['Idempotent-Replayed'],
          },
        },
      },
      async (request, reply) => {
        const target = await authorizeTarget(deps, request, request.params.id, 'act');
        const lifetime = request.body?.lifetimeHours ? { lifetimeHours: request.body.lifetimeHours } : {};
        if (target.person.role === 'admin' && (await twoPersonRuleOn(deps.db))) {
          if (request.auth.via !== 'session') throw new AppError('admin_code_needs_approval');
          // A retry with the same Idempotency-Key gets the same request back, not a conflict.
          return answerOnce(deps, request, reply, { carriesSecret: false }, async () => {
            const asked = await requestAdminCode(deps, {
              personId: target.person.id,
              actor: request.auth.actor,
              ...lifetime,
            });
            return { status: 202, body: { request: asked }, personId: target.person.id };
          });
        }
        const quota = codeQuotaOf(deps, request);
        return answerOnce(deps, request, reply, { carriesSecret: true }, async () => {
          const issued = await issueAccessCode(deps, {
            personId: request.params.id,
            actor: request.auth.actor,
            areaId: target.areaId,
            ...(quota ? { quota } : {}),
            ...lifetime,
          });
          const body = {
            code: issued.code,
            expiresAt: new Date(issued.expiresAt).toISOString(),
            person: { id: issued.person.id, username: issued.person.username },
          };
          return { status: 201, body, headers: { 'Cache-Control': NO_STORE }, personId: issued.person.id };
        });
      },
    );

    app.get(
      '/api/v1/people/:id/access-code',
      {
        config: { managers: true },
        schema: {
          operationId: 'getAccessCode',
          summary: "Read the state of a person's access code",
          tags: ['access codes'],
          params: IdParams,
          response: { 200: AccessCodeSchema, ...errorResponses },
        },
      },
      async (request) => {
        await authorizeTarget(deps, request, request.params.id, 'view');
        const status = await getAccessCodeStatus(deps, request.params.id);
        if (!status) throw new AppError('not_found', { message: 'No person with that id.' });
        return status;
      },
    );

    app.delete(
      '/api/v1/people/:id/access-code',
      {
        config: { managers: true },
        schema: {
          operationId: 'deactivateAccessCode',
          summary: "Deactivate a person's unused access code",
          description: '404 `no_access_code` when the person has no open code.',
          tags: ['access codes'],
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const target = await authorizeTarget(deps, request, request.params.id, 'act');
        const result = await deactivateAccessCode(deps, {
          personId: request.params.id,
          actor: request.auth.actor,
          areaId: target.areaId,
        });
        if (result === null) throw new AppError('no_access_code');
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/access-codes/bulk',
      {
        config: { managers: true },
        schema: {
          operationId: 'issueAccessCodes',
          summary: 'Issue access codes to many people (a batch)',
          description:
            'Issues codes, as one batch, to everyone the filter selects (deactivated people excepted), never ' +
            "admins; a manager's batch holds only the members of their areas without email. A filter is " +
            'required. Answers CSV (Accept: text/csv), PDF slips (Accept: application/pdf; in the language of ' +
            'Accept-Language, English or Swedish) or JSON. ' +
            'An Idempotency-Key header makes retries return the same batch (200) while it can be downloaded ' +
            '(then 410 with Idempotent-Replayed).',
          body: BulkBody,
          headers: Type.Object({ 'idempotency-key': IdempotencyKeyHeader('returns the same batch') }),
          response: {
            201: { description: 'A new batch: its codes in the format asked for.', content: CODES_CONTENT },
            200: {
              description: 'A retry with the same Idempotency-Key: the same batch again.',
              content: CODES_CONTENT,
            },
            ...errorResponses,
            406: ErrorSchema,
            410: ErrorSchema,
            422: ErrorSchema,
          },
          'x-keyslip-headers': {
            201: BATCH_HEADERS,
            200: [...BATCH_HEADERS, 'Idempotent-Replayed'],
            410: ['Location', 'Keyslip-Batch-Id', 'Idempotent-Replayed'],
          },
        },
      },
      async (request, reply) => {
        codesFormat(request); // an answer the client cannot take is refused before codes are replaced
        const filter = filterOf(request.body.filter);
        if (Object.keys(filter).length === 0) {
          throw new AppError('validation_failed', {
            message: 'Give a filter that selects people: there is no "everyone".',
            fields: [{ field: 'filter', code: 'not_valid' }],
          });
        }
        const idempotencyKey = idempotencyKeyOf(request);
        const manager = await managerBulkOf(deps, request, filter);
        const { batch, replayed } = await issueAccessCodes(deps, {
          filter,
          actor: request.auth.actor,
          ...(manager ? { manager } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
          ...(request.body?.lifetimeHours ? { lifetimeHours: request.body.lifetimeHours } : {}),
        });
        reply.status(replayed ? 200 : 201);
        if (replayed) reply.header('Idempotent-Replayed', 'true');
        return sendBatch(deps, request, reply, batch, pickLocale(request));
      },
    );

    app.post(
      '/api/v1/access-codes/bulk-deactivate',
      {
        schema: {
          operationId: 'deactivateAccessCodes',
          summary: 'Deactivate the open codes of many people',
          tags: ['access codes'],
          body: Type.Object({ filter: PeopleFilterSchema }, { additionalProperties: false }),
          response: { 200: Type.Object({ deactivated: Type.Integer() }), ...errorResponses },
        },
      },
      async (request) => ({
        deactivated: await deactivateAccessCodes(deps, {
          filter: filterOf(request.body.filter),
          actor: request.auth.actor,
        }),
      }),
    );

    app.get(
      '/api/v1/batches/:id',
      {
        config: { managers: true },
        schema: {
          operationId: 'getBatch',
          summary: 'Read a batch (never its codes)',
          tags: ['access codes'],
          params: IdParams,
          response: { 200: BatchSchema, ...errorResponses },
        },
      },
      async (request) => {
        const batch = await getBatch(deps, request.params.id);
        if (!batch) throw new AppError('not_found', { message: 'No batch with that id.' });
        await authorizeBatch(deps, request, batch);
        return batch;
      },
    );

    app.get(
      '/api/v1/batches/:id/codes',
      {
        config: { managers: true },
        schema: {
          operationId: 'getBatchCodes',
          summary: "Download a batch's codes",
          description: 'The codes of a batch, while its download window lasts (then 410).',
          params: IdParams,
          querystring: Type.Object(
            { lang: Type.Optional(StringEnum(['en', 'sv'] as const, { description: 'The language of PDF slips.' })) },
            { additionalProperties: false },
          ),
          response: {
            200: { description: "The batch's codes in the format asked for.", content: CODES_CONTENT },
            ...errorResponses,
            406: ErrorSchema,
            410: ErrorSchema,
          },
          'x-keyslip-headers': { 200: BATCH_HEADERS, 410: ['Location', 'Keyslip-Batch-Id'] },
        },
      },
      async (request, reply) => {
        const batch = await getBatch(deps, request.params.id);
        if (!batch) throw new AppError('not_found', { message: 'No batch with that id.' });
        await authorizeBatch(deps, request, batch);
        return sendBatch(deps, request, reply, batch, request.query.lang ?? pickLocale(request));
      },
    );
  };
}

/** Public routes of the access-code page: check a code, check a username, redeem. */
export function accessCodePublicRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/access-code/check',
      {
        schema: {
          operationId: 'checkAccessCode',
          summary: 'Check an access code',
          description: 'Any unusable code gets the one 400 `code_unusable`; repeated failures 429.',
          tags: ['redemption'],
          security: [],
          body: CodeBody,
          response: {
            200: Type.Object({ username: Nullable(Type.String()), claim: Type.Boolean() }),
            ...errorResponses,
          },
          'x-keyslip-headers': { 200: ['Cache-Control'] },
        },
      },
      async (request, reply) => {
        reply.header('Cache-Control', NO_STORE);
        // The answer has no field for suggestions (the page asks for them itself): none are looked up.
        return checkAccessCode(deps, { code: request.body.code, client: clientOf(request), suggest: false });
      },
    );

    app.post(
      '/api/v1/access-code/username-available',
      {
        schema: {
          operationId: 'checkUsernameAvailable',
          summary: 'Check whether a username can be chosen with a code',
          tags: ['redemption'],
          security: [],
          body: Type.Object(
            { code: Type.String({ maxLength: 200 }), username: Type.String({ maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              available: Type.Boolean(),
              valid: Type.Boolean(),
              /** Free usernames to offer instead (made from the person's name and the input), best first. */
              suggestions: Type.Array(Type.String()),
            }),
            ...errorResponses,
          },
          'x-keyslip-headers': { 200: ['Cache-Control'] },
        },
      },
      async (request, reply) => {
        reply.header('Cache-Control', NO_STORE);
        return checkUsernameAvailable(deps, {
          code: request.body.code,
          username: request.body.username,
          client: clientOf(request),
        });
      },
    );

    app.post(
      '/api/v1/access-code/redeem',
      {
        schema: {
          operationId: 'redeemAccessCode',
          summary: 'Redeem an access code: set the password and sign in',
          tags: ['redemption'],
          security: [],
          body: Type.Object(
            {
              code: Type.String({ maxLength: 200 }),
              username: Type.String({ maxLength: 200 }),
              password: Type.String({ maxLength: 4096 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ person: PersonSchema, claimed: Type.Boolean() }), ...errorResponses },
          'x-keyslip-headers': { 200: ['Set-Cookie', 'Cache-Control'] },
        },
      },
      async (request, reply) => {
        const currentSessionHash = currentSessionHashOf(request);
        const redeemed = await redeemAccessCode(deps, {
          ...request.body,
          client: clientOf(request),
          currentSessionHash,
        });
        const now = deps.clock.now();
        setSessionCookie(reply, deps.config, redeemed.session, now);
        reply.header('Cache-Control', NO_STORE);
        return { person: toPerson(redeemed.person, now), claimed: redeemed.claimed };
      },
    );
  };
}

/**
 * The two-person rule's API (SPEC §9): the open requests, approve or decline one (another admin),
 * and collect the approved code (the admin who asked, once). Admins' sessions only: an API token
 * is no person, so it can neither ask, approve nor collect.
 */
export function adminCodeRequestRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', requireAdmin);
    app.addHook('preHandler', async (request) => {
      if (request.auth.via !== 'session') throw new AppError('admin_code_needs_approval');
    });

    app.get(
      '/api/v1/admin-code-requests',
      {
        schema: {
          tags: ['access codes'],
          description: 'Open requests (pending or approved), oldest first.',
          response: { 200: Type.Object({ items: Type.Array(AdminCodeRequestSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: await listOpenAdminCodeRequests(deps) }),
    );

    app.get(
      '/api/v1/admin-code-requests/:id',
      {
        schema: {
          tags: ['access codes'],
          params: IdParams,
          response: { 200: AdminCodeRequestSchema, ...errorResponses },
        },
      },
      async (request) => {
        const found = await getAdminCodeRequest(deps, request.params.id);
        if (!found) throw new AppError('not_found', { message: 'No request with that id.' });
        return found;
      },
    );

    for (const [step, decide] of [
      ['approve', approveAdminCodeRequest],
      ['decline', declineAdminCodeRequest],
    ] as const) {
      app.post(
        `/api/v1/admin-code-requests/:id/${step}`,
        {
          schema: {
            tags: ['access codes'],
            params: IdParams,
            response: { 200: AdminCodeRequestSchema, ...errorResponses },
          },
        },
        async (request) => decide(deps, { id: request.params.id, actor: request.auth.actor }),
      );
    }

    app.post(
      '/api/v1/admin-code-requests/:id/code',
      {
        schema: {
          tags: ['access codes'],
          description: 'The admin who asked collects the approved code: made now, shown this once.',
          params: IdParams,
          response: {
            201: Type.Object({
              code: Type.String(),
              expiresAt: Type.String(),
              person: Type.Object({ id: Type.String(), username: Nullable(Type.String()) }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { issued } = await collectAdminCode(deps, { id: request.params.id, actor: request.auth.actor });
        return reply
          .status(201)
          .header('Cache-Control', NO_STORE)
          .send({
            code: issued.code,
            expiresAt: new Date(issued.expiresAt).toISOString(),
            person: { id: issued.person.id, username: issued.person.username },
          });
      },
    );
  };
}
