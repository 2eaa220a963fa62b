// Real Keyslip server processes for flow tests: `node dist/src/main.js`, built first when the
// build is missing or older than the sources, listening on a free port of its own choosing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from './deps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/src/main.js');
const LOCK = path.join(os.tmpdir(), 'keyslip-test-build.lock');

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isBuildFresh(): boolean {
  return fs.existsSync(MAIN) && fs.statSync(MAIN).mtimeMs >= newestSourceTime(path.join(ROOT, 'src'));
}

/** Builds dist/ when it is missing or stale; one test file at a time builds, the others wait. */
export async function ensureBuilt(): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (!isBuildFresh()) {
    try {
      fs.mkdirSync(LOCK);
    } catch {
      // Another test file is building (or one died building: a lock older than 3 minutes is stale).
      if (Date.now() - fs.statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 180_000)
        fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build dist/');
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (isBuildFresh()) return;
      const build = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        { cwd: ROOT, encoding: 'utf8' },
      );
      // tsc writes the output even when it reports type errors; a missing main.js is what fails.
      if (!fs.existsSync(MAIN)) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
      return;
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export interface RunningKeyslip {
  /** http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string | null>;
  /** SIGTERM (graceful), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` with the test secret, a data folder of its own and port 0, and
 * resolves once it listens. Extra `env` keys override (KEYSLIP_DATABASE_URL above all).
 */
export async function startKeyslip(env: Record<string, string>): Promise<RunningKeyslip> {
  await ensureBuilt();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-instance-'));
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_PORT: '0',
      KEYSLIP_HOST: '127.0.0.1',
      KEYSLIP_LOG_LEVEL: 'info',
      KEYSLIP_RATE_CODE_FAILURES: '20', // the limit the tests count to (the default is 200)
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  exited.then(() => fs.rmSync(dataDir, { recursive: true, force: true })).catch(() => undefined);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Keyslip did not start within 30 s:\n${output}`));
    }, 30_000);
    const look = (): void => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Keyslip exited (${code}) before listening:\n${output}`));
    });
  });

  return {
    url,
    child,
    output: () => output,
    exited,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts several instances at once; if any fails to start, stops the others and throws. */
export async function startKeyslips(count: number, env: Record<string, string>): Promise<RunningKeyslip[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startKeyslip(env)));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await Promise.all(running.map((instance) => instance.stop()));
    throw failure.reason;
  }
  return running;
}
