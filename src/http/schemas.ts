// Shared JSON schemas (TypeBox): they validate at the edge and generate /api/openapi.json.
// A schema with a `title` of one capitalised word becomes a shared component of the document
// (`#/components/schemas/<title>`, see openapi.ts); give each such title to one schema only.
import { Type, type SchemaOptions, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { ERRORS } from '../errors.js';

/**
 * A string out of a fixed list: one `enum` in the schema and the document (not a union of
 * constants, which validators report three times over). Typed as the union for the routes.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnion<LiteralsOf<T>> {
  return Type.Unsafe({ type: 'string', enum: [...values], ...options }) as unknown as TUnion<LiteralsOf<T>>;
}

type LiteralsOf<T extends readonly string[]> = T extends readonly [infer H extends string, ...infer R extends string[]]
  ? [TLiteral<H>, ...LiteralsOf<R>]
  : [];

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A moment in time as the API writes it: ISO 8601 in UTC with milliseconds. */
export const DateTime = (options: SchemaOptions = {}) => Type.String({ format: 'date-time', ...options });

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<keyof typeof ERRORS>({
        type: 'string',
        enum: Object.keys(ERRORS),
        description: 'Stable and machine-readable: switch on this, not on the message.',
      }),
      message: Type.String({ description: 'For people, in English; never contains internal detail.' }),
      fields: Type.Optional(
        Type.Array(
          Type.Object({
            field: Type.String({ description: 'The offending field, parameter or header (`filter.status`).' }),
            message: Type.String(),
          }),
          { description: 'For validation errors: what is wrong with each field.' },
        ),
      ),
    }),
  },
  { title: 'Error', description: 'Every error answer of the API has this shape.' },
);

export const CODE_STATE_VALUES = ['none', 'active', 'used', 'deactivated', 'expired'] as const;
export const CodeStateSchema = StringEnum(CODE_STATE_VALUES, {
  description: "The state of the person's latest access code.",
});
export const ROLE_VALUES = ['member', 'manager', 'admin'] as const;
export const STATUS_VALUES = ['unclaimed', 'active', 'deactivated'] as const;

export const PersonSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque and permanent.' }),
    name: Type.String(),
    username: Nullable(Type.String()),
    email: Nullable(Type.String()),
    employeeId: Nullable(Type.String()),
    department: Nullable(Type.String()),
    location: Nullable(Type.String()),
    title: Nullable(Type.String()),
    role: StringEnum(ROLE_VALUES),
    status: StringEnum(STATUS_VALUES),
    codeState: CodeStateSchema,
    codeExpiresAt: Nullable(DateTime()),
    createdAt: DateTime(),
    updatedAt: DateTime({ description: "Changes whenever the person's fields or status change." }),
    claimedAt: Nullable(DateTime()),
    lastSignInAt: Nullable(DateTime()),
    areas: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), name: Type.String() }), {
        description: 'The areas the person is a member of, in name order (SPEC §9)',
      }),
    ),
  },
  { title: 'Person' },
);

// The limits of src/people/person.ts: text is trimmed and inner white space folded before they
// apply; an identifier given as null or "" is cleared.
const text = (max: number, description?: string) =>
  Nullable(Type.String({ maxLength: max, ...(description ? { description } : {}) }));
const USERNAME_PATTERN = '^\\s*([A-Za-z0-9][A-Za-z0-9._-]{2,63})?\\s*$';

const personFields = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: '1–200 characters.' }),
  username: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 200,
        pattern: USERNAME_PATTERN,
        description: '3–64 of a–z, 0–9, ".", "_", "-", starting with a letter or digit; stored lower-cased.',
      }),
    ),
  ),
  email: Type.Optional(text(254, 'An email address; stored lower-cased.')),
  employeeId: Type.Optional(text(64)),
  department: Type.Optional(text(200)),
  location: Type.Optional(text(200)),
  title: Type.Optional(text(200)),
  role: Type.Optional(StringEnum(ROLE_VALUES, { description: 'Default: member.' })),
};

export const PersonCreateSchema = Type.Object(personFields, {
  additionalProperties: false,
  title: 'PersonCreate',
  description: 'A name and at least one of username, email or employeeId (400 `validation_failed` otherwise).',
});

export const PersonPatchSchema = Type.Object(
  { ...personFields, name: Type.Optional(personFields.name) },
  {
    additionalProperties: false,
    title: 'PersonPatch',
    description: 'Only the fields given change; at least one of username, email or employeeId must remain.',
  },
);

/** The search's fields, shared by GET /people (query string) and bulk issue (JSON body). */
export const PeopleFilterSchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({ maxLength: 200, description: 'A fragment of the name, username, email or employee id.' }),
    ),
    hasEmail: Type.Optional(Type.Boolean()),
    status: Type.Optional(StringEnum(STATUS_VALUES)),
    codeState: Type.Optional(CodeStateSchema),
    department: Type.Optional(Type.String({ maxLength: 200, description: 'Exact.' })),
    location: Type.Optional(Type.String({ maxLength: 200, description: 'Exact.' })),
    employeeId: Type.Optional(Type.String({ maxLength: 64, description: 'Exact.' })),
    username: Type.Optional(Type.String({ maxLength: 200, description: 'Exact, letter case ignored.' })),
    email: Type.Optional(Type.String({ maxLength: 254, description: 'Exact, letter case ignored.' })),
    area: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9-]+$',
        description: "An area's id: its members",
      }),
    ),
  },
  { additionalProperties: false, title: 'PeopleFilter' },
);

/** Any id-like string: one that is not a Keyslip id is simply not found (404), like an unknown one. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9-]+$' }) });

/** The error answers most operations can give; openapi.ts adds 413/415 (bodies), 500 and 503. */
export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  429: ErrorSchema,
};
