// SCIM PATCH (RFC 7644 §3.5.2) applied to a resource as JSON: the route hands in the resource as
// SCIM shows it, gets back the resource as the operations leave it, and the users or groups
// module maps that onto Keyslip, exactly as it maps a PUT. One interpreter serves both.
//
// Accepted beside the RFC, because the clients send them (Microsoft documents them for Entra ID):
// - operation names in any case ("Replace", "Add");
// - a path-less operation whose value has dotted keys ("name.givenName") or a schema URN with an
//   attribute ("urn:…:enterprise:2.0:User:employeeNumber"), or a schema URN holding an object;
// - booleans as the strings "True"/"False" (turned into booleans where the resource is mapped);
// - `remove` with a value filter path (`members[value eq "…"]`), and `remove` of `members` with
//   a value list.
import { filter as filterTester, parse, type Filter } from 'scim2-parse-filter';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, KEYSLIP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA } from './scim-resources.js';
import { ScimError } from './scim-errors.js';

export type Resource = Record<string, unknown>;

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: PatchPath | null;
  value: unknown;
}

export interface PatchPath {
  /** The extension schema the attribute belongs to, or null for the core schema. */
  extension: string | null;
  /** The attribute's name as the resource spells it; null: the whole extension object. */
  attribute: string | null;
  /** The value filter of `attr[filter]`. */
  filter: Filter | null;
  /** The sub-attribute of `attr.sub` or `attr[filter].sub`. */
  sub: string | null;
}

const CORE_SCHEMAS = [USER_SCHEMA, GROUP_SCHEMA];
const EXTENSIONS = [ENTERPRISE_SCHEMA, KEYSLIP_SCHEMA];

/** Attribute names as the resources spell them; a request may spell them in any case. */
const CANONICAL = new Map(
  [
    'userName',
    'name',
    'displayName',
    'title',
    'active',
    'emails',
    'roles',
    'externalId',
    'members',
    'employeeNumber',
    'department',
    'givenName',
    'familyName',
    'formatted',
    'value',
    'type',
    'primary',
    'display',
    'id',
    'meta',
    'schemas',
    'status',
    'codeState',
    'codeExpiresAt',
  ].map((name) => [name.toLowerCase(), name]),
);

function canonical(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

const ATTRIBUTE_PATH = /^([A-Za-z$][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

function invalidPath(detail: string): ScimError {
  return new ScimError(400, detail, 'invalidPath');
}

/** Parses `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each optionally behind a schema URN. */
export function parsePatchPath(text: string): PatchPath {
  const lower = text.toLowerCase();
  let extension: string | null = null;
  let rest = text;
  for (const schema of [...EXTENSIONS, ...CORE_SCHEMAS]) {
    const urn = schema.toLowerCase();
    if (lower === urn) {
      if (!EXTENSIONS.includes(schema)) throw invalidPath(`The path "${text}" names no attribute.`);
      return { extension: schema, attribute: null, filter: null, sub: null };
    }
    if (lower.startsWith(`${urn}:`)) {
      extension = EXTENSIONS.includes(schema) ? schema : null;
      rest = text.slice(urn.length + 1);
      break;
    }
  }
  const match = ATTRIBUTE_PATH.exec(rest);
  if (!match) throw invalidPath(`The path "${text}" is not a SCIM attribute path.`);
  let filter: Filter | null = null;
  if (match[2] !== undefined) {
    try {
      filter = parse(match[2]);
    } catch {
      throw new ScimError(400, `The filter in the path "${text}" is not valid.`, 'invalidFilter');
    }
  }
  return { extension, attribute: canonical(match[1]!), filter, sub: match[3] ? canonical(match[3]) : null };
}

function operationName(op: unknown): PatchOperation['op'] {
  const name = typeof op === 'string' ? op.toLowerCase() : '';
  if (name === 'add' || name === 'replace' || name === 'remove') return name;
  throw new ScimError(400, 'Each operation\'s "op" must be add, replace or remove.', 'invalidSyntax');
}

/** Reads a PatchOp request body into operations; 400 invalidSyntax when it is not one. */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  const request = body as { schemas?: unknown; Operations?: unknown; operations?: unknown } | null;
  if (!request || typeof request !== 'object') throw new ScimError(400, 'Send a PatchOp body.', 'invalidSyntax');
  const schemas = Array.isArray(request.schemas) ? request.schemas : [];
  if (!schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase())) {
    throw new ScimError(400, `The body's schemas must include ${PATCH_SCHEMA}.`, 'invalidSyntax');
  }
  const operations = request.Operations ?? request.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'Send at least one operation in "Operations".', 'invalidSyntax');
  }
  if (operations.length > 1000) throw new ScimError(400, 'At most 1000 operations in one PATCH.', 'tooMany');
  return operations.map((raw: unknown) => {
    if (!raw || typeof raw !== 'object') throw new ScimError(400, 'An operation must be an object.', 'invalidSyntax');
    const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
    const name = operationName(op);
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidPath('"path" must be a string.');
    const parsed = typeof path === 'string' && path.trim() !== '' ? parsePatchPath(path.trim()) : null;
    if (parsed === null && name === 'remove') {
      throw new ScimError(400, 'A remove operation needs a path.', 'noTarget');
    }
    if (parsed === null && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ScimError(400, 'An operation without a path takes an object as its value.', 'invalidValue');
    }
    if (name !== 'remove' && value === undefined) {
      throw new ScimError(400, `The ${name} operation needs a value.`, 'invalidValue');
    }
    return { op: name, path: parsed, value };
  });
}

const isObject = (value: unknown): value is Resource =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `primary: true`, or Entra's "True". */
function isPrimary(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Whether two multi-valued elements are the same value (members and roles compare by `value`). */
function sameElement(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && a.value !== undefined) return String(a.value) === String(b.value);
  return JSON.stringify(a) === JSON.stringify(b);
}

function matcher(filter: Filter): (element: unknown) => boolean {
  const test = filterTester(filter);
  return (element) => isObject(element) && test(lowerKeys(element));
}

/** The filter library compares attribute names as written; elements are matched with lower-cased keys. */
function lowerKeys(element: Resource): Resource {
  return Object.fromEntries(Object.entries(element).map(([key, value]) => [key.toLowerCase(), value]));
}

function lowerFilter(filter: Filter): Filter {
  const lowered = { ...filter } as Filter & { attrPath?: string; filters?: Filter[]; valFilter?: Filter };
  if (typeof lowered.attrPath === 'string') lowered.attrPath = lowered.attrPath.toLowerCase();
  if (lowered.filters) lowered.filters = lowered.filters.map(lowerFilter);
  if (lowered.valFilter) lowered.valFilter = lowerFilter(lowered.valFilter);
  if ((lowered as { filter?: Filter }).filter) {
    const not = lowered as { filter: Filter };
    not.filter = lowerFilter(not.filter);
  }
  return lowered;
}

/** A new element for `attr[type eq "work"].value`: the filter's eq pairs, then the value. */
function elementFromFilter(filter: Filter): Resource {
  const element: Resource = {};
  const terms = filter.op === 'and' ? (filter as { filters: Filter[] }).filters : [filter];
  for (const term of terms) {
    const { op, attrPath, compValue } = term as { op: string; attrPath?: string; compValue?: unknown };
    if (op === 'eq' && attrPath) element[canonical(attrPath)] = compValue;
  }
  return element;
}

function applyToAttribute(container: Resource, op: PatchOperation['op'], path: PatchPath, value: unknown): void {
  const attribute = path.attribute!;
  const current = container[attribute];
  if (path.filter) {
    const matches = matcher(lowerFilter(path.filter));
    const list = Array.isArray(current) ? [...current] : [];
    if (op === 'remove') {
      container[attribute] = path.sub
        ? list.map((element) => {
            if (!matches(element)) return element;
            const { [path.sub!]: _removed, ...kept } = element as Resource;
            return kept;
          })
        : list.filter((element) => !matches(element));
      return;
    }
    const hits = list.filter(matches);
    if (hits.length === 0) {
      const created = elementFromFilter(path.filter);
      if (path.sub) created[path.sub] = clone(value);
      else if (isObject(value)) Object.assign(created, clone(value));
      container[attribute] = [...list, created];
      return;
    }
    container[attribute] = list.map((element) => {
      if (!matches(element)) return element;
      if (path.sub) return { ...(element as Resource), [path.sub]: clone(value) };
      return isObject(value) ? { ...(element as Resource), ...clone(value) } : element;
    });
    return;
  }
  if (path.sub) {
    if (Array.isArray(current)) {
      // `emails.value` without a filter: every element (a resource keeps at most one email).
      const list = current.length > 0 ? current : op === 'remove' ? [] : [{}];
      container[attribute] = list.map((element) => {
        const copy = { ...(element as Resource) };
        if (op === 'remove') delete copy[path.sub!];
        else copy[path.sub!] = clone(value);
        return copy;
      });
      return;
    }
    const object = isObject(current) ? { ...current } : {};
    if (op === 'remove') delete object[path.sub];
    else object[path.sub] = clone(value);
    container[attribute] = object;
    return;
  }
  if (op === 'remove') {
    if (Array.isArray(current) && value !== undefined) {
      const removed = Array.isArray(value) ? value : [value];
      container[attribute] = current.filter((element) => !removed.some((gone) => sameElement(element, gone)));
    } else {
      delete container[attribute];
    }
    return;
  }
  if (Array.isArray(current) || Array.isArray(value)) {
    const incoming = Array.isArray(value) ? clone(value) : [clone(value)];
    if (op === 'replace') {
      container[attribute] = incoming;
      return;
    }
    // A value added as primary takes the flag from the others (RFC 7643 §2.4: at most one primary).
    const newPrimary = incoming.some((element) => isObject(element) && isPrimary(element.primary));
    const list = (Array.isArray(current) ? [...current] : []).map((element) =>
      newPrimary && isObject(element) && isPrimary(element.primary) ? { ...element, primary: false } : element,
    );
    for (const element of incoming) {
      const at = list.findIndex((present) => sameElement(present, element));
      if (at < 0) list.push(element);
      else if (isObject(element) && isObject(list[at])) list[at] = { ...(list[at] as Resource), ...element };
    }
    container[attribute] = list;
    return;
  }
  if (isObject(current) && isObject(value)) {
    // A complex attribute: the sub-attributes given replace theirs, the others stay (§3.5.2.3).
    container[attribute] = { ...current, ...clone(value) };
    return;
  }
  container[attribute] = clone(value);
}

function containerOf(resource: Resource, extension: string | null): Resource {
  if (extension === null) return resource;
  const existing = resource[extension];
  if (isObject(existing)) return existing;
  const created: Resource = {};
  resource[extension] = created;
  return created;
}

function applyOne(resource: Resource, op: PatchOperation['op'], path: PatchPath, value: unknown): void {
  if (path.attribute === null) {
    // The extension URN itself: its value is an object of the extension's attributes.
    if (op === 'remove') {
      delete resource[path.extension!];
      return;
    }
    if (!isObject(value))
      throw new ScimError(400, `The value for ${path.extension} must be an object.`, 'invalidValue');
    for (const [key, inner] of Object.entries(value)) {
      applyOne(resource, op, { extension: path.extension, attribute: canonical(key), filter: null, sub: null }, inner);
    }
    return;
  }
  applyToAttribute(containerOf(resource, path.extension), op, path, value);
}

/** The resource after the operations, in order; the input is not changed. */
export function applyPatch(resource: Resource, operations: readonly PatchOperation[]): Resource {
  const next = clone(resource);
  for (const operation of operations) {
    if (operation.path) {
      applyOne(next, operation.op, operation.path, operation.value);
      continue;
    }
    // No path: each key of the value is a path of its own (Entra's dotted and URN keys too).
    for (const [key, value] of Object.entries(operation.value as Resource)) {
      const path = parsePatchPath(key);
      if (path.filter) throw invalidPath(`A key of a path-less value cannot hold a filter ("${key}").`);
      applyOne(next, operation.op, path, value);
    }
  }
  return next;
}

/**
 * Whether an operation touches one of the attributes (top level, any case, with or without its
 * schema) or anything of one of the extension schemas named.
 */
export function operationsTouch(operations: readonly PatchOperation[], attributes: readonly string[]): boolean {
  const wanted = new Set(attributes.map((a) => a.toLowerCase()));
  const touches = (path: PatchPath): boolean =>
    (path.extension !== null && wanted.has(path.extension.toLowerCase())) ||
    (path.attribute !== null && wanted.has(path.attribute.toLowerCase()));
  return operations.some((operation) => {
    if (operation.path) return touches(operation.path);
    return Object.keys(operation.value as Resource).some((key) => {
      try {
        return touches(parsePatchPath(key));
      } catch {
        return false;
      }
    });
  });
}
