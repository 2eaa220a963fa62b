// keyslip <command>: the CLI. Reads the same configuration (KEYSLIP_* environment) as the server.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError } from '../errors.js';
import { describeProblem } from '../problems.js';
import { adminCreate } from './admin-create.js';
import { backup } from './backup.js';
import { clientsCreate, clientsDelete, clientsList } from './clients.js';
import { codesIssue } from './codes-issue.js';
import { keysRotate } from './keys-rotate.js';
import { doctor } from './doctor.js';
import { migrate } from './migrate.js';
import { peopleImport } from './people-import.js';
import { Interrupted } from './progress.js';
import { tokenCreate } from './token-create.js';
import { tokenList } from './token-list.js';
import { tokenRevoke } from './token-revoke.js';
import {
  commandHelp,
  DATABASE_ENV,
  EXIT,
  generalUsage,
  nearest,
  PROGRESS_FLAGS,
  UsageError,
  usageLine,
  type CommandSpec,
} from './usage.js';

export type { Command } from './usage.js';

// Every command, in the order `keyslip --help` lists them. A new command is one entry here.
const COMMANDS: CommandSpec[] = [
  {
    name: 'serve',
    summary: 'Run the server (same as npm start).',
    examples: ['KEYSLIP_BASE_URL=https://keys.example.org keyslip serve'],
    env: ['every KEYSLIP_* key'],
    run: async () => {
      // Loaded here, not at the top: only the server needs the OpenID Provider (which, on Node 20,
      // prints a runtime warning as it loads: other commands' output stays clean).
      const { serve } = await import('../main.js');
      await serve(loadConfig());
      return -1; // keeps running
    },
  },
  {
    name: 'doctor',
    summary: 'Check a deployment before users meet it; a ✓/✗ checklist with a fix for each ✗.',
    details:
      'Checks the configuration, database, secret, base URL, PDF fonts, OpenID Connect signing keys and clock.\n' +
      'Prints a ✓/✗ checklist with a fix for each ✗; exit code 1 when\n' +
      'something would break users. Reads only: it creates and changes nothing.',
    flags: { json: { type: 'boolean', help: 'print the checks as JSON' } },
    examples: ['keyslip doctor', 'NODE_ENV=production keyslip doctor --json'],
    env: ['every KEYSLIP_* key', 'NODE_ENV (production: the base URL must be https)'],
    run: doctor,
  },
  {
    name: 'migrate',
    summary: 'Bring the database schema up to date (the server also does at start).',
    flags: { ...PROGRESS_FLAGS },
    examples: ['keyslip migrate'],
    env: DATABASE_ENV,
    run: migrate,
  },
  {
    name: 'admin create',
    summary: 'Create an admin; prints the access code that claims the account (shown once).',
    flags: {
      name: { type: 'string', value: 'NAME', help: "the admin's full name (required)" },
      username: { type: 'string', value: 'U', help: 'the username to sign in with (required)' },
      json: { type: 'boolean', help: 'print {id, username, code, expiresAt, url} as JSON' },
    },
    examples: ['keyslip admin create --name "Ada Admin" --username ada'],
    env: [...DATABASE_ENV, 'KEYSLIP_BASE_URL', 'KEYSLIP_CODE_DAYS_CLAIM'],
    run: adminCreate,
  },
  {
    name: 'token create',
    summary: 'Create an admin API token (or, with --scim, a SCIM provisioning token); printed once.',
    flags: {
      name: { type: 'string', value: 'NAME', help: 'what the token is for (required)' },
      scim: { type: 'boolean', help: 'a SCIM token: only /scim/v2, nothing else (default lifetime 365 days)' },
      'expires-days': { type: 'string', value: 'D', help: 'lifetime in days, 1 to 365 (default 90)' },
      json: { type: 'boolean', help: 'print {token, id, name, kind, expiresAt} as JSON' },
    },
    examples: [
      'keyslip token create --name nightly-sync --expires-days 30',
      'keyslip token create --scim --name entra-provisioning',
    ],
    env: DATABASE_ENV,
    run: tokenCreate,
  },
  {
    name: 'token list',
    summary: 'List the API tokens: owner, expiry, last use, revocation (never the token).',
    flags: { json: { type: 'boolean', help: 'print {items: […]} as JSON' } },
    examples: ['keyslip token list'],
    env: DATABASE_ENV,
    run: tokenList,
  },
  {
    name: 'token revoke',
    args: 'ID',
    summary: 'Revoke an API token at once, on every instance.',
    examples: ['keyslip token revoke 01J9Z3K4T0Q8W2'],
    env: DATABASE_ENV,
    run: tokenRevoke,
  },
  {
    name: 'people import',
    args: 'FILE.csv',
    summary: 'Import people from a CSV file (header row required).',
    details:
      'Exit code 1 when some rows were refused.\n' +
      'Ctrl-C stops after the chunk being written: the rows before ' +
      'it stay imported, and the report says how far it got.',
    flags: { ...PROGRESS_FLAGS },
    examples: ['keyslip people import staff.csv', 'keyslip people import staff.csv --json > report.json'],
    env: DATABASE_ENV,
    run: peopleImport,
  },
  {
    name: 'codes issue',
    summary: 'Issue access codes (everyone, or only people without email) as CSV or PDF slips.',
    details: 'All or nothing: Ctrl-C before the end issues no code.',
    flags: {
      'no-email': { type: 'boolean', help: 'only people without an email address' },
      department: { type: 'string', value: 'D', help: 'only people in this department' },
      location: { type: 'string', value: 'L', help: 'only people at this location' },
      area: { type: 'string', value: 'NAME', help: 'only members of the area with this name' },
      out: {
        type: 'string',
        value: 'FILE',
        help: 'write to FILE.csv or FILE.pdf (mode 0600); default: CSV on standard output',
      },
      'lifetime-hours': {
        type: 'string',
        value: 'H',
        help: 'codes expire after H hours (default: the configured days)',
      },
      lang: { type: 'string', value: 'en|sv', help: 'language of the PDF slips (default en)' },
      ...PROGRESS_FLAGS,
    },
    examples: [
      'keyslip codes issue --no-email --out slips.pdf --lang sv',
      'keyslip codes issue --no-email --area "Store 12" --out store12.pdf',
    ],
    env: [
      ...DATABASE_ENV,
      'KEYSLIP_BASE_URL',
      'KEYSLIP_CODE_DAYS_CLAIM',
      'KEYSLIP_CODE_DAYS_RECOVERY',
      'KEYSLIP_BATCH_MINUTES',
      'KEYSLIP_PDF_FALLBACK_FONT',
    ],
    run: codesIssue,
  },
  {
    name: 'backup',
    args: 'FILE',
    summary: 'Copy the SQLite database to FILE (online, consistent; mode 0600). PostgreSQL: use pg_dump.',
    flags: { ...PROGRESS_FLAGS },
    examples: ['keyslip backup /var/backups/keyslip-$(date +%F).db'],
    env: ['KEYSLIP_DATABASE_URL', 'KEYSLIP_DATA_DIR'],
    run: backup,
  },
  {
    name: 'clients create',
    summary: 'Register an app (OpenID Connect client); prints its client_id and, unless --public, its secret once.',
    details:
      'Redirect URIs are matched exactly; web apps need https (http only for loopback addresses).\n' +
      'PKCE (S256) is required of every app. Repeat --redirect-uri and --post-logout-redirect-uri for several.',
    flags: {
      name: { type: 'string', value: 'N', help: 'the app as people know it (required)' },
      'redirect-uri': {
        type: 'string',
        value: 'URI',
        help: 'where Keyslip may send the browser back (required, repeatable)',
      },
      public: { type: 'boolean', help: 'a mobile or single-page app: no secret' },
      'first-party': { type: 'boolean', help: "the organisation's own app: no consent page" },
      'post-logout-redirect-uri': { type: 'string', value: 'URI', help: 'where to return after sign-out (repeatable)' },
      'backchannel-logout-uri': { type: 'string', value: 'URI', help: 'where Keyslip posts logout_tokens' },
      'synthetic-email-domain': { type: 'string', value: 'D', help: 'give people without email username@D' },
      'launch-url': { type: 'string', value: 'URL', help: "the app's address, shown as a button to people" },
      json: { type: 'boolean', help: 'print {client_id, client_secret, …} as JSON' },
    },
    examples: [
      'keyslip clients create --name Grafana --redirect-uri ' +
        'https://grafana.example.org/login/generic_oauth --first-party',
    ],
    env: [...DATABASE_ENV, 'KEYSLIP_BASE_URL'],
    run: clientsCreate,
  },
  {
    name: 'clients list',
    summary: 'List the registered apps.',
    flags: { json: { type: 'boolean', help: 'print the apps as JSON' } },
    examples: ['keyslip clients list'],
    env: DATABASE_ENV,
    run: clientsList,
  },
  {
    name: 'clients delete',
    args: 'CLIENT_ID',
    summary: 'Remove an app; its tokens stop working at their next use.',
    details: 'An id that starts with - (apps registered before ids were hex) goes after --.',
    examples: [
      'keyslip clients delete 9f86d081884c7d659a2feaa0c55ad015',
      'keyslip clients delete -- -zA_l57yi463A2dPPYLn',
    ],
    env: DATABASE_ENV,
    run: clientsDelete,
  },
  {
    name: 'keys rotate',
    summary: 'New OpenID Connect signing keys; the old public keys stay published for a day.',
    flags: { json: { type: 'boolean', help: 'print the new key ids as JSON' } },
    examples: ['keyslip keys rotate'],
    env: DATABASE_ENV,
    run: keysRotate,
  },
];

/** package.json's version, found upward from this file (src/cli in tests, dist/src/cli when built). */
export function keyslipVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keyslip' && pkg.version) return pkg.version;
    }
  }
  return 'unknown';
}

/** Errors that mean the database cannot be reached or opened: exit code 3. */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // PostgreSQL: password or role refused, no such database; SQLite: the file cannot be opened.
  return typeof code === 'string' && ['28P01', '28000', '3D000', 'SQLITE_CANTOPEN', 'SQLITE_NOTADB'].includes(code);
}

function findCommand(positionals: string[]): CommandSpec | undefined {
  const two = positionals.slice(0, 2).join(' ');
  return COMMANDS.find((spec) => spec.name === two) ?? COMMANDS.find((spec) => spec.name === positionals[0]);
}

/** Every --flag must be one of the command's: an unknown one is named, with the nearest valid one. */
function checkFlags(spec: CommandSpec, args: string[]): void {
  const flags = spec.flags ?? {};
  const options = Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { type: flag.type }]));
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in flags || token.name === 'help' || token.name === 'h') continue;
    const suggestion = nearest(token.name, [...Object.keys(flags), 'help']);
    const typed = args[token.index]!;
    // An app's id from before ids were hex may start with '-': say how to pass it as a value.
    const hint = suggestion
      ? ` Did you mean --${suggestion}?`
      : spec.args && !typed.startsWith('--')
        ? ` If ${typed} is the ${spec.args}, put -- before it: keyslip ${spec.name} -- ${typed}`
        : '';
    throw new UsageError(`Unknown option ${token.rawName} for keyslip ${spec.name}.${hint}`);
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true });
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const version = keyslipVersion();
  if (positionals.length === 0) {
    if (argv.includes('--version') || argv.includes('-V')) {
      process.stdout.write(`keyslip ${version}\n`);
      return EXIT.ok;
    }
    if (wantsHelp) {
      process.stdout.write(generalUsage(COMMANDS, version));
      return EXIT.ok;
    }
    process.stderr.write(generalUsage(COMMANDS, version));
    return EXIT.usage;
  }
  const spec = findCommand(positionals);
  if (!spec) {
    const typed = positionals.slice(0, 2).join(' ');
    const suggestion =
      nearest(
        typed,
        COMMANDS.map((c) => c.name),
      ) ??
      nearest(
        positionals[0]!,
        COMMANDS.map((c) => c.name),
      );
    const hint = suggestion ? ` Did you mean "keyslip ${suggestion}"?` : '';
    process.stderr.write(`Unknown command "${positionals.join(' ')}".${hint}\n\n${generalUsage(COMMANDS, version)}`);
    return EXIT.usage;
  }
  if (wantsHelp) {
    process.stdout.write(commandHelp(spec));
    return EXIT.ok;
  }
  const rest = [...argv];
  for (const word of spec.name.split(' ')) rest.splice(rest.indexOf(word), 1);
  const seeHelp = `\nUsage: ${usageLine(spec)}\nRun \`keyslip ${spec.name} --help\` for more.\n`;
  try {
    checkFlags(spec, rest);
    return await spec.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${seeHelp}`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof Interrupted) {
      process.stderr.write('Stopped by Ctrl-C.\n');
      return EXIT.interrupted;
    }
    if (error instanceof AppError) {
      const fields = error.options.fields?.map((f) => `  ${f.field}: ${describeProblem('en', f)}`).join('\n');
      process.stderr.write(`${error.message}${fields ? `\n${fields}` : ''}\n`);
      return EXIT.failed;
    }
    const code = (error as { code?: string }).code;
    if (
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ) {
      process.stderr.write(`${(error as Error).message}\n${seeHelp}`);
      return EXIT.usage;
    }
    if (isDatabaseUnreachable(error)) {
      process.stderr.write(
        `keyslip: cannot reach the database: ${(error as Error).message || code}\n` +
          'Check KEYSLIP_DATABASE_URL; `keyslip doctor` checks the whole set-up.\n',
      );
      return EXIT.database;
    }
    process.stderr.write(`keyslip: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

const code = await runCli(process.argv.slice(2));
if (code >= 0) process.exit(code);
