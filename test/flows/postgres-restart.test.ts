// Database trouble: Keyslip runs on a throwaway PostgreSQL cluster of this test's own, under a
// steady stream of requests, while the cluster is killed and started again. While it is down
// every answer is a 503 `database_unavailable` (never a 500, never a crash); once it is back the
// pool reconnects by itself, and nothing was half written.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { hashAccessCode, normaliseAccessCode } from '../../src/access-codes/access-code.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { createKeyring } from '../../src/lib/keyring.js';
import { createApiToken } from '../../src/sessions/api-tokens.js';
import { DIALECTS, TEST_SECRET } from '../helpers/deps.js';
import { startKeyslip, type RunningKeyslip } from '../helpers/server.js';

function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin/initdb')))
    .sort((x, y) => Number(y) - Number(x));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

const BIN = findPostgresBin();
// PostgreSQL refuses to run as root: as root, the cluster runs as the postgres user.
const AS_ROOT = process.getuid?.() === 0;
const SKIP_REASON = !DIALECTS.includes('postgres')
  ? 'postgres is not in DIALECTS'
  : BIN === null
    ? 'initdb not found under /usr/lib/postgresql/*/bin'
    : AS_ROOT && spawnSync('id', ['-u', 'postgres']).status !== 0
      ? 'running as root and there is no postgres user to run the cluster as'
      : null;

function pgTool(tool: string, args: string[]): { status: number | null; output: string } {
  const command = path.join(BIN!, tool);
  const result = AS_ROOT
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  phase: 'up' | 'down' | 'back';
  endpoint: string;
  status: number;
  error: string | null;
  body: unknown;
}

describe.skipIf(SKIP_REASON !== null)(
  `Keyslip while its PostgreSQL goes down and comes back${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`,
  () => {
    let dataDir: string;
    let port: number;
    let keyslip: RunningKeyslip;
    let handle: DatabaseHandle;
    let admin: Record<string, string>;
    let checkCode: string;
    const issuePeople: string[] = [];

    const startCluster = (): void => {
      const started = pgTool('pg_ctl', [
        '-D',
        dataDir,
        '-o',
        `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`,
        '-l',
        path.join(dataDir, 'server.log'),
        '-w',
        '-t',
        '30',
        'start',
      ]);
      if (started.status !== 0) throw new Error(`pg_ctl start failed: ${started.output}`);
    };
    const stopCluster = (): void => {
      pgTool('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    };

    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-pg-'));
      if (AS_ROOT) {
        const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
        const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
        fs.chownSync(dataDir, uid, gid);
      }
      const init = pgTool('initdb', [
        '-D',
        dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--locale',
        'C',
        '--no-sync',
      ]);
      if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
      port = await freePort();
      startCluster();
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      keyslip = await startKeyslip({
        KEYSLIP_DATABASE_URL: url,
        KEYSLIP_DB_POOL_SIZE: '6',
        KEYSLIP_RATE_CODE_FAILURES: '1000000',
      });

      handle = openDatabase(url, { poolSize: 2 });
      const { token } = await createApiToken(handle.db, { name: 'restart', actor: CLI_ACTOR, now: Date.now() });
      admin = { authorization: `Bearer ${token}` };
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${keyslip.url}/api/v1/people`, {
          method: 'POST',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `Annika Restart ${i}`, employeeId: `PGR${i}` }),
        });
        expect(response.status).toBe(201);
        created.push(((await response.json()) as { id: string }).id);
      }
      const issued = await fetch(`${keyslip.url}/api/v1/people/${created[0]}/access-code`, {
        method: 'POST',
        headers: admin,
      });
      expect(issued.status).toBe(201);
      checkCode = ((await issued.json()) as { code: string }).code;
      issuePeople.push(...created.slice(1));
    });

    afterAll(async () => {
      await keyslip?.stop();
      await handle?.close().catch(() => undefined);
      if (dataDir) {
        stopCluster();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    /** One request of each kind, all at once, each bounded by a timeout. */
    async function round(phase: Answer['phase'], index: number): Promise<Answer[]> {
      const requests: [string, string, RequestInit][] = [
        ['healthz', '/healthz', {}],
        [
          'check',
          '/api/v1/access-code/check',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ code: checkCode }),
          },
        ],
        [
          'issue',
          `/api/v1/people/${issuePeople[index % issuePeople.length]}/access-code`,
          { method: 'POST', headers: admin },
        ],
        ['search', '/api/v1/people?q=restart&count=true', { headers: admin }],
      ];
      return Promise.all(
        requests.map(async ([endpoint, url, init]): Promise<Answer> => {
          const response = await fetch(`${keyslip.url}${url}`, { ...init, signal: AbortSignal.timeout(20_000) }).catch(
            (error: unknown) => {
              // No answer at all: most likely the process died. Show why.
              throw new Error(
                `${endpoint} got no answer (${(error as Error).message}); ` +
                  `Keyslip's last output:\n${keyslip.output().slice(-3000)}`,
              );
            },
          );
          const body = (await response.json()) as { error?: { code: string } };
          return { phase, endpoint, status: response.status, error: body.error?.code ?? null, body };
        }),
      );
    }

    async function stream(phase: Answer['phase'], until: () => boolean, answers: Answer[]): Promise<void> {
      for (let i = 0; !until() && i < 400; i++) {
        answers.push(...(await round(phase, i)));
        await sleep(20);
      }
    }

    it(
      'answers 503 database_unavailable while the database is ' +
        'down, recovers by itself, and writes nothing by halves',
      async () => {
        const answers: Answer[] = [];
        const issuedCodes: string[] = [];

        // Up: everything works.
        let deadline = Date.now() + 1_000;
        await stream('up', () => Date.now() > deadline, answers);
        expect(answers.filter((a) => a.status >= 300)).toEqual([]);

        // Down: kill the cluster (no clean shutdown) under traffic, and keep asking for 3 seconds.
        const downFrom = answers.length;
        deadline = Date.now() + 3_500;
        const inFlight = stream('down', () => Date.now() > deadline, answers);
        await sleep(300);
        stopCluster();
        await inFlight;
        const down = answers.slice(downFrom);
        const failed = down.filter((a) => a.status >= 300);
        // Requests already in flight when the cluster died may have finished; all the rest are 503s.
        expect(failed.length).toBeGreaterThan(20);
        for (const answer of failed) {
          expect(answer.status, JSON.stringify(answer)).toBe(503);
          if (answer.endpoint === 'healthz')
            expect(answer.body).toEqual({ status: 'unavailable', database: 'unavailable' });
          else expect(answer.error, JSON.stringify(answer)).toBe('database_unavailable');
        }
        // The last second of the outage: nothing but 503s.
        expect(down.slice(-8).map((a) => a.status)).toEqual(Array(8).fill(503));
        expect(keyslip.child.exitCode).toBeNull();

        // Back: start the cluster again; the same process serves again without being restarted.
        startCluster();
        const backFrom = answers.length;
        const recoveredBy = Date.now() + 15_000;
        let healthy = false;
        // Keep streaming until a whole round succeeds (the pool replaces its dead connections).
        for (let i = 0; i < 300 && Date.now() < recoveredBy; i++) {
          const answered = await round('back', i);
          answers.push(...answered);
          if (answered.every((a) => a.status < 300)) {
            healthy = true;
            break;
          }
          await sleep(100);
        }
        expect(healthy).toBe(true);
        const tally = (list: Answer[]): string => {
          const counts = new Map<number, number>();
          for (const answer of list) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
          return [...counts].map(([status, count]) => `${status}×${count}`).join(' ');
        };
        console.info(
          `up: ${tally(answers.slice(0, downFrom))}; down: ${tally(down)}; back: ${tally(answers.slice(backFrom))} ` +
            `(recovered ${Date.now() - (recoveredBy - 15_000)} ms after the restart)`,
        );
        const back = answers.slice(backFrom);
        for (const answer of back.filter((a) => a.status >= 300))
          expect(answer.status, JSON.stringify(answer)).toBe(503);
        expect((await round('back', 0)).map((a) => a.status)).toEqual([200, 200, 201, 200]);

        // Never a 500, in any phase, and the process never went down.
        expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
        expect(keyslip.child.exitCode).toBeNull();
        expect(keyslip.output()).not.toMatch(/"statusCode":500/);

        // No half-written issue: each code row came with its audit entry, in one transaction.
        for (const answer of answers) {
          if (answer.endpoint === 'issue' && answer.status === 201)
            issuedCodes.push((answer.body as { code: string }).code);
        }
        const codes = await handle.db.selectFrom('access_codes').selectAll().execute();
        const issuedEvents = await handle.db
          .selectFrom('audit_events')
          .select('details')
          .where('action', '=', 'access_code.issued')
          .execute();
        expect(issuedEvents.length).toBe(codes.length);
        const eventCodeIds = new Set(issuedEvents.map((e) => (JSON.parse(e.details) as { codeId: string }).codeId));
        expect(codes.every((c) => eventCodeIds.has(c.id))).toBe(true);
        // Every code that was answered with 201 is in the database.
        const keyring = createKeyring([TEST_SECRET]);
        const hashes = new Set(codes.map((c) => c.code_hash));
        for (const code of issuedCodes)
          expect(hashes.has(hashAccessCode(keyring.current, normaliseAccessCode(code)!))).toBe(true);
        // Each person has at most one open code, and the directory's code state agrees with it.
        const people = await handle.db
          .selectFrom('people')
          .leftJoin('person_code_states as s', 's.person_id', 'people.id')
          .select(['people.id', 's.state as code_state'])
          .execute();
        for (const person of people) {
          const open = codes.filter(
            (c) =>
              c.person_id === person.id && c.used_at === null && c.deactivated_at === null && c.replaced_at === null,
          );
          expect(open.length).toBeLessThanOrEqual(1);
          expect(person.code_state === 'active').toBe(open.length === 1);
        }
      },
    );
  },
);
