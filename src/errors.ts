// The one registry of error codes: each has an HTTP status and a public message in English and
// Swedish. Only the HTTP error handler and the CLI turn an AppError into a response or exit code.
// What is wrong with a single field travels as a code (src/problems.ts), worded only at the edge.
import type { FieldProblem } from './problems.js';

export const ERRORS = {
  bad_request: { status: 400, en: 'The request is not valid.', sv: 'Begäran är inte giltig.' },
  validation_failed: { status: 400, en: 'Some fields are not valid.', sv: 'Några fält är inte giltiga.' },
  invalid_csv: { status: 400, en: 'The file is not a valid CSV file.', sv: 'Filen är inte en giltig CSV-fil.' },
  weak_password: {
    status: 400,
    en: 'Choose another password.',
    sv: 'Välj ett annat lösenord.',
  },
  username_mismatch: {
    status: 400,
    en: 'That is not the username this code belongs to.',
    sv: 'Det är inte användarnamnet som koden hör till.',
  },
  current_password_wrong: {
    status: 400,
    en: 'That is not your current password.',
    sv: 'Det är inte ditt nuvarande lösenord.',
  },
  unauthenticated: { status: 401, en: 'Sign in first.', sv: 'Logga in först.' },
  sign_in_failed: {
    status: 401,
    en: 'The username or password is wrong.',
    sv: 'Användarnamnet eller lösenordet är fel.',
  },
  forbidden: { status: 403, en: 'You are not allowed to do that.', sv: 'Du får inte göra det.' },
  csrf_failed: {
    status: 403,
    en: 'The form expired. Reload the page and try again.',
    sv: 'Formuläret har gått ut. Ladda om sidan och försök igen.',
  },
  oidc_interaction_expired: {
    status: 400,
    en: 'This sign-in request has expired. Go back to the app and sign in again.',
    sv: 'Inloggningsförfrågan har gått ut. Gå tillbaka till appen och logga in igen.',
  },
  not_found: { status: 404, en: 'Not found.', sv: 'Hittades inte.' },
  no_access_code: {
    status: 404,
    en: 'This person has no active access code.',
    sv: 'Personen har ingen aktiv åtkomstkod.',
  },
  batch_expired: {
    status: 410,
    en: 'The download window for these codes has closed. Issue the codes again if you need them.',
    sv: 'Tiden för att ladda ner koderna har gått ut. Skapa koderna igen om du behöver dem.',
  },
  conflict: { status: 409, en: 'That conflicts with existing data.', sv: 'Det krockar med befintliga uppgifter.' },
  username_taken: { status: 409, en: 'That username is taken.', sv: 'Användarnamnet är upptaget.' },
  email_taken: { status: 409, en: 'That email address is already in use.', sv: 'E-postadressen används redan.' },
  employee_id_taken: {
    status: 409,
    en: 'That employee id is already in use.',
    sv: 'Anställningsnumret används redan.',
  },
  person_deactivated: { status: 409, en: 'This person is deactivated.', sv: 'Personen är inaktiverad.' },
  idempotency_conflict: {
    status: 422,
    en: 'This Idempotency-Key was already used for a different request.',
    sv: 'Denna Idempotency-Key har redan använts för en annan begäran.',
  },
  idempotency_in_progress: {
    status: 409,
    en: 'A request with this Idempotency-Key is still being handled. Try again in a moment.',
    sv: 'En begäran med denna Idempotency-Key behandlas fortfarande. Försök igen om en stund.',
  },
  precondition_failed: {
    status: 412,
    en: 'This was changed since you read it. Read it again and retry.',
    sv: 'Det här har ändrats sedan du läste det. Läs det igen och försök på nytt.',
  },
  person_erased: {
    status: 409,
    en: "This person's data was erased; the record cannot be used again.",
    sv: 'Personens uppgifter har raderats; posten kan inte användas igen.',
  },
  /** The one answer for a wrong, expired, used or deactivated code: no hint which. */
  code_unusable: {
    status: 400,
    en: "This code can't be used. Ask your admin for a new one.",
    sv: 'Koden kan inte användas. Be din administratör om en ny.',
  },
  /** Input that can never be a code (wrong length, vowels, digits): says nothing about any code. */
  code_malformed: {
    status: 400,
    en: 'That is not an access code: a code has 16 letters and no vowels. Check the letters.',
    sv: 'Det är ingen åtkomstkod: en kod har 16 bokstäver och inga vokaler. Kontrollera bokstäverna.',
  },
  payload_too_large: { status: 413, en: 'The request is too large.', sv: 'Begäran är för stor.' },
  unsupported_media_type: { status: 415, en: 'Unsupported content type.', sv: 'Innehållstypen stöds inte.' },
  not_acceptable: { status: 406, en: 'That response format is not available.', sv: 'Svarsformatet finns inte.' },
  rate_limited: {
    status: 429,
    en: 'Too many attempts. Wait a while and try again.',
    sv: 'För många försök. Vänta en stund och försök igen.',
  },
  /** A manager's hourly number of codes (KEYSLIP_MANAGER_CODES_PER_HOUR) is used up (SPEC §9). */
  manager_code_limit: {
    status: 429,
    en: 'You have reached the number of access codes a manager may get in an hour. Try again later, or ask an admin.',
    sv:
      'Du har nått gränsen för hur många åtkomstkoder en chef får ta fram per ' +
      'timme. Försök igen senare eller be en administratör.',
  },
  /** Two-person rule (SPEC §9): a code for an admin account is asked for by one admin, approved by another. */
  admin_code_needs_approval: {
    status: 403,
    en: "A code for an admin account needs a second admin's approval. Ask for it signed in as an admin.",
    sv:
      'En kod för ett administratörskonto måste godkännas av en andra ' +
      'administratör. Be om den inloggad som administratör.',
  },
  admin_code_request_open: {
    status: 409,
    en: 'A request for a code for this admin is already waiting.',
    sv: 'En begäran om kod för den här administratören väntar redan.',
  },
  admin_code_request_closed: {
    status: 409,
    en: 'This request has been declined, has expired or has already been used.',
    sv: 'Begäran har avslagits, gått ut eller redan använts.',
  },
  /** Too many sign-ins at once (per address, or the password-hashing queue is full): never queued without bound. */
  busy: {
    status: 503,
    en: 'Keyslip is busy right now. Try again in a moment.',
    sv: 'Keyslip är upptaget just nu. Försök igen om en stund.',
  },
  database_unavailable: {
    status: 503,
    en: 'Keyslip cannot reach its database right now. Try again in a moment.',
    sv: 'Keyslip når inte sin databas just nu. Försök igen om en stund.',
  },
  internal: { status: 500, en: 'Something went wrong on our side.', sv: 'Något gick fel hos oss.' },
} as const satisfies Record<string, { status: number; en: string; sv: string }>;

export type ErrorCode = keyof typeof ERRORS;

export type { FieldProblem } from './problems.js';

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly options: { message?: string; fields?: FieldProblem[]; retryAfterSeconds?: number } = {},
  ) {
    // An answer to the client (4xx) needs no stack: capturing one was 2% of a failed code check's
    // time. A server error (5xx) keeps it for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERRORS[code].status < 500) Error.stackTraceLimit = 0;
    super(options.message ?? ERRORS[code].en);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }
}
