// The first start of an empty database prints the first admin's access code and the access-code
// page's address to standard error, apart from the JSON log on standard output (which is often
// shipped to a log collector); on every dialect.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshPostgresSchema, TEST_SECRET } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

/** Starts the built server, waits until it listens, stops it; what it wrote to each stream. */
async function firstStart(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-banner-'));
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_PORT: '0',
      KEYSLIP_HOST: '127.0.0.1',
      KEYSLIP_LOG_LEVEL: 'info',
      KEYSLIP_BASE_URL: 'https://keyslip.example.org',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/Server listening/.test(stdout) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  await exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { stdout, stderr };
}

// Building dist/ on a busy machine can take longer than a test's own minute.
beforeAll(ensureBuilt, 240_000);

describe.each(DIALECTS)('the first admin’s banner (%s)', (dialect) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('goes to standard error; standard output holds only the JSON log, without the code', async () => {
    const env: Record<string, string> = {};
    if (dialect === 'postgres') {
      const schema = await freshPostgresSchema();
      drops.push(schema.drop);
      env.KEYSLIP_DATABASE_URL = schema.url;
    }
    const { stdout, stderr } = await firstStart(env);
    expect(stdout, stderr).toMatch(/Server listening/);
    const code = /Access code:\s+([A-Z]{4}(?:-[A-Z]{4}){3})/.exec(stderr)?.[1];
    expect(code, stderr).toBeDefined();
    expect(stderr).toMatch(/Username:\s+admin/);
    expect(stderr).toContain('https://keyslip.example.org/work/accesscode');
    const bare = code!.replace(/-/g, '');
    expect(stdout).not.toContain(code!);
    expect(stdout).not.toContain(bare);
    expect(stdout).not.toMatch(/Access code|\/work\/accesscode/);
    for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) {
      expect(() => JSON.parse(line), line).not.toThrow();
    }
  });
});
