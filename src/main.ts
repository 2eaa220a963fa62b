// loadConfig → open the database → buildApp → listen. The only place (with the CLI) that exits.
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, unsafeSettings, type Config } from './config.js';
import { buildApp, buildMetricsApp } from './app.js';
import { formatAccessCode } from './access-codes/access-code.js';
import { eraseExpiredBatches } from './access-codes/batches.service.js';
import { undoAbandonedBatches } from './access-codes/batch-undo.js';
import { expireAdminCodeRequests } from './access-codes/admin-code-requests.js';
import { deliverDueLogouts } from './oidc/backchannel-logout.js';
import { sweepExpiredOidcPayloads } from './oidc/oidc-payloads.store.js';
import { createFirstAdminIfEmpty } from './accounts/first-admin.js';
import { pruneRateLimits } from './rate-limits/rate-limits.js';
import { sweepExpiredData } from './retention/retention.js';
import { openRuntime } from './runtime.js';
import { checkpointInBackground, type BackgroundCheckpoints } from './db/checkpoints.js';
import { DAY, MINUTE } from './lib/clock.js';
import { assertBlocklistFound, commonPasswordCount } from './sign-in/password.js';
import { indexWaitingPeople } from './people/people-import.js';
import { preloadSchemaCompilers } from './http/lazy-schemas.js';

/**
 * How far V8 lets the heap grow past what survived its last full collection, in percent. Left to
 * itself it sizes that from the machine's memory, not the process's needs: with gigabytes free it
 * grows the heap up to four times the live objects before collecting, and a CSV import of a
 * million people (about 45 MB live) peaked at 190 MB of heap, the server at 346 MB. At 50 % the
 * same import peaked 15–35 MB lower at 300,000 people for about 1 % more CPU. A setting of the
 * operator's own (NODE_OPTIONS or a command-line flag) is left as it is.
 */
const HEAP_GROWING_PERCENT = 50;

/** How long after the server listens it loads what it will soon need (see the end of serve). */
const AFTER_START_MS = 1_000;

function keepHeapNearLiveSize(): void {
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (/heap-growing-percent|max-old-space-size|max-heap-size/.test(flags)) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

export async function serve(config: Config): Promise<void> {
  keepHeapNearLiveSize();
  // A missing blocklist stops the start here, before any health check passes (it is read later).
  assertBlocklistFound();
  const { deps, handle, logger } = await openRuntime(config);
  for (const warning of unsafeSettings(config)) logger.warn(`ATTENTION: ${warning}`);

  const firstAdmin = await createFirstAdminIfEmpty(deps);
  if (firstAdmin) {
    // Printed once, to standard error (never to the JSON log on standard output, which is often
    // shipped to a log collector): the code is a password.
    process.stderr.write(
      [
        '',
        '  Keyslip is ready. The first admin account was created.',
        `  Username:    ${firstAdmin.person.username}`,
        `  Access code: ${formatAccessCode(firstAdmin.code.replace(/-/g, ''))}`,
        `  Go to ${config.accessCodeUrl}, enter the code and choose a password.`,
        `  It works for 24 hours, until ${new Date(firstAdmin.expiresAt).toISOString()}, and is shown only this once.`,
        '  After that, create an admin with `keyslip admin create`.',
        '',
        '',
      ].join('\n'),
    );
  }

  const app = await buildApp(deps, { logger });
  const metricsApp = config.metricsPort === null ? null : await buildMetricsApp(deps);
  const housekeeping = setInterval(() => {
    // A bulk issue whose instance died is undone first: until then the codes it replaced do not work.
    undoAbandonedBatches(deps)
      .then(() => eraseExpiredBatches(deps))
      // People an import left in the search backlog when it stopped (a crash): searchable again.
      .then(() => indexWaitingPeople(deps.db))
      .then(() => pruneRateLimits(deps.db, deps.clock.now() - DAY))
      .then(() => sweepExpiredOidcPayloads(deps.db, deps.clock.now()))
      .then(() => expireAdminCodeRequests(deps))
      .catch((error: unknown) =>
        logger.warn({ err: { message: (error as Error).message } }, 'housekeeping failed; will retry'),
      );
  }, MINUTE);
  housekeeping.unref();
  // What has outlived its use (README "Data kept"): every 10 minutes, on one instance at a time.
  const sweeper = randomBytes(8).toString('hex');
  const retention = setInterval(() => {
    sweepExpiredData(deps, sweeper, { sqlite: handle.sqlite })
      .then((report) => {
        if (report && Object.values(report).some((count) => count > 0)) logger.info({ report }, 'retention sweep');
      })
      .catch((error: unknown) =>
        logger.warn({ err: { message: (error as Error).message } }, 'retention sweep failed; will retry'),
      );
  }, 10 * MINUTE);
  retention.unref();
  // Back-Channel Logout notices to apps (SPEC §8): due ones every few seconds, retried with backoff.
  const logoutDelivery = setInterval(() => {
    deliverDueLogouts(deps).catch((error: unknown) =>
      logger.warn({ err: { message: (error as Error).message } }, 'back-channel logout delivery failed; will retry'),
    );
  }, 5_000);
  logoutDelivery.unref();

  let checkpoints: BackgroundCheckpoints | null = null;
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    clearInterval(housekeeping);
    clearInterval(retention);
    clearInterval(logoutDelivery);
    Promise.all([app.close(), metricsApp?.close()])
      .then(() => checkpoints?.stop())
      .then(() => handle.close())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  if (metricsApp && config.metricsPort !== null) {
    // Logged apart from the main "Server listening at": scripts that wait for that line find the main port.
    const address = await metricsApp.listen({ port: config.metricsPort, host: config.metricsHost });
    logger.info({ address }, `metrics listener at ${address}/metrics`);
  }

  // What follows runs once the server answers, not before: none of it is needed for the first
  // requests, and some of it grows with the data (an expired batch's codes) or competes with the
  // start-up for the CPU (a second Node.js instance for the checkpoints).
  if (closing) return;
  // SQLite: WAL checkpoints (and their fsync) on a thread of their own, not inside a request's commit.
  checkpoints = handle.sqlite ? checkpointInBackground(handle.sqlite) : null;
  // A bulk issue whose instance died is undone first: until then the codes it replaced do not work.
  void undoAbandonedBatches(deps)
    .catch(() => undefined)
    .then(() => eraseExpiredBatches(deps))
    .catch(() => undefined);
  // A second later, what most requests will soon need: the password blocklist (150 KB, read and
  // normalised synchronously) and the schema compilers (lazy-schemas.ts). Done before listening,
  // they held up the first answers; a request that needs them before then loads them itself.
  setTimeout(() => {
    try {
      commonPasswordCount();
      preloadSchemaCompilers();
    } catch (error) {
      // Not expected (the blocklist was found before listening): each request loads them again.
      logger.error({ err: { message: (error as Error).message } }, 'could not preload at start');
    }
  }, AFTER_START_MS).unref();
}

async function main(): Promise<void> {
  try {
    await serve(loadConfig());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`Keyslip could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
