// Keeps the benchmark harness (`npm run bench`) alive: runs it at the tiny size as a child process
// and checks that it completes and writes a report with every workload. No timing assertions:
// CI machines vary, and the figures belong in bench/results, not in a pass/fail.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, POSTGRES_URL } from './helpers/deps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKLOADS = ['W1', 'W2', 'W2b', 'W3', 'W4', 'W5', 'W5b', 'W6', 'W7', 'W8', 'W9', 'W10', 'W11', 'W12', 'W13'];
const PEOPLE = 2000;

interface Workload {
  id: string;
  measured: number | null;
  unit: string;
  target: string;
  met: boolean | null;
  details: Record<string, unknown>;
}

interface Report {
  people: number;
  timestamp: string;
  machine: { cpuModel: string; cpuCount: number; totalMemoryBytes: number; node: string };
  runs: { dialect: string; database: string; workloads: Record<string, Workload> }[];
}

function runBench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'run.js'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('npm run bench at the tiny size', () => {
  let dir: string;
  let report: Report;
  let exit: { code: number | null; stderr: string };

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'main.js')))
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-bench-test-'));
    const out = path.join(dir, 'report.json');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.KEYSLIP_BENCH_POSTGRES_URL;
    if (DIALECTS.includes('postgres')) env.KEYSLIP_BENCH_POSTGRES_URL = POSTGRES_URL;
    exit = await runBench(
      ['--people', String(PEOPLE), '--seconds', '1', '--dialects', DIALECTS.join(','), '--out', out],
      env,
    );
    if (exit.code === 0) report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
  }, 300_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('completes and writes its report to --out', () => {
    expect(exit.code, exit.stderr).toBe(0);
    expect(report.people).toBe(PEOPLE);
    expect(Number.isNaN(Date.parse(report.timestamp))).toBe(false);
    expect(report.machine.cpuCount).toBeGreaterThan(0);
    expect(report.machine.cpuModel).toEqual(expect.any(String));
    expect(report.machine.totalMemoryBytes).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
  });

  it('reports every workload on every database asked for', () => {
    expect(report.runs.map((run) => run.dialect)).toEqual(DIALECTS);
    for (const run of report.runs) {
      expect(Object.keys(run.workloads).sort()).toEqual([...WORKLOADS].sort());
      for (const id of WORKLOADS) {
        const workload = run.workloads[id]!;
        expect(workload.id).toBe(id);
        expect(workload.target).toEqual(expect.any(String));
        expect([true, false, null]).toContain(workload.met);
        // Peak memory comes from /proc, which only Linux has.
        if (id === 'W6' && process.platform !== 'linux') continue;
        expect(Number.isFinite(workload.measured), `${run.dialect} ${id}`).toBe(true);
      }
    }
  });

  it(
    'did the work it measured: every person imported, a code ' + 'for everyone without email, sign-ins that succeeded',
    () => {
      for (const run of report.runs) {
        const { W2, W4, W5, W5b } = run.workloads as Record<string, Workload>;
        expect(W5!.details.created).toBe(PEOPLE);
        // The same people again, every tenth with a new title: updated, the rest unchanged.
        expect(W5b!.details).toMatchObject({ created: 0, updated: PEOPLE / 10, unchanged: PEOPLE * 0.9, errors: 0 });
        // About 70% of the people have no email; the first admin has none either.
        expect(W2!.details.codes).toBeGreaterThan(PEOPLE * 0.6);
        expect(W2!.details.codes).toBeLessThan(PEOPLE * 0.8);
        // W2b: a person signed in while the batch was being issued, every time.
        const { W2b } = run.workloads as Record<string, Workload>;
        expect(W2b!.details.count).toBeGreaterThan(0);
        expect(W2b!.details.failures).toBe(0);
        const signIn = W4!.details.signIn as { statusCounts: Record<string, number> };
        expect(signIn.statusCounts['201']).toBeGreaterThan(0);
        expect(Object.keys(signIn.statusCounts)).toEqual(['201']);
        // W8: the real person got in every round; the flood was refused (429, 503) or failed (401),
        // never queued into a 5xx.
        const { W8 } = run.workloads as Record<string, Workload>;
        expect(Object.keys(W8!.details.realStatuses as Record<string, number>)).toEqual(['201']);
        for (const status of Object.keys(W8!.details.floodStatuses as Record<string, number>))
          expect(['401', '429', '503']).toContain(status);
        // W11–W13: every prepared code exchanged once, userinfo answered, every sign-in reached the app.
        const { W11, W12, W13 } = run.workloads as Record<string, Workload>;
        expect(W11!.details.statusCounts).toEqual({ '200': W11!.details.codes });
        const userinfo = W12!.details.userinfo as { statusCounts: Record<string, number> };
        expect(Object.keys(userinfo.statusCounts)).toEqual(['200']);
        expect(W13!.details.count).toBe(W13!.details.rounds);
      }
    },
  );
});
