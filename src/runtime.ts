// Opening Keyslip's runtime from configuration: shared by the server and the CLI.
import pino from 'pino';
import type { Config } from './config.js';
import type { Deps, Log } from './deps.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { systemClock } from './lib/clock.js';
import { createKeyring, loadSecrets } from './lib/keyring.js';

/** pino with every secret-bearing field redacted, whatever logs it. Writes to stdout unless given a destination. */
export function createLogger(config: Config, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.password_hash',
        '*.token',
        'password',
        'password_hash',
        'token',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export interface Runtime {
  deps: Deps;
  handle: DatabaseHandle;
  logger: pino.Logger;
}

export async function openRuntime(
  config: Config,
  options: { logger?: pino.Logger; migrate?: boolean } = {},
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  const keyring = createKeyring(loadSecrets(config.secrets, config.dataDir));
  const handle = openDatabase(config.databaseUrl, { poolSize: config.dbPoolSize });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  const log: Log = logger;
  return { deps: { config, db: handle.db, clock: systemClock, keyring, log }, handle, logger };
}
