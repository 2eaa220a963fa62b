#!/usr/bin/env node
// `npm run bench`: Keyslip at N people (default 1,000,000), on SQLite and, when asked, PostgreSQL.
// Seeds its own people through Keyslip's CSV import, runs a real server process and measures the
// workloads W1–W13 (see bench/README.md). Prints a table and writes bench/results/<date>.json.
//
//   node bench/run.js [--people N] [--only W1,W3] [--postgres] [--dialects sqlite,postgres]
//                     [--seconds S] [--out FILE] [--seed N] [--keep] [--profile] [--server-threadpool N]
//                     [--server-node-args "--max-semi-space-size=8 …"]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { closeAgent, round } from './http.js';
import { freePort, MAIN, readMemory, ROOT, sampleMemory, startServer } from './server.js';
import {
  issueSampleCodes,
  prepareSignInAccount,
  runBulkIssue,
  runCodeCheck,
  runAreaSearch,
  runImport,
  runKeystrokeSearch,
  runSearch,
  seedAreas,
  runSignIn,
  runSignInFlood,
  writePeopleCsv,
} from './workloads.js';
import { prepareOidc, runOidcSignIn, runTokenExchange, runUserinfo } from './oidc-workloads.js';

const WORKLOADS = ['W1', 'W9', 'W2', 'W3', 'W4', 'W5', 'W5b', 'W6', 'W7', 'W8', 'W10', 'W11', 'W12', 'W13'];
const OIDC_WORKLOADS = ['W11', 'W12', 'W13'];
const MB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    postgres: { type: 'boolean', default: false },
    dialects: { type: 'string' },
    seconds: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '20260101' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'server-threadpool': { type: 'string' },
    'server-node-args': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    `${fs
      .readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 7)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n')}\n`,
  );
  process.exit(0);
}

const people = Number(args.people.replace(/[_,]/g, ''));
if (!Number.isInteger(people) || people < 100) fail('--people must be a whole number of at least 100');
const only = new Set(
  (args.only ?? WORKLOADS.join(','))
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => WORKLOADS.find((id) => id.toUpperCase() === w.toUpperCase()) ?? w),
);
for (const w of only) if (!WORKLOADS.includes(w)) fail(`--only: unknown workload ${w} (use ${WORKLOADS.join(', ')})`);
// The import's two halves: asking for W5 measures the re-import (W5b) too.
if (only.has('W5')) only.add('W5b');
const postgresUrl =
  process.env.KEYSLIP_BENCH_POSTGRES_URL ?? (args.postgres ? 'postgres://postgres@127.0.0.1:5432/postgres' : null);
const dialects = args.dialects
  ? args.dialects.split(',').map((d) => d.trim())
  : postgresUrl
    ? ['sqlite', 'postgres']
    : ['sqlite'];
for (const d of dialects) if (d !== 'sqlite' && d !== 'postgres') fail(`--dialects: unknown dialect ${d}`);
if (dialects.includes('postgres') && !postgresUrl)
  fail('PostgreSQL needs KEYSLIP_BENCH_POSTGRES_URL (or --postgres for postgres://postgres@127.0.0.1:5432/postgres)');
const seconds = Number(args.seconds ?? (people <= 10_000 ? 2 : 10));
const seed = Number(args.seed);
const keep = args.keep || args.profile;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// The targets of the issue "Fast at a million people" (2-core machine, SQLite, 1,000,000 people).
const TARGETS = {
  W1: { text: 'p95 ≤ 10 ms (p50 ≤ 3 ms)', met: (w) => w.measured <= 10 && w.details.sequential.p50 <= 3 },
  // Issue 17: every query a person can type, one letter on, within W1's target.
  W9: { text: 'p95 ≤ 10 ms', met: (w) => w.measured <= 10 },
  W2: { text: '≥ 100,000 codes/s', met: (w) => w.measured >= 100_000 },
  // Issue 14: "a sign-in waits at most 2 s" during that bulk issue (SQLite).
  W2b: { text: 'slowest sign-in ≤ 2 s', met: (w) => w.measured !== null && w.measured <= 2_000 },
  // A check reads three rows and, when it fails, writes three (two counters and an audit entry);
  // /healthz runs `select 1`.
  W3: { text: 'ratio ≥ 0.5', met: (w) => w.measured >= 0.5 },
  W4: {
    text: 'ratio ≥ 0.9 and /healthz p99 ≤ 20 ms',
    met: (w) => w.measured >= 0.9 && w.details.healthz.p99 !== null && w.details.healthz.p99 <= 20,
  },
  W5: { text: '≥ 50,000 rows/s', met: (w) => w.measured >= 50_000 },
  W5b: { text: '≥ 50,000 rows/s', met: (w) => w.measured >= 50_000 },
  W6: { text: '≤ 300 MB', met: (w) => w.measured !== null && w.measured <= 300 },
  W7: { text: '≤ 1 s', met: (w) => w.measured <= 1 },
  // Issue 9: "completes in well under a second while 300 bad sign-ins arrive at once".
  W8: {
    text: 'slowest ≤ 500 ms, all 201',
    met: (w) => w.measured <= 500 && Object.keys(w.details.realStatuses).every((s) => s === '201'),
  },
  // Issue 12: the search "still meeting its benchmark target when filtered by area" (W1's).
  W10: {
    text: 'p95 ≤ 10 ms (store areas and regions)',
    met: (w) => w.measured <= 10 && w.details.regions.p95 <= 10,
  },
  // Issue 11 asks for these figures and names no target: reported.
  W11: { text: 'none in the issue: reported', met: () => null },
  W12: { text: 'none in the issue: reported', met: () => null },
  W13: { text: 'none in the issue: reported', met: () => null },
};

const TITLES = {
  W1: 'directory search, first page of 50',
  W9: 'search as typed: 1–2 letters, rare pairs, ids, emails',
  W2: 'bulk issue, CSV streamed',
  W2b: 'sign-in during the bulk issue',
  W3: 'code check vs /healthz',
  W4: 'sign-in vs raw Argon2id',
  W5: 'CSV import, new people',
  W5b: 'CSV re-import, 1 in 10 changed',
  W6: 'server peak RSS (W1–W5)',
  W7: 'start to healthy',
  W8: 'real sign-in while 300 bad ones arrive',
  W10: 'directory filtered by area, first page of 50',
  W11: 'OIDC token exchange (code → tokens)',
  W12: 'OIDC userinfo vs /healthz',
  W13: 'OIDC sign-in: authorize → login → token',
};

function workload(id, measured, unit, display, details) {
  const entry = { id, title: TITLES[id], measured, unit, display, target: TARGETS[id].text, met: false, details };
  entry.met = measured === null ? null : TARGETS[id].met(entry);
  if (entry.met === undefined) entry.met = null;
  return entry;
}

/** A PostgreSQL schema of the benchmark's own (pg_trgm stays in public), dropped at the end. */
async function freshPostgresSchema(url) {
  const schema = `bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.query('create extension if not exists pg_trgm schema public');
  const version = (await admin.query('show server_version')).rows[0].server_version;
  await admin.end();
  return {
    version,
    url: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema},public`)}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** An admin API token, made through Keyslip's own modules (as `keyslip token create` does). */
async function createToken(env) {
  const dist = (file) => import(path.join(ROOT, 'dist', 'src', file));
  const [{ loadConfig }, { openDatabase }, { migrateToLatest }, { createApiToken }, { CLI_ACTOR }] = await Promise.all([
    dist('config.js'),
    dist('db/database.js'),
    dist('db/migrate.js'),
    dist('sessions/api-tokens.js'),
    dist('audit/audit.js'),
  ]);
  const config = loadConfig(env, ROOT);
  const handle = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
    const { token } = await createApiToken(handle.db, { name: 'bench', actor: CLI_ACTOR, now: Date.now() });
    return token;
  } finally {
    await handle.close();
  }
}

async function benchDialect(dialect, { workDir, csvFile, reimportFile }) {
  const dir = path.join(workDir, dialect);
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const env = {
    KEYSLIP_DATA_DIR: path.join(dir, 'data'),
    KEYSLIP_PORT: String(port),
    KEYSLIP_HOST: '127.0.0.1',
    KEYSLIP_SECRET: crypto.randomBytes(32).toString('base64url'),
    KEYSLIP_LOG_LEVEL: 'warn',
    // W3 sends thousands of failed code checks from one address, W4 many sign-ins: the per-address
    // limits (20 and 50 per 15 minutes by default) are raised to their maximum for the benchmark.
    KEYSLIP_RATE_CODE_FAILURES: '1000000',
    KEYSLIP_RATE_SIGNIN_FAILURES: '1000000',
    // W4 signs in over 8 connections from one address; the default bound is 4 in progress.
    KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: '1000',
  };
  if (args['server-threadpool']) env.UV_THREADPOOL_SIZE = args['server-threadpool'];
  let pgSchema = null;
  let databaseVersion = null;
  if (dialect === 'postgres') {
    pgSchema = await freshPostgresSchema(postgresUrl);
    env.KEYSLIP_DATABASE_URL = pgSchema.url;
    databaseVersion = `PostgreSQL ${pgSchema.version}`;
  }
  const results = {};
  const nodeArgs = [
    ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : []),
    ...(args['server-node-args'] ? args['server-node-args'].split(' ').filter(Boolean) : []),
  ];
  const logFile = path.join(dir, 'server.log');
  let server = null;
  try {
    const auth = `Bearer ${await createToken(env)}`;
    log(`${dialect}: starting the server on port ${port}`);
    server = await startServer({ env, nodeArgs, logFile });
    const memory = sampleMemory(server.pid);
    const ctx = { baseUrl: server.baseUrl, auth, seconds, serverPid: server.pid };

    memory.phase('W5');
    log(`${dialect}: W5 importing ${people.toLocaleString('en')} people`);
    const imported = await runImport(ctx, csvFile, people);
    if (only.has('W5'))
      results.W5 = workload(
        'W5',
        imported.rowsPerSecond,
        'rows/s',
        `${imported.rowsPerSecond.toLocaleString('en')} rows/s (${imported.seconds} s)`,
        imported,
      );
    log(`${dialect}: W5 ${imported.rowsPerSecond} rows/s in ${imported.seconds} s`);
    if (dialect === 'sqlite') {
      const file = path.join(env.KEYSLIP_DATA_DIR, 'keyslip.db');
      if (fs.existsSync(file)) imported.databaseBytes = fs.statSync(file).size;
    }

    if (only.has('W5b')) {
      // The same people again, as next month's HR export: 1 in 10 with a new title (updated),
      // the rest as they are (unchanged). Measured like W5.
      memory.phase('W5b');
      log(`${dialect}: W5b importing the same ${people.toLocaleString('en')} people again, 1 in 10 changed`);
      const again = await runImport(ctx, reimportFile, people);
      results.W5b = workload(
        'W5b',
        again.rowsPerSecond,
        'rows/s',
        `${again.rowsPerSecond.toLocaleString('en')} rows/s (${again.seconds} s; ` +
          `${again.updated.toLocaleString('en')} updated, ${again.unchanged.toLocaleString('en')} unchanged)`,
        again,
      );
      log(`${dialect}: W5b ${again.rowsPerSecond} rows/s in ${again.seconds} s`);
    }

    if (only.has('W1')) {
      memory.phase('W1');
      log(`${dialect}: W1 search`);
      const search = await runSearch(ctx, { rounds: people >= 100_000 ? 6 : 2, connections: 8 });
      results.W1 = workload(
        'W1',
        search.sequential.p95,
        'ms',
        `p50 ${search.sequential.p50} / p95 ${search.sequential.p95} ms seq.; ` +
          `${search.autocannon.requestsPerSecond} req/s at 8 conn. ` +
          `(p50 ${search.autocannon.latencyMs.p50}, p97.5 ${search.autocannon.latencyMs.p97_5} ms)`,
        search,
      );
      log(`${dialect}: W1 p50 ${search.sequential.p50} ms, p95 ${search.sequential.p95} ms`);
    }

    if (only.has('W9')) {
      memory.phase('W9');
      log(`${dialect}: W9 search as typed`);
      const typed = await runKeystrokeSearch(ctx, { rounds: people >= 100_000 ? 6 : 2, connections: 8, seed, people });
      results.W9 = workload(
        'W9',
        typed.sequential.p95,
        'ms',
        `p50 ${typed.sequential.p50} / p95 ${typed.sequential.p95} ms seq. (${typed.fragments} queries); ` +
          `slowest ${typed.slowestFragments
            .slice(0, 3)
            .map((s) => `${s.fragment} ${s.p50} ms`)
            .join(', ')}`,
        typed,
      );
      log(`${dialect}: W9 p50 ${typed.sequential.p50} ms, p95 ${typed.sequential.p95} ms`);
    }
    if (only.has('W10')) {
      memory.phase('W10');
      const stores = Math.min(5000, Math.max(10, Math.floor(people / 200)));
      const seeded = Date.now();
      const areas = await seedAreas(env, { stores, regions: 5 });
      log(
        `${dialect}: W10 seeded ${stores + 5} areas, ${areas.memberships.toLocaleString('en')} memberships ` +
          `in ${round((Date.now() - seeded) / 1000, 1)} s`,
      );
      const search = await runAreaSearch(ctx, { ...areas, rounds: people >= 100_000 ? 3 : 1, sample: 100 });
      search.areas = stores + 5;
      search.memberships = areas.memberships;
      results.W10 = workload(
        'W10',
        search.stores.p95,
        'ms',
        `stores p50 ${search.stores.p50} / p95 ${search.stores.p95} ms, ` +
          `regions (${Math.round(people / 10).toLocaleString('en')} members) p50 ${search.regions.p50} / ` +
          `p95 ${search.regions.p95} ms seq.; ${search.autocannon.requestsPerSecond} req/s at 8 conn.`,
        search,
      );
      log(
        `${dialect}: W10 stores p50 ${search.stores.p50} ms, p95 ${search.stores.p95} ms; ` +
          `regions p95 ${search.regions.p95} ms`,
      );
    }

    let sample = null;
    if (only.has('W2')) {
      memory.phase('W2');
      log(`${dialect}: W2 bulk issue`);
      const signInAccount = await prepareSignInAccount(ctx);
      const bulk = await runBulkIssue(ctx, { sampleSize: 1000, signInAccount });
      sample = bulk.sample;
      const { sample: _sample, ...figures } = bulk;
      results.W2 = workload(
        'W2',
        bulk.codesPerSecond,
        'codes/s',
        `${bulk.codesPerSecond.toLocaleString('en')} codes/s ` +
          `(${bulk.codes.toLocaleString('en')} codes in ${bulk.seconds} s)`,
        figures,
      );
      log(`${dialect}: W2 ${bulk.codesPerSecond} codes/s (${bulk.codes} codes, ${bulk.seconds} s)`);
      const waits = bulk.signInDuringIssue;
      results.W2b = workload(
        'W2b',
        waits?.max ?? null,
        'ms',
        waits
          ? `slowest ${waits.max} ms, p50 ${waits.p50} ms of ${waits.count} sign-ins (${waits.failures} failed)`
          : 'no account to sign in with',
        waits ?? {},
      );
    }
    const needsSample = ['W3', 'W4', 'W8', ...OIDC_WORKLOADS].some((id) => only.has(id));
    if (needsSample && !sample) sample = await issueSampleCodes(ctx, 200);

    if (only.has('W3')) {
      memory.phase('W3');
      log(`${dialect}: W3 code check`);
      const check = await runCodeCheck(ctx, { sample, connections: 32 });
      results.W3 = workload(
        'W3',
        check.ratio,
        'ratio',
        `${check.checksPerSecond} checks/s vs ${check.healthzPerSecond} /healthz/s = ${check.ratio}`,
        check,
      );
      log(`${dialect}: W3 ${check.checksPerSecond} checks/s, healthz ${check.healthzPerSecond}/s`);
    }

    if (only.has('W4')) {
      memory.phase('W4');
      log(`${dialect}: W4 sign-in`);
      // No more connections than the server admits to Argon2 (one running and two waiting per
      // CPU; beyond that it sheds sign-ins with 503), nor than an account's free failures (5):
      // autocannon's connections each walk the same list of accounts, so they sign in to one
      // account at the same moment, and an attempt counts against the account until it succeeds.
      const connections = Math.min(5, 3 * os.availableParallelism());
      const signIn = await runSignIn(ctx, { sample, accounts: people >= 100_000 ? 64 : 16, connections });
      results.W4 = workload(
        'W4',
        signIn.ratio,
        'ratio',
        `${signIn.signInsPerSecond} sign-ins/s vs ${signIn.rawVerifiesPerSecond} raw verifies/s = ${signIn.ratio}; ` +
          `/healthz p99 ${signIn.healthz.p99} ms`,
        signIn,
      );
      const cpu = signIn.cpuMsPerSignIn;
      log(
        `${dialect}: W4 ${signIn.signInsPerSecond}/s vs raw ${signIn.rawVerifiesPerSecond}/s, ` +
          `healthz p99 ${signIn.healthz.p99} ms; CPU per sign-in: server ${cpu.server} ms ` +
          `(main thread ${cpu.serverMainThread}), bench ${cpu.bench} ms, raw verify ${signIn.rawCpuMsPerVerify} ms ` +
          `(by CPU: ${signIn.cpuRatio})`,
      );
    }

    const peaks = memory.stop();
    if (only.has('W6')) {
      const hwm = peaks.hwm === null ? null : round(peaks.hwm / MB, 1);
      const byPhase = Object.fromEntries(
        Object.entries(peaks.rssPeakByPhase).map(([phase, bytes]) => [phase, round(bytes / MB, 1)]),
      );
      results.W6 = workload('W6', hwm, 'MB', hwm === null ? 'not available (no /proc)' : `${hwm} MB (VmHWM)`, {
        rssPeakMbByPhase: byPhase,
        // VmRSS = anonymous memory (heaps, SQLite's page cache, Argon2's buffers) + mapped files (code).
        anonPeakMb: peaks.anonPeak === null ? null : round(peaks.anonPeak / MB, 1),
        filePeakMb: peaks.filePeak === null ? null : round(peaks.filePeak / MB, 1),
        samples: peaks.samples,
      });
    }
    // The server's CPU time per workload (all threads, and the main thread alone), for the report.
    for (const [phase, cpu] of Object.entries(peaks.cpuByPhase)) {
      if (results[phase]) results[phase].details.serverCpu = cpu;
    }

    if (only.has('W8')) {
      // A second server on the same database with the default limits (the first one has them
      // raised for W3 and W4): the flood meets what a deployment would have.
      log(`${dialect}: W8 sign-in flood`);
      const {
        KEYSLIP_RATE_CODE_FAILURES: _c,
        KEYSLIP_RATE_SIGNIN_FAILURES: _s,
        KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS: _p,
        ...defaults
      } = env;
      const floodServer = await startServer({
        env: { ...defaults, KEYSLIP_PORT: String(await freePort()) },
        nodeArgs,
        logFile: path.join(dir, 'server-w8.log'),
      });
      try {
        const flood = await runSignInFlood({ ...ctx, baseUrl: floodServer.baseUrl }, { sample, flood: 300, rounds: 5 });
        results.W8 = workload(
          'W8',
          flood.maxMs,
          'ms',
          `real sign-in p50 ${flood.realSignIn.p50} / max ${flood.maxMs} ms (quiet p50 ${flood.quiet.p50} ms, ` +
            `behind 300 × /healthz p50 ${flood.behindHealthzFlood.p50} ms); ` +
            `flood answered ${JSON.stringify(flood.floodStatuses)}`,
          flood,
        );
        log(
          `${dialect}: W8 real sign-in max ${flood.maxMs} ms during the flood; ` +
            `flood ${JSON.stringify(flood.floodStatuses)}`,
        );
      } finally {
        await floodServer.stop();
      }
    }

    if (OIDC_WORKLOADS.some((id) => only.has(id))) {
      // After W6's peak is taken: the OIDC workloads are measured on their own.
      const oidcMemory = sampleMemory(server.pid);
      // W4 claims the first accounts of the sample and W8 the last; this one is the one before it.
      const oidc = await prepareOidc(ctx, { entry: sample[sample.length - 2] });
      if (only.has('W11')) {
        oidcMemory.phase('W11');
        log(`${dialect}: W11 OIDC token exchange`);
        const codes = Math.min(2000, Math.max(100, seconds * 100));
        const tokens = await runTokenExchange(ctx, { ...oidc, codes, connections: 8 });
        results.W11 = workload(
          'W11',
          tokens.exchangesPerSecond,
          'exchanges/s',
          `${tokens.exchangesPerSecond} exchanges/s at 8 conn. (${tokens.codes} codes prepared in ` +
            `${tokens.prepareSeconds} s; p50 ${tokens.latencyMs.p50} / p95 ${tokens.latencyMs.p95} ms)`,
          tokens,
        );
        log(`${dialect}: W11 ${tokens.exchangesPerSecond} exchanges/s ${JSON.stringify(tokens.statusCounts)}`);
      }
      if (only.has('W12')) {
        oidcMemory.phase('W12');
        log(`${dialect}: W12 OIDC userinfo`);
        const info = await runUserinfo(ctx, { ...oidc, connections: 32 });
        results.W12 = workload(
          'W12',
          info.ratio,
          'ratio',
          `${info.userinfoPerSecond} userinfo/s vs ${info.healthzPerSecond} /healthz/s = ${info.ratio}`,
          info,
        );
        log(`${dialect}: W12 ${info.userinfoPerSecond} userinfo/s, healthz ${info.healthzPerSecond}/s`);
      }
      if (only.has('W13')) {
        oidcMemory.phase('W13');
        log(`${dialect}: W13 OIDC sign-in`);
        const flow = await runOidcSignIn(ctx, { ...oidc, rounds: people >= 100_000 ? 50 : 20 });
        results.W13 = workload(
          'W13',
          flow.p95,
          'ms',
          `p50 ${flow.p50} / p95 ${flow.p95} ms over ${flow.rounds} sign-ins ` +
            `(password step p50 ${flow.loginMs.p50} ms)`,
          flow,
        );
        log(`${dialect}: W13 p50 ${flow.p50} ms, p95 ${flow.p95} ms`);
      }
      for (const [phase, cpu] of Object.entries(oidcMemory.stop().cpuByPhase)) {
        if (results[phase]) results[phase].details.serverCpu = cpu;
      }
    }

    if (only.has('W7')) {
      log(`${dialect}: W7 restart`);
      await server.stop();
      server = await startServer({ env, nodeArgs, logFile });
      const startSeconds = round(server.startMs / 1000, 3);
      const rss = readMemory(server.pid);
      results.W7 = workload('W7', startSeconds, 's', `${startSeconds} s`, {
        people,
        rssAfterStartMb: rss?.rss ? round(rss.rss / MB, 1) : null,
      });
      log(`${dialect}: W7 ${startSeconds} s to healthy`);
    }
    await server.stop();
    if (dialect === 'sqlite' && !databaseVersion) {
      const { Sqlite: Database } = await import('../dist/src/db/sqlite-driver.js');
      const probe = new Database(':memory:');
      databaseVersion = `SQLite ${probe.prepare('select sqlite_version() as v').get().v}`;
      probe.close();
    }
  } catch (error) {
    log(`${dialect}: failed. The server's last words:\n${server?.stderrTail() || '(nothing)'}`);
    throw error;
  } finally {
    await server?.stop().catch(() => undefined);
    if (pgSchema && !keep) await pgSchema.drop().catch(() => undefined);
  }
  return { dialect, database: databaseVersion, workloads: results };
}

function printTable(runs) {
  const rows = [['dialect', 'workload', 'measured', 'target', 'met?']];
  for (const run of runs) {
    // TITLES: every workload reported, W2b (measured during W2) included, in the table's order.
    for (const id of Object.keys(TITLES)) {
      const w = run.workloads[id];
      if (!w) continue;
      rows.push([run.dialect, `${id} ${w.title}`, w.display, w.target, w.met === null ? 'n/a' : w.met ? 'yes' : 'NO']);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r) => r.map((cell, i) => cell + ' '.repeat(widths[i] - [...cell].length)).join(' | ');
  process.stdout.write(
    `\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.slice(1).map(line).join('\n')}\n\n`,
  );
}

function resultsFile() {
  if (args.out) return path.resolve(args.out);
  const day = new Date().toISOString().slice(0, 10);
  const dir = path.join(ROOT, 'bench', 'results');
  let file = path.join(dir, `${day}.json`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `${day}-${n}.json`);
  return file;
}

async function main() {
  if (!fs.existsSync(MAIN))
    fail(`${MAIN} is missing: run \`npm run build\` (or \`npm run bench\`, which builds first)`);
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-bench-'));
  const cpus = os.cpus();
  log(
    `${people.toLocaleString('en')} people, workloads ${[...only].join(',')}, ${dialects.join(' + ')}, ` +
      `${seconds} s per load run; work folder ${workDir}`,
  );
  const runs = [];
  try {
    const csvFile = path.join(workDir, 'people.csv');
    const generated = Date.now();
    const bytes = await writePeopleCsv(csvFile, people, seed);
    log(`wrote ${csvFile} (${round(bytes / MB, 1)} MB) in ${round((Date.now() - generated) / 1000, 1)} s`);
    let reimportFile = null;
    if (only.has('W5b')) {
      reimportFile = path.join(workDir, 'people-again.csv');
      await writePeopleCsv(reimportFile, people, seed, { changeEvery: 10 });
    }
    for (const dialect of dialects) runs.push(await benchDialect(dialect, { workDir, csvFile, reimportFile }));
  } finally {
    closeAgent();
    if (!keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}${args.profile ? ' (CPU profiles under <dialect>/profiles)' : ''}`);
  }

  printTable(runs);
  const report = {
    schema: 1,
    timestamp: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    people,
    seed,
    secondsPerLoadRun: seconds,
    workloadsRun: [...only],
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpuCount: cpus.length,
      totalMemoryBytes: os.totalmem(),
      totalMemoryGb: round(os.totalmem() / 1024 ** 3, 1),
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      // Other work on the machine shows here: a load well above 0 means the figures were shared.
      loadAverageAtStart: loadStart.map((l) => round(l)),
      loadAverageAtEnd: os.loadavg().map((l) => round(l)),
    },
    runs,
  };
  const file = resultsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

main().catch((error) => {
  closeAgent();
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
