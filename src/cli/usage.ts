/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${flag} is required.`);
  return value;
}

/** The exit codes every command keeps to (listed by `keyslip --help` and in the README). */
export const EXIT = {
  ok: 0,
  /** Done in part or refused: some rows refused, a doctor check failed, an error the message explains. */
  failed: 1,
  /** The command was called wrongly, or the configuration is invalid. */
  usage: 2,
  /** The database could not be reached (or opened). */
  database: 3,
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export type Command = (args: string[]) => Promise<number>;

export interface Flag {
  type: 'string' | 'boolean';
  /** The value's placeholder in help, for string flags: "FILE", "D". */
  value?: string;
  help: string;
}

/** One CLI command: adding a command is one entry of this shape in main.ts's table. */
export interface CommandSpec {
  /** One or two words: "migrate", "people import". */
  name: string;
  /** Positional arguments as shown in usage: "FILE.csv". */
  args?: string;
  /** One line, for the list of commands. */
  summary: string;
  /** More, for the command's own help. */
  details?: string;
  flags?: Record<string, Flag>;
  examples: string[];
  /** The KEYSLIP_* keys this command reads (every command reads the configuration as the server does). */
  env: string[];
  run: Command;
}

/** Flags that long work shares: progress as JSON lines, or none. */
export const PROGRESS_FLAGS: Record<string, Flag> = {
  json: {
    type: 'boolean',
    help: 'print the result as JSON on standard output, progress as JSON lines on standard error',
  },
  quiet: { type: 'boolean', help: 'no progress output' },
};

/** PROGRESS_FLAGS as node:util parseArgs takes them. */
export const PROGRESS_OPTIONS = { json: { type: 'boolean' }, quiet: { type: 'boolean' } } as const;

/** Configuration every command that opens the database reads. */
export const DATABASE_ENV = ['KEYSLIP_DATABASE_URL', 'KEYSLIP_DATA_DIR', 'KEYSLIP_SECRET', 'KEYSLIP_DB_POOL_SIZE'];

function flagWords(name: string, flag: Flag): string {
  return flag.type === 'string' ? `--${name} ${flag.value ?? 'VALUE'}` : `--${name}`;
}

export function usageLine(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags ?? {}).map(([name, flag]) => `[${flagWords(name, flag)}]`);
  return ['keyslip', spec.name, spec.args, ...flags].filter(Boolean).join(' ');
}

/** `keyslip COMMAND --help`: what it does, every flag, an example, the environment it reads. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary, ...(spec.details ? [spec.details] : [])];
  const flags = Object.entries(spec.flags ?? {});
  if (flags.length > 0) {
    lines.push('', 'Options:');
    const width = Math.max(...flags.map(([name, flag]) => flagWords(name, flag).length), 10);
    for (const [name, flag] of flags) lines.push(`  ${flagWords(name, flag).padEnd(width)}  ${flag.help}`);
    lines.push(`  ${'--help'.padEnd(width)}  show this help`);
  }
  lines.push(
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((example) => `  ${example}`),
  );
  lines.push('', `Environment: ${spec.env.join(', ')} (see the README's configuration table)`);
  return `${lines.join('\n')}\n`;
}

export function generalUsage(specs: readonly CommandSpec[], version: string): string {
  const width = Math.max(...specs.map((spec) => spec.name.length));
  const lines = [
    `keyslip ${version}`,
    '',
    'Usage: keyslip <command> [options]',
    '',
    'Commands:',
    ...specs.map((spec) => `  ${spec.name.padEnd(width)}  ${spec.summary}`),
    '',
    "Run `keyslip COMMAND --help` for a command's options, an example and the environment it reads.",
    '`keyslip --version` prints the version.',
    '',
    'Exit codes: 0 ok · 1 done in part or refused (some rows refused, a failed doctor check) ·',
    '            2 usage or configuration mistake · 3 cannot reach the database · 130 stopped by Ctrl-C',
    '',
    'Configuration comes from KEYSLIP_* environment variables, as for the server; see the README.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The nearest of `candidates` to `word`, when near enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(word, candidate);
    if (!best || score < best.score) best = { candidate, score };
  }
  return best && best.score <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}
