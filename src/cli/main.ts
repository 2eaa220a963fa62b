// keyslip <command>: the CLI. Reads the same configuration (KEYSLIP_* environment) as the server.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { describeProblem } from '../problems.js';
import { adminCreate } from './admin-create.js';
import { backup } from './backup.js';
import { clientsCreate, clientsDelete, clientsList } from './clients.js';
import { codesIssue } from './codes-issue.js';
import { keysRotate } from './keys-rotate.js';
import { migrate } from './migrate.js';
import { peopleImport } from './people-import.js';
import { tokenCreate } from './token-create.js';
import { tokenList } from './token-list.js';
import { tokenRevoke } from './token-revoke.js';
import { UsageError } from './usage.js';
import { serve } from '../main.js';

const USAGE = `Usage: keyslip <command> [options]

Commands:
  serve                                   run the server (same as npm start)
  migrate                                 bring the database schema up to date
  admin create --name NAME --username U   create an admin; prints the access code that claims it
  token create --name NAME [--expires-days D] [--json]
                                          create an admin API token (expires in D days, default 90,
                                          at most 365); printed once
  token list [--json]                     list the API tokens: owner, expiry, last use, revocation
  token revoke ID                         revoke an API token at once
  people import FILE.csv [--json]         import people from a CSV file (header row required)
  codes issue [--no-email] [--out FILE.csv|FILE.pdf] [--lifetime-hours H] [--lang en|sv]
                                          issue access codes (everyone, or only people without email)
  backup FILE                             copy the SQLite database to FILE (online, consistent)
  clients create --name N --redirect-uri URI… [--public] [--first-party]
         [--post-logout-redirect-uri URI…] [--backchannel-logout-uri URI]
         [--synthetic-email-domain D] [--launch-url URL] [--json]
                                          register an app (OpenID Connect client); prints its
                                          client_id and, unless --public, its secret once
  clients list [--json]                   list the registered apps
  clients delete CLIENT_ID                remove an app; its tokens stop working
  keys rotate [--json]                    new OpenID Connect signing keys (old ones stay published a day)

Configuration comes from KEYSLIP_* environment variables; see the README.`;

export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: async () => {
    await serve(loadConfig());
    return -1; // keeps running
  },
  migrate,
  'admin create': adminCreate,
  'token create': tokenCreate,
  'token list': tokenList,
  'token revoke': tokenRevoke,
  'people import': peopleImport,
  'codes issue': codesIssue,
  backup,
  'clients create': clientsCreate,
  'clients list': clientsList,
  'clients delete': clientsDelete,
  'keys rotate': keysRotate,
};

export async function runCli(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true });
  if (positionals.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return positionals.length === 0 && !argv.includes('--help') && !argv.includes('-h') ? 2 : 0;
  }
  const two = positionals.slice(0, 2).join(' ');
  const name = COMMANDS[two] ? two : positionals[0]!;
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${positionals.join(' ')}".\n\n${USAGE}\n`);
    return 2;
  }
  const rest = [...argv];
  for (const word of name.split(' ')) rest.splice(rest.indexOf(word), 1);
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof AppError) {
      const fields = error.options.fields?.map((f) => `  ${f.field}: ${describeProblem('en', f)}`).join('\n');
      process.stderr.write(`${error.message}${fields ? `\n${fields}` : ''}\n`);
      return 1;
    }
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`keyslip: ${(error as Error).message}\n`);
    return 1;
  }
}

const code = await runCli(process.argv.slice(2));
if (code >= 0) process.exit(code);
