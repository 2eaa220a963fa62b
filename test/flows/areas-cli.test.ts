// Areas from the command line (SPEC §9): `people import` fills areas from the `areas` column and
// `codes issue --area NAME` issues codes to that area's members only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRET } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

describe('keyslip CLI and areas (sqlite)', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-areas-cli-'));
  }, 240_000);
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports areas and issues codes for one area by its name', async () => {
    const env = {
      PATH: process.env.PATH,
      KEYSLIP_DATA_DIR: dir,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_LOG_LEVEL: 'silent',
    };
    const csv = path.join(dir, 'staff.csv');
    fs.writeFileSync(
      csv,
      'name,employeeId,areas\nAnna,E1,Store 12|Depot\nBo,E2,Store 12\nCilla,E3,Depot\nDan,E4,\nEva,E5,Bad|\u0001\n',
    );
    const imported = await runCli(['people', 'import', csv, '--json'], env);
    expect(imported.code, imported.stderr).toBe(1); // one row refused
    const report = JSON.parse(imported.stdout) as { created: number; errors: { line: number; message: string }[] };
    expect(report.created).toBe(4);
    expect(report.errors).toEqual([{ line: 6, message: expect.stringContaining('area name') }]);

    const issued = await runCli(['codes', 'issue', '--area', 'store 12', '--quiet'], env);
    expect(issued.code, issued.stderr).toBe(0);
    const names = issued.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    expect(names.sort()).toEqual(['Anna', 'Bo']);

    const unknown = await runCli(['codes', 'issue', '--area', 'Nowhere'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('There is no area named "Nowhere"');
  }, 120_000);
});
