import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Clock } from './lib/clock.js';
import type { Keyring } from './lib/keyring.js';

/** The slice of pino that services use; Fastify's logger and a silent test logger both fit. */
export interface Log {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** What every service needs, built once in main.ts (or a test) and passed down. */
export interface Deps {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly log: Log;
}
