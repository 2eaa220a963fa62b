// Shared JSON schemas (TypeBox): they validate at the edge and generate /api/openapi.json.
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
  },
  { $id: 'Error' },
);

export const CodeStateSchema = Type.Union([
  Type.Literal('none'),
  Type.Literal('active'),
  Type.Literal('used'),
  Type.Literal('deactivated'),
  Type.Literal('expired'),
]);

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const PersonSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  username: Nullable(Type.String()),
  email: Nullable(Type.String()),
  employeeId: Nullable(Type.String()),
  department: Nullable(Type.String()),
  location: Nullable(Type.String()),
  title: Nullable(Type.String()),
  role: Type.Union([Type.Literal('member'), Type.Literal('manager'), Type.Literal('admin')]),
  status: Type.Union([Type.Literal('unclaimed'), Type.Literal('active'), Type.Literal('deactivated')]),
  codeState: CodeStateSchema,
  codeExpiresAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  claimedAt: Nullable(Type.String()),
  lastSignInAt: Nullable(Type.String()),
  areas: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), name: Type.String() }), {
      description: 'The areas the person is a member of, in name order (SPEC §9)',
    }),
  ),
});

const text = (max: number) => Type.String({ maxLength: max });

export const PersonInputSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 800 })),
    username: Type.Optional(Nullable(text(200))),
    email: Type.Optional(Nullable(text(300))),
    employeeId: Type.Optional(Nullable(text(200))),
    department: Type.Optional(Nullable(text(800))),
    location: Type.Optional(Nullable(text(800))),
    title: Type.Optional(Nullable(text(800))),
    role: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('manager'), Type.Literal('admin')])),
  },
  { additionalProperties: false },
);

/** The search's fields, shared by GET /people (query string) and bulk issue (JSON body). */
export const PeopleFilterSchema = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    hasEmail: Type.Optional(Type.Boolean()),
    status: Type.Optional(Type.Union([Type.Literal('unclaimed'), Type.Literal('active'), Type.Literal('deactivated')])),
    codeState: Type.Optional(CodeStateSchema),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    location: Type.Optional(Type.String({ maxLength: 200 })),
    area: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9-]+$',
        description: "An area's id: its members",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Any id-like string: one that is not a Keyslip id is simply not found (404), like an unknown one. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9-]+$' }) });

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  429: ErrorSchema,
};
