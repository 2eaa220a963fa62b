// The house stays one way up (docs/architecture.md): every import in src/ (tests excepted) is read
// and checked against the declared order of the floors. A file may import its own floor or one
// below, never one above; only the composition root (app.ts) imports a `*.routes.ts`; nothing
// below http/ imports http/. A new folder fails here until it is given a floor.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// LAYERS_SRC checks another tree instead (an old commit's src/, to see what this test catches).
const SRC = process.env.LAYERS_SRC ?? path.resolve(import.meta.dirname, '../../src');

/** Bottom to top. A capability's `*.routes.ts` is its face: it sits on the `faces` floor. */
const FLOORS: { name: string; holds: string[] }[] = [
  { name: 'base', holds: ['db/', 'lib/', 'config.ts', 'errors.ts', 'problems.ts', 'deps.ts'] },
  { name: 'audit', holds: ['audit/'] },
  { name: 'rate-limits', holds: ['rate-limits/'] },
  // Areas sit with people: the people import sets a person's areas, an area's manager gets a role.
  { name: 'people', holds: ['people/', 'areas/'] },
  { name: 'sessions', holds: ['sessions/'] },
  { name: 'sign-in', holds: ['sign-in/'] },
  { name: 'access-codes', holds: ['access-codes/'] },
  { name: 'accounts', holds: ['accounts/'] },
  { name: 'http', holds: ['http/'] },
  // The OpenID Provider speaks HTTP itself (oidc-provider renders its protocol pages), so it sits
  // above http/; nothing below it calls it: ending an app's access is sessions/end-everything.ts.
  { name: 'oidc', holds: ['oidc/'] },
  // The retention sweep deletes what every capability below has let expire (README "Data kept").
  { name: 'retention', holds: ['retention/'] },
  // SCIM (src/scim/) is a protocol face over people, accounts and areas, as web/ is a page face.
  { name: 'faces', holds: ['web/', 'ops/', 'scim/', '*.routes.ts'] },
  { name: 'app', holds: ['app.ts', 'runtime.ts', 'main.ts', 'catalogues.ts'] },
  { name: 'cli', holds: ['cli/'] },
];

/** The files allowed to import a `*.routes.ts`: the composition root registers them. */
const ROUTES_IMPORTERS = new Set(['app.ts']);

/** The floor index of a file, by its path relative to src/ (forward slashes); -1 when unplaced. */
export function floorOf(file: string): number {
  // Routes and page views are a capability's faces: they sit above every capability, with web/.
  if (/\.(routes|views)\.ts$/.test(file) && !file.startsWith('cli/'))
    return FLOORS.findIndex((f) => f.name === 'faces');
  return FLOORS.findIndex((floor) =>
    floor.holds.some((hold) => (hold.endsWith('/') ? file.startsWith(hold) : file === hold)),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')
      ? [full]
      : [];
  });
}

interface Import {
  from: string;
  line: number;
  specifier: string;
  to: string;
}

/** Every relative import (static, re-export, side effect or dynamic) of a file, resolved to src/. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1]!;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ from: file, line, specifier, to: resolved });
  }
  return found;
}

/** What is wrong with one import, or null. */
export function problemOf(imp: Import): string | null {
  const from = floorOf(imp.from);
  const to = floorOf(imp.to);
  if (imp.to.startsWith('../')) return null; // outside src/ (package.json and the like)
  if (from < 0) return `${imp.from} is on no floor: place its folder in FLOORS (test/source/layers.test.ts)`;
  if (to < 0) return `${imp.to} is on no floor: place its folder in FLOORS (test/source/layers.test.ts)`;
  const where = `src/${imp.from}:${imp.line} imports '${imp.specifier}'`;
  if (imp.to.endsWith('.routes.ts') && !ROUTES_IMPORTERS.has(imp.from)) {
    return `${where}: only ${[...ROUTES_IMPORTERS].join(', ')} may import a routes file; move what is shared out of it`;
  }
  const http = FLOORS.findIndex((f) => f.name === 'http');
  if (imp.to.startsWith('http/') && from < http) {
    return `${where}: a service or store (${FLOORS[from]!.name}) must not import http/`;
  }
  if (to > from) return `${where}: ${FLOORS[from]!.name} may not import ${FLOORS[to]!.name}, which sits above it`;
  return null;
}

function readSources(): { file: string; text: string }[] {
  return sourceFiles(SRC).map((full) => ({
    file: path.relative(SRC, full).split(path.sep).join('/'),
    text: readFileSync(full, 'utf8'),
  }));
}

describe('the layers of src/', () => {
  it('every import runs down (or across) the declared floors, and no routes file is used as a library', () => {
    const problems = readSources()
      .flatMap(({ file, text }) => importsOf(file, text))
      .map(problemOf)
      .filter((problem): problem is string => problem !== null);
    expect(problems).toEqual([]);
  });

  it('every source file is on a floor', () => {
    const unplaced = readSources()
      .map(({ file }) => file)
      .filter((file) => floorOf(file) < 0);
    expect(unplaced).toEqual([]);
  });

  it('the check itself catches the imports that used to run the wrong way', () => {
    const wrong = [
      { from: 'people/people.service.ts', specifier: '../sign-in/sign-in.service.js' },
      { from: 'sessions/session.ts', specifier: '../sign-in/password.js' },
      { from: 'people/people.service.ts', specifier: '../access-codes/access-codes.store.js' },
      { from: 'sign-in/sign-in.routes.ts', specifier: '../access-codes/access-codes.routes.js' },
      { from: 'access-codes/access-codes.service.ts', specifier: '../http/metrics.js' },
      { from: 'web/admin.routes.ts', specifier: '../people/people.routes.js' },
    ];
    for (const { from, specifier } of wrong) {
      const [imp] = importsOf(from, `import { x } from '${specifier}';\n`);
      expect(problemOf(imp!), `${from} → ${specifier}`).not.toBeNull();
    }
    const [fine] = importsOf('accounts/deactivate-person.ts', "import { x } from '../people/people.store.js';\n");
    expect(problemOf(fine!)).toBeNull();
    const [dynamic] = importsOf('people/people.service.ts', "const m = await import('../accounts/first-admin.js');\n");
    expect(problemOf(dynamic!)).toMatch(/people may not import accounts/);
  });
});
