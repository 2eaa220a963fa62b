// Rules of the source tree that neither the compiler nor Biome checks for us.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, ext: RegExp): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && ext.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

const SOURCES = [
  ...filesUnder('src', /\.ts$/),
  ...filesUnder('test', /\.ts$/),
  ...filesUnder('bench', /\.js$/),
  ...filesUnder('public', /\.js$/),
];

describe('source rules', () => {
  it('never hands a template literal to raw(), the HTML escape hatch', () => {
    // A template literal in raw() would put its values into the page unescaped; build HTML with html`…` instead.
    const offenders = SOURCES.flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/(?<![.\w])raw\(\s*`/.test(line) ? [`${file}:${i + 1}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps every line within 120 characters', () => {
    // A generated file (its first line says so; e.g. the API client types) is written by its tool.
    const written = SOURCES.filter((file) => !/^\/\/ Generated /.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    const offenders = written.flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].length > 120 ? [`${file}:${i + 1}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
