// Route schemas compiled on first use. Fastify compiles every route's schemas (an Ajv validator
// for each request part, a fast-json-stringify serializer for each response status, and the same
// again for each GET route's HEAD twin) as the route is added: a third of a second of CPU at every
// start, and the loading of Ajv and fast-json-stringify themselves, for routes most of which will
// not be called for minutes. Here each compiler is Fastify's own default (the same Ajv options, the
// same serializer), handed over behind a function that compiles on the route's first request.
// What is still checked when a route is added: that a header schema names its headers in lower
// case (below), so such a route is refused at start, not at its first request.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles the route schemas no request has needed yet; returns how many (lazy-schemas.ts). */
    compilePendingSchemas(): number;
  }
}

/** What Fastify hands a validator or serializer compiler for one schema of one route. */
interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
  httpStatus?: string;
  contentType?: string;
}

/** An Ajv validating function, as Fastify calls it. */
interface Validate {
  (data: unknown, dataContext?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

type Serialize = (data: unknown) => string;
type ValidatorCompiler = (route: RouteSchema) => Validate;
type SerializerCompiler = (route: RouteSchema) => Serialize;
type ValidatorFactory = (externalSchemas: unknown, options: unknown) => ValidatorCompiler;
type SerializerFactory = (externalSchemas: unknown, options: unknown) => SerializerCompiler;

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

// Fastify's own defaults, loaded from Fastify's dependencies (the versions it would use itself),
// and only when the first schema is compiled.
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
let defaultValidatorFactory: ValidatorFactory | null = null;
let defaultSerializerFactory: SerializerFactory | null = null;

function fastifyValidatorFactory(): ValidatorFactory {
  defaultValidatorFactory ??= (requireFromFastify('@fastify/ajv-compiler') as () => ValidatorFactory)();
  return defaultValidatorFactory;
}

function fastifySerializerFactory(): SerializerFactory {
  defaultSerializerFactory ??= (
    requireFromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory
  )();
  return defaultSerializerFactory;
}

/**
 * Loads Ajv and fast-json-stringify without compiling anything, so that the first request with a
 * schema only compiles its own (main.ts calls this a moment after the server listens).
 */
export function preloadSchemaCompilers(): void {
  fastifyValidatorFactory();
  fastifySerializerFactory();
}

/**
 * Fastify lower-cases the header names of a header schema (Node gives request headers in lower
 * case) unless the compiler is its own; with this one it is not, so a header schema must already
 * name its headers in lower case, and one that does not is refused when its route is added.
 */
function assertLowerCaseHeaders(route: RouteSchema): void {
  const schema = route.schema as { properties?: Record<string, unknown>; required?: unknown } | null;
  const names = [...Object.keys(schema?.properties ?? {}), ...(Array.isArray(schema?.required) ? schema.required : [])];
  const upper = names.find((name) => typeof name === 'string' && name !== name.toLowerCase());
  if (upper !== undefined) {
    throw new Error(`${route.method} ${route.url}: name the header ${upper} in lower case in its schema`);
  }
}

export interface LazySchemas {
  compilersFactory: CompilersFactory;
  /** Compiles every schema not compiled yet, and returns how many that was (tests: all of them compile). */
  compileAll(): number;
}

/** Compilers for one Fastify instance (its `schemaController.compilersFactory`). */
export function lazySchemaCompilers(): LazySchemas {
  const pending = new Set<() => void>();

  /** `compile`, run once: at the first call, or by compileAll, whichever comes first. */
  function onFirstUse<T>(compile: () => T): () => T {
    let compiled: T | null = null;
    const compileNow = (): T => {
      pending.delete(compileNow);
      compiled ??= compile();
      return compiled;
    };
    pending.add(compileNow);
    return () => compiled ?? compileNow();
  }

  function lazyValidator(route: RouteSchema, compile: () => Validate): Validate {
    if (route.httpPart === 'headers') assertLowerCaseHeaders(route);
    const compiled = onFirstUse(compile);
    const lazy: Validate = (data, dataContext) => {
      const validate = compiled();
      const result = validate(data, dataContext);
      lazy.errors = validate.errors;
      return result;
    };
    // Fastify hands an Ajv function the request part's parent (so that coercion can replace a
    // whole value) only when it sees Ajv's schemaEnv on the function; Ajv's functions take it.
    lazy.schemaEnv = true;
    return lazy;
  }

  function lazySerializer(compile: () => Serialize): Serialize {
    const compiled = onFirstUse(compile);
    return (data) => compiled()(data);
  }

  const buildValidator: ValidatorFactory = (externalSchemas, options) => {
    let compiler: ValidatorCompiler | null = null;
    return (route) =>
      lazyValidator(route, () => {
        compiler ??= fastifyValidatorFactory()(externalSchemas, options);
        return compiler(route);
      });
  };
  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    let compiler: SerializerCompiler | null = null;
    return (route) =>
      lazySerializer(() => {
        compiler ??= fastifySerializerFactory()(externalSchemas, options);
        return compiler(route);
      });
  };

  return {
    compilersFactory: { buildValidator, buildSerializer } as unknown as CompilersFactory,
    compileAll() {
      const all = [...pending];
      for (const compileNow of all) compileNow();
      return all.length;
    },
  };
}
