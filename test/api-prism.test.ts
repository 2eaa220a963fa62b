// The API's real traffic, replayed through Stoplight Prism as a validating proxy (`prism proxy
// --errors`) in front of a real Keyslip process: Prism checks every request and every answer
// against /api/openapi.json, and any difference (an undocumented status, header, body or field,
// or a request the document would refuse) shows in its `sl-violations` header. None may appear.
// The typed integration script (test/api-client/integration.ts) is type-checked with tsc and runs
// through the same proxy.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { createApiToken } from '../src/sessions/api-tokens.js';
import { runIntegration } from './api-client/integration.js';
import { createTestContext, type TestContext } from './helpers/deps.js';
import { startKeyslip, type RunningKeyslip } from './helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const METRICS_TOKEN = 'metrics-token-metrics-token-prism-0001';
const PASSWORD = 'correct horse battery staple 42';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Exchange {
  step: string;
  status: number;
  /** Prism's verdict on a request it forwarded; null when it found nothing. */
  violations: string | null;
  /** Prism answered itself (a problem+json 422/415/401): the document refuses the request. */
  refusedByPrism: boolean;
}

function exchangeOf(step: string, response: Response): Exchange {
  const type = response.headers.get('content-type') ?? '';
  return {
    step,
    status: response.status,
    violations: response.headers.get('sl-violations'),
    refusedByPrism: type.startsWith('application/problem+json'),
  };
}

describe('the API through a Prism validating proxy', () => {
  let dir: string;
  let context: TestContext;
  let keyslip: RunningKeyslip;
  let prism: ChildProcess;
  let prismOutput = '';
  let base: string;
  let token: string;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-prism-'));
    const dbFile = path.join(dir, 'keyslip.db');
    context = await createTestContext('sqlite', { sqliteFile: dbFile });
    context.clock.set(Date.now());
    token = (await createApiToken(context.deps.db, { name: 'prism', actor: CLI_ACTOR, now: Date.now() })).token;
    keyslip = await startKeyslip({
      KEYSLIP_DATABASE_URL: `sqlite:${dbFile}`,
      KEYSLIP_METRICS_TOKEN: METRICS_TOKEN,
    });
    const doc = await (await fetch(`${keyslip.url}/api/openapi.json`)).json();
    const docFile = path.join(dir, 'openapi.json');
    fs.writeFileSync(docFile, JSON.stringify(doc));
    const port = await freePort();
    const cli = path.join(ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
    prism = spawn(
      process.execPath,
      [cli, 'proxy', docFile, keyslip.url, '--errors', '-p', String(port), '-h', '127.0.0.1'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prism.stdout!.on('data', (chunk: Buffer) => (prismOutput += chunk.toString('utf8')));
    prism.stderr!.on('data', (chunk: Buffer) => (prismOutput += chunk.toString('utf8')));
    const deadline = Date.now() + 90_000;
    while (!/Prism is listening/.test(prismOutput)) {
      if (Date.now() > deadline || prism.exitCode !== null) throw new Error(`Prism did not start:\n${prismOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    base = `http://127.0.0.1:${port}`;
  }, 180_000);

  afterAll(async () => {
    if (prism && prism.exitCode === null) {
      prism.kill('SIGTERM');
      await new Promise((resolve) => prism.once('exit', resolve));
    }
    await keyslip?.stop();
    await context?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One request through the proxy, noted with Prism's verdict. */
  async function send(
    step: string,
    method: string,
    url: string,
    options: { json?: unknown; body?: string; type?: string; headers?: Record<string, string>; auth?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...(options.auth === false ? {} : { authorization: `Bearer ${token}` }) };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = options.type ?? 'text/plain';
      body = options.body;
    }
    Object.assign(headers, options.headers);
    const response = await fetch(`${base}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    exchanges.push(exchangeOf(step, response));
    return response;
  }

  it('the typed integration script type-checks with tsc', () => {
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--noUncheckedIndexedAccess',
      '--target',
      'ES2022',
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--skipLibCheck',
      '--types',
      'node',
      path.join(ROOT, 'test/api-client/integration.ts'),
    ];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });

  it('runs the integration script through the proxy: import, find, batch, If-Match, reactivate', async () => {
    // Every call the script makes is noted with Prism's verdict, as send() notes the others.
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      const step = `integration ${init?.method ?? 'GET'} ${String(input)}`;
      exchanges.push(exchangeOf(step, response));
      return response;
    };
    let result: Awaited<ReturnType<typeof runIntegration>>;
    try {
      result = await runIntegration(base, token, 'INT');
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(exchanges.filter((e) => e.violations !== null || e.refusedByPrism)).toEqual([]);
    expect(result.imported).toEqual({ created: 3, updated: 0, unchanged: 0, errors: [] });
    expect(result.reimported).toEqual({ created: 0, updated: 0, unchanged: 3, errors: [] });
    expect(result.found.map((p) => p.name)).toEqual(['Jon Import']);
    expect(result.batch).toEqual({ status: 201, count: 3, replayStatus: 200, replayed: 'true', sameCodes: true });
    expect(result.edit).toEqual({
      status: 200,
      title: 'Lead driver',
      staleStatus: 412,
      staleCode: 'precondition_failed',
    });
    expect(result.reactivated).toMatchObject({ name: 'Jon Import', status: 'unclaimed', employeeId: 'INT-2' });
  });

  it('replays the rest of the API with every status and header as documented', async () => {
    const json = async (response: Response): Promise<Record<string, unknown>> =>
      (await response.json()) as Record<string, unknown>;
    // Operations and public calls.
    await send('health', 'GET', '/healthz', { auth: false });
    await send('metrics', 'GET', '/metrics', { auth: false, headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    await send('check unusable', 'POST', '/api/v1/access-code/check', { auth: false, json: { code: 'BBBB-BBBB' } });
    await send('sign-in fails', 'POST', '/api/v1/sessions', {
      auth: false,
      json: { username: 'nobody', password: 'x' },
    });
    await send('refused: no credentials', 'GET', '/api/v1/people', { auth: false });

    // People: create (with and without a key), conflicts, bad input, lookups, paging.
    const created = await send('create', 'POST', '/api/v1/people', {
      json: { name: 'Pia Prism', username: 'pia', department: 'Prism' },
      headers: { 'idempotency-key': 'create-pia' },
    });
    const pia = await json(created);
    await send('create replayed', 'POST', '/api/v1/people', {
      json: { name: 'Pia Prism', username: 'pia', department: 'Prism' },
      headers: { 'idempotency-key': 'create-pia' },
    });
    await send('key reused', 'POST', '/api/v1/people', {
      json: { name: 'Other', username: 'other' },
      headers: { 'idempotency-key': 'create-pia' },
    });
    await send('duplicate', 'POST', '/api/v1/people', { json: { name: 'Pia Again', username: 'pia' } });
    await send('no identity', 'POST', '/api/v1/people', { json: { name: 'Nobody' } });
    // Requests the document refuses: Prism answers them itself (the server would say 400/415).
    await send('refused: xml', 'POST', '/api/v1/people', { body: '<person/>', type: 'application/xml' });
    await send('refused: unknown field', 'POST', '/api/v1/people', { json: { name: 'X', username: 'xx1', boss: 1 } });
    for (let i = 0; i < 3; i++) {
      await send('create more', 'POST', '/api/v1/people', { json: { name: `Prism ${i}`, email: `p${i}@example.com` } });
    }
    await send('by username', 'GET', '/api/v1/people?username=PIA');
    await send('by email', 'GET', '/api/v1/people?email=p1@example.com');
    await send('updated since', 'GET', `/api/v1/people?updatedSince=${encodeURIComponent(new Date(0).toISOString())}`);
    const page = await json(await send('page', 'GET', '/api/v1/people?limit=2&count=true&q=prism'));
    expect(typeof page.nextCursor).toBe('string');
    await send('next page', 'GET', `/api/v1/people?limit=2&cursor=${page.nextCursor as string}`);
    await send('refused: bad query', 'GET', '/api/v1/people?limit=1000');
    const read = await send('read', 'GET', `/api/v1/people/${pia.id as string}`);
    const etag = read.headers.get('etag')!;
    await send('unknown', 'GET', '/api/v1/people/00000000-nobody');
    await send('edit', 'PATCH', `/api/v1/people/${pia.id as string}`, {
      json: { title: 'Tester' },
      headers: { 'if-match': etag },
    });
    await send('stale edit', 'PATCH', `/api/v1/people/${pia.id as string}`, {
      json: { title: 'Late' },
      headers: { 'if-match': etag },
    });
    await send('bad csv', 'POST', '/api/v1/people/import', { body: 'name,"broken\n', type: 'text/csv' });

    // Codes: single issue (no body, a body, a key and its replay), state, deactivate, bulk.
    const pid = pia.id as string;
    await send('issue', 'POST', `/api/v1/people/${pid}/access-code`);
    await send('issue 24h', 'POST', `/api/v1/people/${pid}/access-code`, { json: { lifetimeHours: 24 } });
    const issued = await json(
      await send('issue with key', 'POST', `/api/v1/people/${pid}/access-code`, {
        headers: { 'idempotency-key': 'pia-1' },
      }),
    );
    const again = await json(
      await send('issue replay', 'POST', `/api/v1/people/${pid}/access-code`, {
        headers: { 'idempotency-key': 'pia-1' },
      }),
    );
    expect(again.code).toBe(issued.code);
    await send('code state', 'GET', `/api/v1/people/${pid}/access-code`);
    await send('check', 'POST', '/api/v1/access-code/check', { auth: false, json: { code: issued.code } });
    await send('username free', 'POST', '/api/v1/access-code/username-available', {
      auth: false,
      json: { code: issued.code, username: 'pia' },
    });
    const redeemed = await send('redeem', 'POST', '/api/v1/access-code/redeem', {
      auth: false,
      json: { code: issued.code, username: 'pia', password: PASSWORD },
    });
    const cookie = (redeemed.headers.get('set-cookie') ?? '').split(';')[0]!;
    await send('me (session)', 'GET', '/api/v1/me', { auth: false, headers: { cookie } });
    await send('me (token)', 'GET', '/api/v1/me');
    await send('sign out', 'DELETE', '/api/v1/sessions/current', { auth: false, headers: { cookie } });
    const signedIn = await send('sign in', 'POST', '/api/v1/sessions', {
      auth: false,
      json: { username: 'pia', password: PASSWORD },
    });
    const cookie2 = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    await send('sign out everywhere', 'DELETE', '/api/v1/sessions', { auth: false, headers: { cookie: cookie2 } });
    await send('no code to deactivate', 'DELETE', `/api/v1/people/${pid}/access-code`);
    await send('issue again', 'POST', `/api/v1/people/${pid}/access-code`);
    await send('deactivate code', 'DELETE', `/api/v1/people/${pid}/access-code`);
    await send('refused: bulk without filter', 'POST', '/api/v1/access-codes/bulk', { json: {} });
    await send('bulk with an empty filter', 'POST', '/api/v1/access-codes/bulk', { json: { filter: { q: ' ' } } });
    const bulk = await send('bulk csv', 'POST', '/api/v1/access-codes/bulk', {
      json: { filter: { department: 'Prism' } },
      headers: { accept: 'text/csv' },
    });
    const batchId = bulk.headers.get('keyslip-batch-id')!;
    await bulk.text();
    await send('bulk pdf refused format', 'POST', '/api/v1/access-codes/bulk', {
      json: { filter: { department: 'Prism' } },
      headers: { accept: 'text/html' },
    });
    await send('batch', 'GET', `/api/v1/batches/${batchId}`);
    await (
      await send('batch codes', 'GET', `/api/v1/batches/${batchId}/codes`, { headers: { accept: 'text/csv' } })
    ).text();
    await send('bulk deactivate', 'POST', '/api/v1/access-codes/bulk-deactivate', { json: { filter: { q: 'prism' } } });

    // Leavers and the rest.
    await send('deactivate', 'POST', `/api/v1/people/${pid}/deactivate`);
    await send('reactivate', 'POST', `/api/v1/people/${pid}/reactivate`);
    await send('end sessions', 'DELETE', `/api/v1/people/${pid}/sessions`);
    await send('refused: erase unconfirmed', 'DELETE', `/api/v1/people/${pid}`);
    await send('erase', 'DELETE', `/api/v1/people/${pid}?confirm=erase`);
    await send('edit erased', 'PATCH', `/api/v1/people/${pid}`, { json: { username: 'pia2' } });
    await send('audit', 'GET', `/api/v1/audit?personId=${pid}&limit=5`);
    await send('audit by action', 'GET', '/api/v1/audit?action=person.erased');
    await send('tokens', 'GET', '/api/v1/tokens');
    await send('apps', 'GET', '/api/v1/oidc-clients');

    const statuses = new Set(exchanges.map((e) => e.status));
    for (const status of [200, 201, 204, 400, 401, 403, 404, 406, 409, 412, 422]) {
      expect(statuses.has(status), `status ${status} seen in ${JSON.stringify(exchanges)}`).toBe(true);
    }
    expect(exchanges.filter((e) => e.violations !== null)).toEqual([]);
    // Prism refused exactly the requests that break the document, and forwarded every other one.
    const refused = exchanges.filter((e) => e.refusedByPrism).map((e) => e.step);
    expect(refused).toEqual(exchanges.filter((e) => e.step.startsWith('refused:')).map((e) => e.step));

    // What Prism cannot forward, straight to the server: the statuses the document lists for them.
    const direct = (body: string, type: string) =>
      fetch(`${keyslip.url}/api/v1/people`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
    expect((await direct('<person/>', 'application/xml')).status).toBe(415);
    const padded = `{"name":"Big","username":"big"${' '.repeat(1_100_000)}}`;
    expect((await direct(padded, 'application/json')).status).toBe(413);
  }, 180_000);
});
