// An area (SPEC §9): a store, a ward, a depot. Types and the pure rules of its name; no database.
import type { AreasTable } from '../db/schema.js';
import { AppError } from '../errors.js';

export interface Area {
  id: string;
  name: string;
  memberCount: number;
  managerCount: number;
  createdAt: string;
  updatedAt: string;
}

/** An area as a person's JSON and pages name it. */
export interface AreaRef {
  id: string;
  name: string;
}

/** The longest area name, in characters (code points), any script. */
export const AREA_NAME_MAX = 100;

/** Separates area names in the import's `areas` cell, so no area name may contain it. */
export const AREA_SEPARATOR = '|';

// Control characters, and bidi overrides/isolates that could make a name display as another.
const FORBIDDEN_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069|]/;
// A lone UTF-16 surrogate is not text: it would not survive storage, export or a PDF.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The name as it is stored and shown: NFC, trimmed, inner runs of white space made one space;
 * null when empty, longer than AREA_NAME_MAX characters, or holding a control character or "|".
 */
export function cleanAreaName(input: string): string | null {
  const name = input.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (name === '' || [...name].length > AREA_NAME_MAX) return null;
  if (FORBIDDEN_IN_NAME.test(name) || LONE_SURROGATE.test(name)) return null;
  return name;
}

/**
 * The folded name (name_key, unique): NFKC, lower case, trimmed, so "Store 12", "store 12" and
 * "Ｓｔｏｒｅ 12" (full width) are one area, in the API, the pages and the import alike.
 */
export function areaNameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
}

/** An area row with its counts, as the API and the pages show it. */
export function toArea(row: AreasTable & { member_count: number | string; manager_count: number | string }): Area {
  return {
    id: row.id,
    name: row.name,
    memberCount: Number(row.member_count),
    managerCount: Number(row.manager_count),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** A page cursor of areas (or of an area's people): the last row's name and id, opaque to clients. */
export function encodeAreaCursor(cursor: { name: string; id: string } | null): string | null {
  return cursor ? Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url') : null;
}

export function decodeAreaCursor(raw: string | undefined): { name: string; id: string } | null {
  if (!raw) return null;
  try {
    const [name, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    // No stored name holds a NUL, and PostgreSQL would refuse to compare with one.
    if (typeof name === 'string' && typeof id === 'string' && !`${name}${id}`.includes('\u0000')) return { name, id };
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', {
    message: 'The cursor is not valid.',
    fields: [{ field: 'cursor', code: 'not_valid' }],
  });
}
