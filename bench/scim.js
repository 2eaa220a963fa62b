#!/usr/bin/env node
// SCIM bulk provisioning benchmark (issue 13): N people created through POST /scim/v2/Users, as
// an HR system's first sync sends them (one request per person, a few in flight at once), against
// a real server process. Reports creates per second, the latency percentiles, then checks the
// result through SCIM itself (totalResults, a userName lookup) and times a disable round.
//
//   npm run build && node bench/scim.js                      # 10,000 creates, SQLite
//   node bench/scim.js --users 2000 --concurrency 4          # smaller
//   node bench/scim.js --dialects sqlite,postgres            # PostgreSQL too (KEYSLIP_BENCH_POSTGRES_URL)
//
// Writes bench/results/scim-<YYYY-MM-DD>.json (or --out FILE).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { closeAgent, request, round, summarise } from './http.js';
import { createPeopleGenerator } from './names.js';
import { freePort, ROOT, startServer } from './server.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    dialects: { type: 'string', default: 'sqlite' },
    out: { type: 'string' },
    seed: { type: 'string', default: '20260101' },
  },
});
const USERS = Number(args.users);
const CONCURRENCY = Number(args.concurrency);
const POSTGRES_URL = process.env.KEYSLIP_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const log = (message) => process.stderr.write(`[scim-bench] ${message}\n`);

async function freshPostgresSchema() {
  const schema = `bench_scim_${crypto.randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.query('create extension if not exists pg_trgm schema public');
  await client.end();
  const options = encodeURIComponent(`-c search_path=${schema},public`);
  return {
    url: `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${options}`,
    drop: async () => {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

/** A SCIM token, made through Keyslip's own modules (as `keyslip token create --scim` does). */
async function createScimToken(env) {
  const dist = (file) => import(path.join(ROOT, 'dist', 'src', file));
  const [{ loadConfig }, { openDatabase }, { migrateToLatest }, { createApiToken }, { CLI_ACTOR }] = await Promise.all([
    dist('config.js'),
    dist('db/database.js'),
    dist('db/migrate.js'),
    dist('sessions/api-tokens.js'),
    dist('audit/audit.js'),
  ]);
  const handle = openDatabase(loadConfig(env, ROOT).databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    return (await createApiToken(handle.db, { name: 'bench', actor: CLI_ACTOR, now, kind: 'scim' })).token;
  } finally {
    await handle.close();
  }
}

/** The SCIM User an HR system would send for person i (every one with a userName: SCIM requires it). */
function userOf(person, i) {
  const userName = person.username || `${person.email.split('@')[0] || 'worker'}.${i}`.replace(/[^a-z0-9._-]/g, '');
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `hr-${i}`,
    userName: /^[a-z0-9]/.test(userName) ? userName : `w${userName}`,
    displayName: person.name,
    title: person.title,
    active: true,
    ...(person.email ? { emails: [{ value: person.email, type: 'work', primary: true }] } : {}),
    [ENTERPRISE]: { employeeNumber: person.employeeId, department: person.department },
  };
}

async function benchDialect(dialect) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keyslip-scim-bench-${dialect}-`));
  const env = {
    KEYSLIP_DATA_DIR: path.join(dir, 'data'),
    KEYSLIP_PORT: String(await freePort()),
    KEYSLIP_HOST: '127.0.0.1',
    KEYSLIP_SECRET: crypto.randomBytes(32).toString('base64url'),
    KEYSLIP_LOG_LEVEL: 'warn',
  };
  let schema = null;
  if (dialect === 'postgres') {
    schema = await freshPostgresSchema();
    env.KEYSLIP_DATABASE_URL = schema.url;
  }
  let server = null;
  try {
    const auth = `Bearer ${await createScimToken(env)}`;
    server = await startServer({ env, logFile: path.join(dir, 'server.log') });
    const base = server.baseUrl;
    const headers = { authorization: auth, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
    const personAt = createPeopleGenerator(Number(args.seed));
    const bodies = Array.from({ length: USERS }, (_, i) => JSON.stringify(userOf(personAt(i), i)));

    log(`${dialect}: ${USERS.toLocaleString('en')} creates, ${CONCURRENCY} in flight`);
    const latencies = [];
    const statuses = {};
    const ids = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < USERS) {
          const i = next++;
          const response = await request(base, { method: 'POST', path: '/scim/v2/Users', headers, body: bodies[i] });
          latencies.push(response.ms);
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (response.status === 201) ids.push(JSON.parse(response.text).id);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const total = JSON.parse(
      (await request(base, { path: '/scim/v2/Users?count=0', headers: { authorization: auth } })).text,
    ).totalResults;
    const lookup = [];
    for (let i = 0; i < 200; i += 1) {
      const userName = JSON.parse(bodies[(i * 37) % USERS]).userName;
      const filter = encodeURIComponent(`userName eq "${userName}"`);
      const found = await request(base, { path: `/scim/v2/Users?filter=${filter}`, headers: { authorization: auth } });
      lookup.push(found.ms);
    }
    const disable = [];
    const patch = JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    for (const id of ids.slice(0, 200)) {
      disable.push((await request(base, { method: 'PATCH', path: `/scim/v2/Users/${id}`, headers, body: patch })).ms);
    }
    const result = {
      dialect,
      users: USERS,
      concurrency: CONCURRENCY,
      seconds: round(seconds),
      createsPerSecond: round(USERS / seconds, 1),
      statuses,
      createLatencyMs: summarise(latencies),
      totalResultsAfter: total,
      userNameLookupMs: summarise(lookup),
      disableMs: summarise(disable),
    };
    log(`${dialect}: ${result.createsPerSecond} creates/s (${result.seconds} s), statuses ${JSON.stringify(statuses)}`);
    return result;
  } finally {
    await server?.stop();
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const runs = [];
  for (const dialect of args.dialects.split(',').map((d) => d.trim())) runs.push(await benchDialect(dialect));
  closeAgent();
  const report = {
    timestamp: new Date().toISOString(),
    machine: { cpuModel: os.cpus()[0]?.model, cpuCount: os.cpus().length, node: process.version },
    runs,
  };
  const out = args.out ?? path.join(ROOT, 'bench', 'results', `scim-${new Date().toISOString().slice(0, 10)}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
