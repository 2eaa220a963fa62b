// The workloads W1–W5 and W7, each against a running server (`ctx`: { baseUrl, auth, seconds,
// serverPid }).
// Each returns plain figures; run.js decides targets and prints them.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { verify as argon2Verify } from '@node-rs/argon2';
import { createPeopleGenerator, createRandom, keystrokeQueries, SEARCH_FRAGMENTS } from './names.js';
import { load, percentile, request, requestJson, round, summarise } from './http.js';
import { readCpu, ROOT } from './server.js';

const hr = () => process.hrtime.bigint();
const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The people: a CSV file written once per run, imported through Keyslip's own import (W5).

const CSV_HEADER = 'name,username,email,employeeId,department,location,title\n';

function csvField(value) {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Writes N people as CSV; resolves with the file's size. Deterministic for a seed. With
 * `changeEvery` k, every k-th person (0, k, 2k, …) has another title: the same people, some changed.
 */
export async function writePeopleCsv(file, people, seed, { changeEvery = 0 } = {}) {
  const personAt = createPeopleGenerator(seed);
  const out = fs.createWriteStream(file);
  const write = (text) => (out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', resolve)));
  await write(CSV_HEADER);
  let chunk = '';
  for (let i = 0; i < people; i++) {
    const p = personAt(i);
    const title = changeEvery > 0 && i % changeEvery === 0 ? `Senior ${p.title}` : p.title;
    const fields = [p.name, p.username, p.email, p.employeeId, p.department, p.location, title];
    chunk += `${fields.map(csvField).join(',')}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return fs.statSync(file).size;
}

/** W5: the CSV streamed to POST /api/v1/people/import. */
export async function runImport(ctx, file, people) {
  const size = fs.statSync(file).size;
  const started = hr();
  const response = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/people/import',
    headers: { authorization: ctx.auth, 'content-type': 'text/csv', 'content-length': String(size) },
    body: fs.createReadStream(file, { highWaterMark: 1 << 20 }),
  });
  const ms = msSince(started);
  if (response.status !== 200) throw new Error(`import failed: ${response.status} ${response.text.slice(0, 500)}`);
  const { created, updated, unchanged = 0, errors } = response.json;
  if (created + updated + unchanged !== people)
    throw new Error(
      `import created ${created}, updated ${updated} and left ${unchanged} unchanged of ${people} people; ` +
        `errors: ${JSON.stringify(errors.slice(0, 5))}`,
    );
  return {
    rowsPerSecond: round(people / (ms / 1000), 0),
    seconds: round(ms / 1000),
    created,
    updated,
    unchanged,
    errors: errors.length,
    bytes: size,
  };
}

/** Sequential GET /healthz every ~10 ms until stopped; `stop()` resolves with the latencies. */
function probeHealthz(baseUrl) {
  let probing = true;
  const latencies = [];
  let failures = 0;
  const done = (async () => {
    while (probing) {
      const response = await request(baseUrl, { path: '/healthz' }).catch(() => null);
      if (response?.status === 200) latencies.push(response.ms);
      else failures += 1;
      await sleep(10);
    }
  })();
  return {
    async stop() {
      probing = false;
      await done;
      return { ...summarise(latencies), failures };
    },
  };
}

/**
 * Sequential sign-ins (one account, every ~200 ms) until stopped; `stop()` resolves with their
 * latencies: how long a person signing in waits while something else runs (W2b).
 */
function probeSignIn(baseUrl, account) {
  let probing = true;
  const latencies = [];
  let failures = 0;
  const done = (async () => {
    while (probing) {
      const response = await requestJson(baseUrl, {
        method: 'POST',
        path: '/api/v1/sessions',
        json: { username: account.username, password: account.password },
      }).catch(() => null);
      if (response?.status === 201) latencies.push(response.ms);
      else failures += 1;
      await sleep(200);
    }
  })();
  return {
    async stop() {
      probing = false;
      await done;
      return { ...summarise(latencies), failures };
    },
  };
}

/**
 * An account that signs in during the bulk issue (W2b): a person with an email address (the
 * bulk issue is for those without), given a code and a password through the API.
 */
export async function prepareSignInAccount(ctx) {
  const list = await requestJson(ctx.baseUrl, {
    path: '/api/v1/people?hasEmail=true&status=unclaimed&limit=1',
    headers: { authorization: ctx.auth },
  });
  const person = list.json?.items?.[0];
  if (!person) return null;
  const issued = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: `/api/v1/people/${person.id}/access-code`,
    headers: { authorization: ctx.auth },
  });
  if (issued.status !== 201) throw new Error(`issuing the W2b account's code failed: ${issued.status}`);
  const account = { username: person.username ?? 'bench.w2b', password: 'amber lantern orchard 7 q' };
  const redeemed = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/access-code/redeem',
    json: { code: issued.json.code, username: account.username, password: account.password },
  });
  if (redeemed.status !== 200) throw new Error(`redeeming the W2b account's code failed: ${redeemed.status}`);
  return account;
}

// ---------------------------------------------------------------------------------------------

const searchPath = (fragment) => `/api/v1/people?q=${encodeURIComponent(fragment)}&limit=50`;

/**
 * Sequential requests give exact per-request latency (one warm-up pass, then `rounds` rounds);
 * autocannon gives latency under load. `queries`: { label, path }.
 */
async function measureSearches(ctx, queries, { rounds, connections }) {
  const headers = { authorization: ctx.auth };
  const perQuery = new Map();
  const latencies = [];
  // One pass to warm the caches, not counted.
  for (const { label, path: url } of queries) {
    const response = await request(ctx.baseUrl, { path: url, headers });
    if (response.status !== 200)
      throw new Error(`search "${label}" failed: ${response.status} ${response.text.slice(0, 300)}`);
    perQuery.set(label, { items: JSON.parse(response.text).items.length, ms: [] });
  }
  for (let round_ = 0; round_ < rounds; round_++) {
    for (const { label, path: url } of queries) {
      const response = await request(ctx.baseUrl, { path: url, headers });
      if (response.status !== 200) throw new Error(`search "${label}" failed: ${response.status}`);
      latencies.push(response.ms);
      perQuery.get(label).ms.push(response.ms);
    }
  }
  const slowest = [...perQuery.entries()]
    .map(([fragment, { items, ms }]) => ({
      fragment,
      items,
      p50: round(percentile(ms, 50)),
      max: round(Math.max(...ms)),
    }))
    .sort((a, b) => b.p50 - a.p50)
    .slice(0, 6);
  // The same requests with a count (the admin page asks for one), sequential, one round.
  const counted = [];
  for (const { path: url } of queries) {
    const response = await request(ctx.baseUrl, { path: `${url}&count=true`, headers });
    if (response.status === 200) counted.push(response.ms);
  }
  const underLoad = await load({
    url: ctx.baseUrl,
    connections,
    duration: ctx.seconds,
    headers,
    requests: queries.map(({ path: url }) => ({ method: 'GET', path: url })),
  });
  return {
    fragments: queries.length,
    sequential: summarise(latencies),
    slowestFragments: slowest,
    sequentialWithCount: summarise(counted),
    autocannon: underLoad,
  };
}

/** W1: directory search by a name fragment (3+ letters, several scripts), first page of 50. */
export async function runSearch(ctx, { rounds, connections }) {
  const queries = SEARCH_FRAGMENTS.map((fragment) => ({ label: fragment, path: searchPath(fragment) }));
  return measureSearches(ctx, queries, { rounds, connections });
}

/**
 * W9: search as it is typed (issue 17): one and two letters, rare pairs, first letters of names,
 * employee id digits and email parts drawn at random for the seed, some with a filter.
 */
export async function runKeystrokeSearch(ctx, { rounds, connections, seed, people }) {
  const drawn = keystrokeQueries(seed, people);
  const queries = drawn.map(({ shape, fragment, query }) => ({
    label: `${fragment} (${shape})`,
    path: `/api/v1/people?${query}&limit=50`,
  }));
  const result = await measureSearches(ctx, queries, { rounds, connections });
  return { ...result, queries: drawn.map(({ shape, fragment, query }) => ({ shape, fragment, query })) };
}

// ---------------------------------------------------------------------------------------------

/**
 * W2: bulk issue for everyone without email, the CSV streamed back. Counts lines as they arrive;
 * keeps the first rows (username, code) for W3 and W4.
 */
export async function runBulkIssue(ctx, { sampleSize, signInAccount = null }) {
  let newlines = 0;
  let head = '';
  const health = probeHealthz(ctx.baseUrl);
  const signIns = signInAccount ? probeSignIn(ctx.baseUrl, signInAccount) : null;
  const started = hr();
  const response = await request(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/access-codes/bulk',
    headers: { authorization: ctx.auth, accept: 'text/csv', 'content-type': 'application/json' },
    // Everyone without email (a filter is required: the API has no "everyone").
    body: '{"filter":{"hasEmail":false}}',
    onData: (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines += 1;
      if (head.length < 512 * 1024) head += chunk.toString('utf8');
    },
  });
  const ms = msSince(started);
  const healthz = await health.stop();
  const signInDuringIssue = signIns ? await signIns.stop() : null;
  if (response.status !== 201 && response.status !== 200) throw new Error(`bulk issue failed: ${response.status}`);
  const codes = newlines - 1;
  const lines = head.slice(0, head.lastIndexOf('\n') + 1);
  const rows = parse(lines, { columns: true, skip_empty_lines: true });
  const sample = rows.slice(0, sampleSize).map((row) => ({ username: row.username || null, code: row.code }));
  return {
    codesPerSecond: round(codes / (ms / 1000), 0),
    codes,
    seconds: round(ms / 1000),
    // The server issues the whole batch in one transaction, then streams it.
    issueSeconds: round((response.firstByteMs ?? ms) / 1000),
    streamSeconds: round((ms - (response.firstByteMs ?? ms)) / 1000),
    // /healthz answered meanwhile, and sign-ins (W2b): the batch is written a chunk per transaction.
    healthzDuringIssue: healthz,
    signInDuringIssue,
    sample,
  };
}

/** Codes for W3/W4 when W2 did not run: people without email, one code each. */
export async function issueSampleCodes(ctx, count) {
  const list = await requestJson(ctx.baseUrl, {
    path: `/api/v1/people?hasEmail=false&status=unclaimed&limit=${Math.min(count, 200)}`,
    headers: { authorization: ctx.auth },
  });
  if (list.status !== 200) throw new Error(`listing people failed: ${list.status}`);
  const sample = [];
  for (const person of list.json.items) {
    const issued = await requestJson(ctx.baseUrl, {
      method: 'POST',
      path: `/api/v1/people/${person.id}/access-code`,
      headers: { authorization: ctx.auth },
    });
    if (issued.status !== 201) throw new Error(`issuing a code failed: ${issued.status}`);
    sample.push({ username: person.username, code: issued.json.code });
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------

const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** W3: code checks (half valid, half unknown codes) against /healthz, both at 32 connections. */
export async function runCodeCheck(ctx, { sample, connections }) {
  const random = createRandom(7);
  const invalid = Array.from({ length: 500 }, () =>
    Array.from({ length: 16 }, () => ALPHABET[random.int(ALPHABET.length)])
      .join('')
      .replace(/(.{4})(?!$)/g, '$1-'),
  );
  const valid = sample.slice(0, 500).map((s) => s.code);
  const bodies = [];
  for (let i = 0; i < Math.max(valid.length, invalid.length); i++) {
    if (valid.length) bodies.push(valid[i % valid.length]);
    bodies.push(invalid[i % invalid.length]);
  }
  const health = await load({ url: `${ctx.baseUrl}/healthz`, connections, duration: ctx.seconds });
  const check = await load({
    url: ctx.baseUrl,
    connections,
    duration: ctx.seconds,
    requests: bodies.map((code) => ({
      method: 'POST',
      path: '/api/v1/access-code/check',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })),
  });
  const unexpected = Object.entries(check.statusCounts).filter(([status]) => status !== '200' && status !== '400');
  return {
    ratio: round(check.requestsPerSecond / health.requestsPerSecond, 3),
    checksPerSecond: check.requestsPerSecond,
    healthzPerSecond: health.requestsPerSecond,
    validShare: valid.length ? 0.5 : 0,
    check,
    health,
    unexpectedStatuses: Object.fromEntries(unexpected),
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * The raw Argon2id verify rate of this machine: `concurrency` verifies in flight for `seconds`;
 * with the CPU time each verify took (this process does nothing else meanwhile), in ms.
 */
async function rawArgon2Rate(hash, password, { seconds, concurrency }) {
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const started = hr();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        if (!(await argon2Verify(hash, password))) throw new Error('raw verify failed');
        done += 1;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: done / (msSince(started) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / done };
}

/**
 * W4: sign-in with username and password under load, compared with the raw Argon2id rate of the
 * same machine; /healthz is probed sequentially meanwhile.
 */
export async function runSignIn(ctx, { sample, accounts, connections }) {
  const { hashPassword } = await import(path.join(ROOT, 'dist', 'src', 'sign-in', 'password.js'));
  const users = [];
  for (const [i, entry] of sample.slice(0, accounts).entries()) {
    const username = entry.username ?? `bench.user.${i}`;
    const password = `violet harbour lamp ${i} q`;
    const redeemed = await requestJson(ctx.baseUrl, {
      method: 'POST',
      path: '/api/v1/access-code/redeem',
      json: { code: entry.code, username, password },
    });
    if (redeemed.status !== 200) throw new Error(`redeem failed: ${redeemed.status} ${redeemed.text.slice(0, 300)}`);
    users.push({ username, password });
  }
  if (users.length === 0) throw new Error('no accounts to sign in with');

  // The same parameters as the server: a hash made by Keyslip's own hashPassword, verified with
  // @node-rs/argon2 (which reads them from the hash), as many at a time as the libuv pool has
  // threads (4) and as there are CPUs; measured before and after the sign-in run. The highest of
  // these is the ceiling compared against (other work on a shared machine only ever lowers a
  // measurement, and on few CPUs 4 at once is slower than one per CPU).
  const threadpool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const concurrencies = [...new Set([threadpool, os.availableParallelism()])];
  const rawHash = await hashPassword('raw argon2id rate probe 1');
  const rawCpuMs = [];
  const rawRates = async () => {
    const rates = {};
    for (const concurrency of concurrencies) {
      const raw = await rawArgon2Rate(rawHash, 'raw argon2id rate probe 1', { seconds: ctx.seconds, concurrency });
      rates[concurrency] = round(raw.perSecond, 1);
      rawCpuMs.push(raw.cpuMs);
    }
    return rates;
  };
  const rawBefore = await rawRates();
  const parameters = /\$argon2id\$v=\d+\$([^$]+)\$/.exec(rawHash)?.[1] ?? null;

  // CPU time over the sign-in run alone, per sign-in: the server's (all threads, and its main
  // thread: HTTP, the session and audit rows) beside the Argon2id a sign-in costs, and this
  // process's (autocannon and the /healthz probe), which shares the machine with the server.
  const serverBefore = ctx.serverPid ? readCpu(ctx.serverPid) : null;
  const benchBefore = process.cpuUsage();
  const health = probeHealthz(ctx.baseUrl);
  const signIn = await load({
    url: ctx.baseUrl,
    connections,
    duration: ctx.seconds,
    requests: users.map((user) => ({
      method: 'POST',
      path: '/api/v1/sessions',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password }),
    })),
  });
  const healthz = await health.stop();
  const benchCpu = process.cpuUsage(benchBefore);
  const serverAfter = ctx.serverPid ? readCpu(ctx.serverPid) : null;
  const rawAfter = await rawRates();
  const raw = Math.max(...Object.values(rawBefore), ...Object.values(rawAfter));
  const successes = signIn.statusCounts['201'] ?? 0;
  const signInsPerSecond = round(successes / signIn.durationSeconds, 1);
  const perSignIn = (seconds) => (successes ? round((seconds * 1000) / successes, 2) : null);
  const cpuMsPerSignIn = {
    server: serverBefore && serverAfter ? perSignIn(serverAfter.process - serverBefore.process) : null,
    serverMainThread: serverBefore && serverAfter ? perSignIn(serverAfter.mainThread - serverBefore.mainThread) : null,
    bench: perSignIn((benchCpu.user + benchCpu.system) / 1e6),
  };
  // The ratio by CPU time: a raw verify's over a sign-in's (server and client). On a machine that
  // does nothing else, where every CPU goes to the two, the ratio comes to this; other work on a
  // shared machine moves the ratio from run to run far more than it moves this.
  const rawCpuMsPerVerify = round(rawCpuMs.sort((a, b) => a - b)[Math.floor(rawCpuMs.length / 2)], 2);
  const cpuRatio =
    cpuMsPerSignIn.server === null || cpuMsPerSignIn.bench === null
      ? null
      : round(rawCpuMsPerVerify / (cpuMsPerSignIn.server + cpuMsPerSignIn.bench), 3);
  return {
    ratio: round(signInsPerSecond / raw, 3),
    signInsPerSecond,
    rawVerifiesPerSecond: round(raw, 1),
    // Verifies per second by concurrency, before and after the sign-in run.
    rawVerifiesPerSecondBefore: rawBefore,
    rawVerifiesPerSecondAfter: rawAfter,
    // The CPU a sign-in cost during the run (ms; with its share of the /healthz probes).
    cpuMsPerSignIn,
    rawCpuMsPerVerify,
    cpuRatio,
    argon2Parameters: parameters,
    threadpool,
    accounts: users.length,
    healthz,
    signIn,
  };
}

// ---------------------------------------------------------------------------------------------

/** The flood's address and the real person's: both loopback, so both reach a 127.0.0.1 server. */
const FLOOD_ADDRESS = '127.0.0.3';
const REAL_ADDRESS = '127.0.0.2';

/**
 * W8: a real sign-in from one address while `flood` bad sign-ins arrive at once from another
 * (issue 9: the Argon2 queue is bounded, and so are the sign-ins one address may have in
 * progress; beyond them the server answers 503 at once instead of queueing). Against a server
 * with the default limits. Each round fires the flood, then (5 ms later) one real sign-in, and
 * times it; the flood's answers are tallied by status.
 */
export async function runSignInFlood(ctx, { sample, flood, rounds }) {
  const entry = sample[sample.length - 1];
  if (!entry) throw new Error('no code to claim an account with');
  const username = entry.username ?? 'bench.flood.target';
  const password = 'amber lighthouse tide seven q';
  const json = { 'content-type': 'application/json' };
  const redeemed = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/access-code/redeem',
    json: { code: entry.code, username, password },
    localAddress: REAL_ADDRESS,
  });
  if (redeemed.status !== 200) throw new Error(`redeem failed: ${redeemed.status} ${redeemed.text.slice(0, 300)}`);
  const realSignIn = () =>
    request(ctx.baseUrl, {
      method: 'POST',
      path: '/api/v1/sessions',
      headers: json,
      body: JSON.stringify({ username, password }),
      localAddress: REAL_ADDRESS,
    });

  const quiet = [];
  for (let i = 0; i < 3; i++) quiet.push((await realSignIn()).ms);
  // Its own agent, without a socket cap: the flood arrives at once, not 64 at a time.
  const floodAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const latencies = [];
  const realStatuses = {};
  const floodStatuses = {};
  for (let round_ = 0; round_ < rounds; round_++) {
    const floodDone = Promise.all(
      Array.from({ length: flood }, (_, i) =>
        request(ctx.baseUrl, {
          method: 'POST',
          path: '/api/v1/sessions',
          headers: json,
          body: JSON.stringify({ username: `nobody.${round_}.${i}`, password: 'not the password at all' }),
          localAddress: FLOOD_ADDRESS,
          agent: floodAgent,
        }).catch(() => ({ status: 0 })),
      ),
    );
    await sleep(5);
    const real = await realSignIn();
    latencies.push(real.ms);
    realStatuses[real.status] = (realStatuses[real.status] ?? 0) + 1;
    for (const answer of await floodDone) floodStatuses[answer.status] = (floodStatuses[answer.status] ?? 0) + 1;
    await sleep(200);
  }
  // The floor: the same real sign-in behind 300 requests that cost nothing (GET /healthz) from the
  // flood's address. What W8 adds above this is what the sign-in flood itself costs.
  const floor = [];
  for (let round_ = 0; round_ < rounds; round_++) {
    const floodDone = Promise.all(
      Array.from({ length: flood }, () =>
        request(ctx.baseUrl, { path: '/healthz', localAddress: FLOOD_ADDRESS, agent: floodAgent }).catch(() => ({
          status: 0,
        })),
      ),
    );
    await sleep(5);
    floor.push((await realSignIn()).ms);
    await floodDone;
    await sleep(200);
  }
  floodAgent.destroy();
  return {
    behindHealthzFlood: summarise(floor),
    maxMs: round(Math.max(...latencies)),
    realSignIn: summarise(latencies),
    realStatuses,
    quiet: summarise(quiet),
    flood,
    rounds,
    floodStatuses,
  };
}

export { sleep, hr, msSince };

// ---------------------------------------------------------------------------------------------

/**
 * W10's areas (SPEC §9): `stores` areas of about N / stores members each (everyone in one, by id
 * order, and one person in ten in a second) and `regions` large ones (a tenth of everyone each),
 * written straight into the database through Keyslip's own connection code (the import of areas
 * is the CSV import's, measured by W5). Resolves with the areas' ids, store areas first.
 */
export async function seedAreas(env, { stores, regions }) {
  const dist = (file) => import(path.join(ROOT, 'dist', 'src', file));
  const [{ loadConfig }, { openDatabase }, { newId }, { sql }] = await Promise.all([
    dist('config.js'),
    dist('db/database.js'),
    dist('lib/id.js'),
    import('kysely'),
  ]);
  const handle = openDatabase(loadConfig(env, ROOT).databaseUrl, { poolSize: 1 });
  const db = handle.db;
  const now = Date.now();
  try {
    const rows = [];
    for (let i = 0; i < stores + regions; i++) {
      const name = i < stores ? `Store ${String(i + 1).padStart(4, '0')}` : `Region ${i - stores + 1}`;
      rows.push({ id: newId(now), name, name_key: name.toLowerCase(), created_at: now, updated_at: now });
    }
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('areas')
        .values(rows.slice(i, i + 500))
        .execute();
    const storeIds = rows.slice(0, stores).map((r) => r.id);
    const regionIds = rows.slice(stores).map((r) => r.id);
    // One statement per kind of membership, the person's place in id order deciding the area.
    const ranked = sql`(select id, row_number() over (order by id) as n from people) as p`;
    const storeList = sql`(select id, row_number() over (order by id) - 1 as k from areas
      where name like 'Store %') as a`;
    const regionList = sql`(select id, row_number() over (order by id) - 1 as k from areas
      where name like 'Region %') as a`;
    await sql`insert into area_members (area_id, person_id, added_at)
      select a.id, p.id, cast(${now} as bigint) from ${ranked} join ${storeList} on a.k = p.n % ${stores}`.execute(db);
    await sql`insert into area_members (area_id, person_id, added_at)
      select a.id, p.id, cast(${now} as bigint) from ${ranked} join ${storeList} on a.k = (p.n * 7 + 1) % ${stores}
      where p.n % 10 = 3`.execute(db);
    if (regions > 0) {
      await sql`insert into area_members (area_id, person_id, added_at)
        select a.id, p.id, cast(${now} as bigint) from ${ranked} join ${regionList} on a.k = p.n % 10
        where a.k < ${regions}`.execute(db);
    }
    // A manager for each area, as a deployment would have them.
    await sql`insert into area_managers (area_id, person_id, added_at)
      select area_id, min(person_id), cast(${now} as bigint) from area_members group by area_id`.execute(db);
    // As an import of areas does (refreshPeopleStatistics): statistics, and the rows marked visible
    // to all so the membership key is read without the table (autovacuum may be off, as here).
    if (handle.dialect === 'postgres') await sql`vacuum (analyze) area_members`.execute(db);
    const members = await db
      .selectFrom('area_members')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return { storeIds, regionIds, memberships: Number(members.n) };
  } finally {
    await handle.close();
  }
}

const areaPath = (areaId, extra = '') => `/api/v1/people?area=${areaId}&limit=50${extra}`;

/**
 * W10: the directory filtered by area, first page of 50 in name order: `sample` store areas (a
 * few hundred members each) and the large regions, sequentially (one warm-up pass), also with
 * `count=true` and with a name fragment; then autocannon at 8 connections over the store areas.
 */
export async function runAreaSearch(ctx, { storeIds, regionIds, rounds, sample }) {
  const headers = { authorization: ctx.auth };
  // Sockets of its own: the shared ones sat idle through the seeding and the server closed them.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const step = Math.max(1, Math.floor(storeIds.length / sample));
  const stores = storeIds.filter((_, i) => i % step === 0).slice(0, sample);
  const timed = async (paths) => {
    const ms = [];
    let items = 0;
    for (const p of paths) {
      const response = await request(ctx.baseUrl, { path: p, headers, agent });
      if (response.status !== 200)
        throw new Error(`area search failed: ${response.status} ${response.text.slice(0, 300)}`);
      items += JSON.parse(response.text).items.length;
      ms.push(response.ms);
    }
    return { ms, items };
  };
  await timed(stores.map((id) => areaPath(id)));
  await timed(regionIds.map((id) => areaPath(id)));
  const storeMs = [];
  const regionMs = [];
  let storeItems = 0;
  for (let r = 0; r < rounds; r++) {
    const s = await timed(stores.map((id) => areaPath(id)));
    storeMs.push(...s.ms);
    storeItems = s.items;
    regionMs.push(...(await timed(regionIds.map((id) => areaPath(id)))).ms);
  }
  const counted = await timed(stores.map((id) => areaPath(id, '&count=true')));
  const regionsCounted = await timed(regionIds.map((id) => areaPath(id, '&count=true')));
  const withText = await timed(stores.map((id) => areaPath(id, '&q=son')));
  const underLoad = await load({
    url: ctx.baseUrl,
    connections: 8,
    duration: ctx.seconds,
    headers,
    requests: stores.map((id) => ({ method: 'GET', path: areaPath(id) })),
  });
  agent.destroy();
  return {
    storeAreasQueried: stores.length,
    averageItemsPerStorePage: round(storeItems / stores.length, 1),
    stores: summarise(storeMs),
    regions: summarise(regionMs),
    storesWithCount: summarise(counted.ms),
    regionsWithCount: summarise(regionsCounted.ms),
    storesWithText: summarise(withText.ms),
    autocannon: underLoad,
  };
}
