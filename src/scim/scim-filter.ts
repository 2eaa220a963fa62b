// SCIM filters (RFC 7644 §3.4.2.2), as much of them as provisioning clients use: `eq` on a few
// attributes, joined by `and`. The grammar is scim2-parse-filter's; this file only decides which
// parsed filters Keyslip answers and turns them into plain conditions the stores apply. Anything
// else — `or`, `not`, `co`, `sw`, `pr`, other attributes — is a 400 invalidFilter, never a
// silently wider or narrower answer.
import { parse, type Filter } from 'scim2-parse-filter';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-resources.js';
import { ScimError } from './scim-errors.js';

/** One condition: an attribute Keyslip can look up, equal to a value. */
export interface EqCondition<A extends string> {
  attribute: A;
  value: string;
}

export type UserFilterAttribute = 'userName' | 'externalId' | 'displayName' | 'email' | 'workEmail';
export type GroupFilterAttribute = 'displayName' | 'externalId' | 'id' | 'member';

const USER_ATTRIBUTES: Record<string, UserFilterAttribute> = {
  username: 'userName',
  externalid: 'externalId',
  displayname: 'displayName',
  'emails.value': 'email',
};

/** `id eq "…" and members eq "…"` is how sync clients ask whether a user is in a group. */
const GROUP_ATTRIBUTES: Record<string, GroupFilterAttribute> = {
  displayname: 'displayName',
  externalid: 'externalId',
  id: 'id',
  members: 'member',
  'members.value': 'member',
};

const MAX_FILTER_LENGTH = 2000;

function invalid(detail: string): ScimError {
  return new ScimError(400, detail, 'invalidFilter');
}

function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  try {
    return parse(text);
  } catch {
    throw invalid('The filter is not valid SCIM filter syntax.');
  }
}

/** The attribute path without its schema URN, lower-cased (SCIM attribute names ignore case). */
function bareAttribute(path: string, schemas: readonly string[]): string {
  const lower = path.toLowerCase();
  for (const schema of schemas) {
    const prefix = `${schema.toLowerCase()}:`;
    if (lower.startsWith(prefix)) return lower.slice(prefix.length);
  }
  return lower;
}

/** The top-level `and` terms of a filter (a single term is a list of one). */
function andTerms(filter: Filter): Filter[] {
  if (filter.op === 'and') return (filter as { filters: Filter[] }).filters.flatMap(andTerms);
  return [filter];
}

function eqValue(term: Filter): string {
  const value = (term as { compValue?: unknown }).compValue;
  if (typeof value !== 'string') throw invalid('Compare with a string in double quotes.');
  return value;
}

/** A Users filter as conditions all of which must hold. */
export function parseUserFilter(text: string): EqCondition<UserFilterAttribute>[] {
  return andTerms(parseFilter(text)).map((term) => {
    // `emails[type eq "work"].value eq "…"` arrives as the value path and `emails.value eq`.
    if (term.op === '[]') {
      const { attrPath, valFilter } = term as { attrPath: string; valFilter: Filter };
      const inner = valFilter as { op: string; attrPath?: string; compValue?: unknown };
      if (
        bareAttribute(attrPath, [USER_SCHEMA]) === 'emails' &&
        inner.op === 'eq' &&
        inner.attrPath?.toLowerCase() === 'type'
      ) {
        return { attribute: 'workEmail', value: eqValue(valFilter) };
      }
      throw invalid('Of value filters only emails[type eq "work"] is supported.');
    }
    if (term.op !== 'eq') throw invalid(`The operator "${term.op}" is not supported: use eq, joined by and.`);
    const path = (term as { attrPath: string }).attrPath;
    const attribute = USER_ATTRIBUTES[bareAttribute(path, [USER_SCHEMA, ENTERPRISE_SCHEMA])];
    if (!attribute) {
      throw invalid(`Filtering on "${path}" is not supported: use userName, externalId, displayName or emails.value.`);
    }
    return { attribute, value: eqValue(term) };
  });
}

/** A Groups filter as conditions all of which must hold. */
export function parseGroupFilter(text: string): EqCondition<GroupFilterAttribute>[] {
  return andTerms(parseFilter(text)).map((term) => {
    if (term.op !== 'eq') throw invalid(`The operator "${term.op}" is not supported: use eq, joined by and.`);
    const path = (term as { attrPath: string }).attrPath;
    const attribute = GROUP_ATTRIBUTES[bareAttribute(path, [GROUP_SCHEMA])];
    if (!attribute) {
      throw invalid(`Filtering on "${path}" is not supported: use displayName, externalId, id or members.`);
    }
    return { attribute, value: eqValue(term) };
  });
}
