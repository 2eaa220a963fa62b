// A person of the directory: types and the pure rules of SPEC §1 (no database, no HTTP).
import type { PersonCodeState, PersonRole, PersonRow, PersonStatus } from '../db/schema.js';
import { createHash } from 'node:crypto';
import type { FieldProblem } from '../problems.js';

/**
 * A person as a signed-in request carries them (request.auth.person): every column but the
 * password hash, which only sign-in and redemption read, straight from the database.
 */
export type SignedInPerson = Omit<PersonRow, 'password_hash'>;

/** The code state of a person who has never had a code (a new person). */
export const NO_CODE = { code_state: 'none', code_expires_at: null } as const satisfies Pick<
  PersonRow,
  'code_state' | 'code_expires_at'
>;

/** The code state a person shows: their latest code, with expiry decided against "now". */
export type CodeState = PersonCodeState | 'expired';

export interface Person {
  id: string;
  name: string;
  username: string | null;
  email: string | null;
  employeeId: string | null;
  department: string | null;
  location: string | null;
  title: string | null;
  role: PersonRole;
  status: PersonStatus;
  codeState: CodeState;
  codeExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  claimedAt: string | null;
  lastSignInAt: string | null;
  /** The areas the person is a member of (SPEC §9), where the answer carries them. */
  areas?: { id: string; name: string }[];
}

export interface PersonInput {
  name?: string;
  username?: string | null;
  email?: string | null;
  employeeId?: string | null;
  department?: string | null;
  location?: string | null;
  title?: string | null;
  role?: PersonRole;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function codeStateOf(row: Pick<PersonRow, 'code_state' | 'code_expires_at'>, now: number): CodeState {
  if (row.code_state === 'active' && row.code_expires_at !== null && row.code_expires_at <= now) return 'expired';
  return row.code_state;
}

export function toPerson(row: SignedInPerson, now: number): Person {
  const codeState = codeStateOf(row, now);
  return {
    id: row.id,
    name: row.name,
    username: row.username,
    email: row.email,
    employeeId: row.employee_id,
    department: row.department,
    location: row.location,
    title: row.title,
    role: row.role,
    status: row.status,
    codeState,
    codeExpiresAt: codeState === 'active' ? iso(row.code_expires_at) : null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    claimedAt: iso(row.claimed_at),
    lastSignInAt: iso(row.last_sign_in_at),
  };
}

/**
 * A person's version for ETag and If-Match (a strong validator): it changes whenever a field,
 * the role or the status changes; a code issued or used does not change it.
 */
export function etagOf(person: Person): string {
  const { id, name, username, email, employeeId, department, location, title, role, status, updatedAt } = person;
  const fields = [id, name, username, email, employeeId, department, location, title, role, status, updatedAt];
  return `"${createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-Match header (RFC 9110 §13.1.1: `*` or a list of strong tags) admits this version. */
export function ifMatchAdmits(header: string, etag: string): boolean {
  const given = header.split(',').map((part) => part.trim());
  return given.includes('*') || given.includes(etag);
}

// Control characters, and bidi overrides/isolates that could make a name display as another.
const FORBIDDEN_IN_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// A lone UTF-16 surrogate is not text: it would not survive storage, export or a PDF.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// The rule in words is problemText's `username_rule` (src/problems.ts).
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/**
 * NFKC + lower-case, then 3–64 of `a-z 0-9 . _ -` starting with a letter or digit. Input with
 * any non-ASCII character is refused rather than folded, so a full-width or Cyrillic look-alike
 * ("аdmin" with a Cyrillic а) can never pass for, or be confused with, an existing username.
 */
export function normaliseUsername(input: string): string | null {
  const trimmed = input.trim();
  if (!/^[\x21-\x7e]+$/.test(trimmed)) return null;
  const username = trimmed.normalize('NFKC').toLowerCase();
  return USERNAME.test(username) ? username : null;
}

/** Latin letters NFKD does not take apart, as a person would write them without the mark. */
const PLAIN_LETTERS: Readonly<Record<string, string>> = {
  ł: 'l',
  đ: 'd',
  ð: 'd',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
};

/**
 * Letters, digits and `.`/`-`/`_` a username may hold, made from any text: marks dropped
 * (å ä ö → a a o, ễ → e), ł ø æ ß written out, spaces to dots. Null when too little is left
 * (a name in another script): then there is nothing sensible to suggest.
 */
export function usernameFromText(text: string): string | null {
  const plain = [...text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()]
    .map((char) => PLAIN_LETTERS[char] ?? char)
    .join('')
    .replace(/[\s.]+/g, '.')
    .replace(/[^a-z0-9._-]/g, '')
    .replace(/([._-])[._-]+/g, '$1')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 64)
    .replace(/[._-]+$/, '');
  return normaliseUsername(plain);
}

/**
 * Usernames to offer a person who claims an account, best first: their name as a username,
 * then the same with a number, with initials, and with their location's last word. The caller
 * keeps those still free.
 */
export function usernameCandidates(person: { name: string; location?: string | null }, typed?: string): string[] {
  const fromName = usernameFromText(person.name);
  const parts = fromName?.split('.') ?? [];
  const bases = [typed ? usernameFromText(typed) : null, fromName].filter((base): base is string => base !== null);
  const place = person.location ? usernameFromText(person.location.split(/\s+/).pop() ?? '') : null;
  const candidates: string[] = [];
  for (const base of bases) {
    candidates.push(base);
    if (place && !base.endsWith(`.${place}`)) candidates.push(`${base}.${place}`);
    for (let n = 2; n <= 5; n++) candidates.push(`${base}${n}`);
  }
  if (parts.length >= 2) {
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    candidates.push(`${first}.${last[0]}`, `${first[0]}.${last}`, `${first}${last}`);
  }
  return [...new Set(candidates.map((candidate) => normaliseUsername(candidate)))].filter(
    (candidate): candidate is string => candidate !== null,
  );
}

export function normaliseEmail(input: string): string | null {
  const email = input.trim().normalize('NFKC').toLowerCase();
  if (email.length > 254 || FORBIDDEN_IN_TEXT.test(email)) return null;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}

function cleanText(input: string, max: number): string | null {
  const text = input.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (
    text === '' ||
    (text.length > max && [...text].length > max) ||
    FORBIDDEN_IN_TEXT.test(text) ||
    LONE_SURROGATE.test(text)
  )
    return null;
  return text;
}

/** The lower-cased haystack for fragment search over name, username, email and employee id. */
export function searchTextOf(person: {
  name: string;
  username: string | null;
  email: string | null;
  employee_id: string | null;
}): string {
  return [person.name, person.username, person.email, person.employee_id]
    .filter((part): part is string => part !== null)
    .join(' ')
    .normalize('NFKC')
    .toLowerCase();
}

/** Fragments shorter than this find word starts; this long or longer, any part of the text. */
export const CONTAINS_FROM_LENGTH = 3;

/** What ends a word of the search text: spaces and ASCII punctuation (every non-ASCII character is a letter). */
const WORD_SEPARATORS = /[^0-9a-z\u0080-\u{10ffff}]+/u;

/**
 * The words of a search text, as the word-start indexes split it (migration 0008: SQLite's FTS5
 * `ascii` tokenizer, PostgreSQL's split in `keyslip_word_prefixes`): "anna.berg@x.se" is anna,
 * berg, x, se; "O'Brien" is o, brien; "王秀英" is one word.
 */
export function wordsOf(searchText: string): string[] {
  return searchText.split(WORD_SEPARATORS).filter((word) => word !== '');
}

/**
 * Whether a search fragment (already NFKC and lower case) finds a person's search text: one or
 * two characters find a word that starts with them (so a fragment with punctuation in it finds
 * nobody); three or more find any part of the text. This is the rule the database queries
 * answer from their indexes; tests compare them against it.
 */
export function fragmentMatches(searchText: string, fragment: string): boolean {
  if ([...fragment].length >= CONTAINS_FROM_LENGTH) return searchText.includes(fragment);
  return wordsOf(searchText).some((word) => word.startsWith(fragment));
}

export interface ValidPersonFields {
  name?: string;
  username?: string | null;
  email?: string | null;
  employee_id?: string | null;
  department?: string | null;
  location?: string | null;
  title?: string | null;
  role?: PersonRole;
}

/**
 * Checks the fields given (all optional, for PATCH); returns the cleaned values or the list of
 * problems. `requireIdentity` adds SPEC §1's "a name and at least one of username, email or
 * employee id" for a new person.
 */
export function validatePersonInput(
  input: PersonInput,
  options: { creating: boolean },
): { ok: true; fields: ValidPersonFields } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const fields: ValidPersonFields = {};

  if (input.name !== undefined) {
    const name = cleanText(input.name, 200);
    if (name === null) problems.push({ field: 'name', code: 'name_invalid' });
    else fields.name = name;
  } else if (options.creating) {
    problems.push({ field: 'name', code: 'name_required' });
  }

  const optionalText = (key: 'department' | 'location' | 'title', value: string | null | undefined): void => {
    if (value === undefined) return;
    if (value === null || value.trim() === '') {
      fields[key] = null;
      return;
    }
    const cleaned = cleanText(value, 200);
    if (cleaned === null) problems.push({ field: key, code: `${key}_invalid` });
    else fields[key] = cleaned;
  };
  optionalText('department', input.department);
  optionalText('location', input.location);
  optionalText('title', input.title);

  if (input.username !== undefined) {
    if (input.username === null || input.username.trim() === '') fields.username = null;
    else {
      const username = normaliseUsername(input.username);
      if (username === null) {
        problems.push({ field: 'username', code: 'username_rule' });
      } else fields.username = username;
    }
  }
  if (input.email !== undefined) {
    if (input.email === null || input.email.trim() === '') fields.email = null;
    else {
      const email = normaliseEmail(input.email);
      if (email === null) problems.push({ field: 'email', code: 'email_invalid' });
      else fields.email = email;
    }
  }
  if (input.employeeId !== undefined) {
    if (input.employeeId === null || input.employeeId.trim() === '') fields.employee_id = null;
    else {
      const employeeId = cleanText(input.employeeId, 64);
      if (employeeId === null) problems.push({ field: 'employeeId', code: 'employee_id_invalid' });
      else fields.employee_id = employeeId;
    }
  }
  if (input.role !== undefined) {
    if (input.role !== 'member' && input.role !== 'admin') problems.push({ field: 'role', code: 'role_invalid' });
    else fields.role = input.role;
  }

  if (options.creating && problems.length === 0 && !fields.username && !fields.email && !fields.employee_id) {
    problems.push({ field: 'username', code: 'identity_required' });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, fields };
}
