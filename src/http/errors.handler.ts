// The one place that turns errors into HTTP answers: JSON `{ error: { code, message } }` for the
// API, never a stack trace; 5xx are logged, 4xx are the caller's business.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode } from '../errors.js';
import { describeProblem, type FieldProblem } from '../problems.js';
import { isDatabaseUnavailable, isUnstorableText } from '../db/database.js';
import { countDatabaseUnavailable } from '../lib/metrics.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: { field: string; message: string }[] };
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * The field a schema error is about, as the client named it: `filter.status`, the unknown property
 * itself (`manager`), the missing one, or the query parameter or header.
 */
function validationFieldOf(v: ValidationIssue, context: string | undefined): string {
  const params = (v.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const parts = (v.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const leaf = params.additionalProperty ?? params.missingProperty;
  if (leaf !== undefined) parts.push(leaf);
  return parts.length > 0 ? parts.join('.') : (context ?? 'body');
}

/** The schema's complaint in words, with the allowed values of an enum. */
function validationDetailOf(v: ValidationIssue): string | undefined {
  const params = (v.params ?? {}) as { allowedValues?: unknown[]; additionalProperty?: string };
  if (v.keyword === 'additionalProperties') return 'is not a known field';
  if (v.keyword === 'required') return 'is required';
  if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `must be one of: ${params.allowedValues.map(String).join(', ')}`;
  }
  return v.message;
}

/** Maps anything thrown to an AppError the client may see. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const seen = new Set<string>();
    const fields: FieldProblem[] = [];
    for (const v of fastifyError.validation) {
      const field = validationFieldOf(v, fastifyError.validationContext);
      const detail = validationDetailOf(v);
      if (seen.has(`${field}\n${detail}`)) continue;
      seen.add(`${field}\n${detail}`);
      fields.push({ field, ...(detail ? { code: 'schema', params: { detail } } : { code: 'not_valid' }) });
    }
    const words = fields.map((f) => `${f.field} ${describeProblem('en', f)}`).join('; ');
    return new AppError('validation_failed', { message: `Not valid: ${words}.`, fields });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('bad_request', { message: 'The body is not valid JSON.' });
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError('bad_request');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('bad_request', { message: 'A part of the address is too long.' });
  }
  if (error instanceof SyntaxError) return new AppError('bad_request', { message: 'The body is not valid JSON.' });
  if (isDatabaseUnavailable(error)) return new AppError('database_unavailable');
  if (isUnstorableText(error))
    return new AppError('bad_request', { message: 'The request contains a character that cannot be used (NUL).' });
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (Object.keys(ERRORS) as ErrorCode[]).find((c) => ERRORS[c].status === status) ?? 'bad_request';
    return new AppError(code);
  }
  return new AppError('internal');
}

export function errorBody(error: AppError, message?: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: message ?? error.message } };
  // The API speaks English; a page words the same problems in the visitor's language.
  if (error.options.fields)
    body.error.fields = error.options.fields.map((f) => ({ field: f.field, message: describeProblem('en', f) }));
  return body;
}

/**
 * The 5xx side of both error handlers (this one and the pages'): a lost database is counted,
 * logged as a warning and answered with Retry-After; any other 5xx is logged as a fault.
 */
export function noteServerError(
  error: unknown,
  appError: AppError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (appError.status < 500) return;
  if (appError.code === 'database_unavailable') {
    countDatabaseUnavailable();
    request.log.warn(
      { err: { message: (error as Error).message, code: (error as { code?: string }).code } },
      'database unavailable',
    );
    reply.header('Retry-After', '5');
  } else if (appError.code !== 'busy') {
    // busy (503) is load shedding by design, counted in keyslip_rate_limited_total, not a fault.
    request.log.error({ err: error }, 'request failed');
  }
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error);
  noteServerError(error, appError, request, reply);
  if (appError.options.retryAfterSeconds !== undefined)
    reply.header('Retry-After', String(appError.options.retryAfterSeconds));
  reply.status(appError.status).type('application/json; charset=utf-8').send(errorBody(appError));
}
