// SCIM speaks its own error shape (RFC 7644 §3.12): `schemas`, `status` as a string, an optional
// `scimType` and a `detail`. ScimError is what the SCIM face throws; scimErrorOf maps anything
// else (an AppError from the people or accounts layer, a framework error) onto it, by code, never
// by matching words. The API's own `{ error: { code, message } }` never appears under /scim/v2.
import type { AppError } from '../errors.js';
import { toAppError } from '../http/errors.handler.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12, table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export function scimErrorBody(error: ScimError): ScimErrorBody {
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.detail,
  };
}

const UNIQUENESS: Record<string, string> = {
  username_taken: 'userName is already in use.',
  email_taken: 'That email address is already in use.',
  employee_id_taken: 'That employeeNumber is already in use.',
};

/** Anything thrown under /scim/v2, as a SCIM error (and the AppError behind it, for logging 5xx). */
export function scimErrorOf(error: unknown): { scim: ScimError; app: AppError | null } {
  if (error instanceof ScimError) return { scim: error, app: null };
  const app = toAppError(error);
  const uniqueness = UNIQUENESS[app.code];
  if (uniqueness) return { scim: new ScimError(409, uniqueness, 'uniqueness'), app };
  if (app.code === 'validation_failed') return { scim: new ScimError(400, app.message, 'invalidValue'), app };
  if (app.code === 'bad_request') return { scim: new ScimError(400, app.message, 'invalidSyntax'), app };
  return { scim: new ScimError(app.status, app.message), app };
}
