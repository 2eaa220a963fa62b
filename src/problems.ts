// Field problems: what is wrong with one field of an input, as a code and its parameters, never
// as a sentence (Kratos' text IDs with a context map). `problemText` is the one place that
// turns a code into words, in English (the JSON `message`, the CLI) and Swedish (the admin's
// pages, the import report); no page ever matches English text to translate it.
import { defineMessages, type Locale } from './lib/messages.js';

export const PROBLEM_CODES = [
  'name_required',
  'name_invalid',
  'department_invalid',
  'location_invalid',
  'title_invalid',
  'username_rule',
  'email_invalid',
  'employee_id_invalid',
  'role_invalid',
  'identity_required',
  'identity_kept',
  'username_taken',
  'email_taken',
  'employee_id_taken',
  'username_mismatch',
  'lifetime_out_of_range',
  'password_too_short',
  'password_too_long',
  'password_common',
  'password_contains_username',
  'token_name_length',
  'token_days_range',
  'not_a_date_time',
  'not_finite',
  'not_valid',
  'schema',
  'import_duplicate',
  'import_belongs_to_other',
  'import_in_use',
  'import_last_admin',
  'import_csv_broken',
  'import_more_errors',
  'app_name_length',
  'app_uri_too_long',
  'app_uri_invalid',
  'app_uri_scheme_forbidden',
  'app_uri_https',
  'app_uri_native_loopback',
  'app_redirect_count',
  'app_custom_scheme_public',
  'app_post_logout_count',
  'app_domain_invalid',
  'area_name_invalid',
  'area_name_taken',
  'area_unknown',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** The field a problem is about (an input key, or an identity for the import's problems). */
export interface FieldProblem {
  field: string;
  code: ProblemCode;
  params?: Readonly<Record<string, string | number>>;
}

export const problemText = defineMessages<ProblemCode>({
  en: {
    name_required: 'Name is required.',
    name_invalid: 'Name must be 1–200 characters, without control characters.',
    department_invalid: 'department must be at most 200 characters, without control characters.',
    location_invalid: 'location must be at most 200 characters, without control characters.',
    title_invalid: 'title must be at most 200 characters, without control characters.',
    username_rule: 'Username must be 3–64 of a–z, 0–9, ".", "_" or "-", starting with a letter or digit.',
    email_invalid: 'Email address is not valid.',
    employee_id_invalid: 'Employee id must be at most 64 characters.',
    role_invalid: 'Role must be member or admin.',
    identity_required: 'Give at least one of username, email or employee id.',
    identity_kept: 'Keep at least one of username, email or employee id.',
    username_taken: 'That username is taken.',
    email_taken: 'That email address is already in use.',
    employee_id_taken: 'That employee id is already in use.',
    username_mismatch: 'That is not the username this code belongs to.',
    lifetime_out_of_range: 'From 1 to {max} hours.',
    password_too_short: 'Use at least {min} characters. {recommended} or more is better.',
    password_too_long: 'Use at most {max} characters.',
    password_common: 'This password is too common. Choose another one.',
    password_contains_username: 'The password must not contain your username. Choose another one.',
    token_name_length: 'must be 1 to {max} characters',
    token_days_range: 'must be a whole number from {min} to {max}',
    not_a_date_time: 'is not a date-time',
    not_finite: 'must be a finite number',
    not_valid: 'is not valid',
    // The schema validator's own words (English only): they reach the JSON API, never a page.
    schema: '{detail}',
    import_duplicate: 'Not imported: {identity} "{value}" is also on line {earlier} of this file.',
    import_belongs_to_other: 'Not imported: {identity} "{value}" belongs to another person.',
    import_in_use: '{identity} is already in use by another person.',
    import_last_admin: 'Not imported: Keyslip needs at least one admin: make someone else an admin first.',
    import_csv_broken: 'The file is not valid CSV from here on ({detail}); the rows after this line were not imported.',
    import_more_errors: '{count} more rows had errors; fix the ones above and import again.',
    app_name_length: 'must be 1 to 200 characters',
    app_uri_too_long: 'must be at most 2000 characters',
    app_uri_invalid: 'must be absolute URIs without a fragment',
    app_uri_scheme_forbidden: 'must not use the {scheme} scheme',
    app_uri_https: 'must use https (http only for 127.0.0.1, [::1] or localhost)',
    app_uri_native_loopback: 'of a native app may use http only for a loopback address',
    app_redirect_count: 'must list 1 to 20 URIs',
    app_custom_scheme_public: 'with a custom scheme belong to a native app, which must be public',
    app_post_logout_count: 'must list at most 20 URIs',
    app_domain_invalid: 'must be a domain name such as staff.example.org',
    area_name_invalid: 'An area name must be 1–100 characters, without control characters or "|".',
    area_name_taken: 'An area with that name already exists.',
    area_unknown: 'There is no area named "{value}".',
  },
  sv: {
    name_required: 'Namn måste anges.',
    name_invalid: 'Namnet måste vara 1–200 tecken, utan styrtecken.',
    department_invalid: 'Högst 200 tecken, utan styrtecken.',
    location_invalid: 'Högst 200 tecken, utan styrtecken.',
    title_invalid: 'Högst 200 tecken, utan styrtecken.',
    username_rule:
      'Användarnamnet måste vara 3–64 tecken av a–z, 0–9, ".", "_" eller "-" och börja med en bokstav eller siffra.',
    email_invalid: 'E-postadressen är inte giltig.',
    employee_id_invalid: 'Anställningsnumret får vara högst 64 tecken.',
    role_invalid: 'Rollen måste vara medlem eller administratör.',
    identity_required: 'Ange minst ett av användarnamn, e-post eller anställningsnummer.',
    identity_kept: 'Behåll minst ett av användarnamn, e-post eller anställningsnummer.',
    username_taken: 'Användarnamnet är upptaget.',
    email_taken: 'E-postadressen används redan.',
    employee_id_taken: 'Anställningsnumret används redan.',
    username_mismatch: 'Det är inte användarnamnet som koden hör till.',
    lifetime_out_of_range: 'Från 1 till {max} timmar.',
    password_too_short: 'Använd minst {min} tecken. {recommended} eller fler är bättre.',
    password_too_long: 'Använd högst {max} tecken.',
    password_common: 'Det här lösenordet är för vanligt. Välj ett annat.',
    password_contains_username: 'Lösenordet får inte innehålla ditt användarnamn. Välj ett annat.',
    token_name_length: 'måste vara 1 till {max} tecken',
    token_days_range: 'måste vara ett heltal från {min} till {max}',
    not_a_date_time: 'är inte en tidpunkt',
    not_finite: 'måste vara ett ändligt tal',
    not_valid: 'är inte giltigt',
    schema: '{detail}',
    import_duplicate: 'Importerades inte: {identity} "{value}" finns också på rad {earlier} i filen.',
    import_belongs_to_other: 'Importerades inte: {identity} "{value}" hör till en annan person.',
    import_in_use: '{identity} används redan av en annan person.',
    import_last_admin:
      'Importerades inte: Keyslip behöver minst en administratör. Gör någon annan till administratör först.',
    import_csv_broken: 'Filen är inte giltig CSV härifrån ({detail}); raderna efter den här raden importerades inte.',
    import_more_errors: '{count} rader till hade fel; rätta dem ovan och importera igen.',
    app_name_length: 'måste vara 1 till 200 tecken',
    app_uri_too_long: 'får vara högst 2000 tecken',
    app_uri_invalid: 'måste vara absoluta adresser utan fragment (#)',
    app_uri_scheme_forbidden: 'får inte använda schemat {scheme}',
    app_uri_https: 'måste använda https (http bara för 127.0.0.1, [::1] eller localhost)',
    app_uri_native_loopback: 'för en mobilapp får använda http bara för en loopback-adress',
    app_redirect_count: 'måste vara 1 till 20 adresser',
    app_custom_scheme_public: 'med eget schema hör till en mobilapp, som måste vara publik',
    app_post_logout_count: 'får vara högst 20 adresser',
    app_domain_invalid: 'måste vara ett domännamn, till exempel personal.example.org',
    area_name_invalid: 'Ett områdesnamn måste vara 1–100 tecken, utan styrtecken eller "|".',
    area_name_taken: 'Det finns redan ett område med det namnet.',
    area_unknown: 'Det finns inget område som heter "{value}".',
  },
});

/** The names of a person's identities inside sentences ({identity} above). */
export const identityText = defineMessages({
  en: { username: 'username', email: 'email', employeeId: 'employee id' },
  sv: { username: 'användarnamn', email: 'e-post', employeeId: 'anställningsnummer' },
});

function isIdentity(field: string): field is keyof typeof identityText.catalog.en {
  return field === 'username' || field === 'email' || field === 'employeeId';
}

/** One problem in words. */
export function describeProblem(locale: Locale, problem: FieldProblem): string {
  const identity = isIdentity(problem.field) ? identityText(locale, problem.field) : problem.field;
  return problemText(locale, problem.code, { identity, ...problem.params });
}

/** Several problems of one input (or one import row) in words, one sentence after another. */
export function describeProblems(locale: Locale, problems: readonly FieldProblem[]): string {
  return problems.map((problem) => describeProblem(locale, problem)).join(' ');
}
