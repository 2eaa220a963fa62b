// The built CLI (bin/keyslip) as an operator runs it: piped, or under a pseudo-terminal
// (util-linux `script`), so that a progress line is really drawn as on a terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/keyslip');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves once a stderr line satisfies `test`. */
  stderrLine(test: (line: string) => boolean): Promise<string>;
  done: Promise<CliResult>;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts `keyslip ...args`. With `tty`, under `script -qefc` (the exit code is the command's):
 * standard output and error then arrive together, with the terminal's \r\n, on stdout.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv, options: { tty?: boolean } = {}): CliProcess {
  const command = [process.execPath, BIN, ...args];
  const child = options.tty
    ? spawn('script', ['-qefc', command.map(quote).join(' '), '/dev/null'], {
        cwd: ROOT,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command[0]!, command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const line of stderr.split('\n')) {
      for (const waiter of [...waiting]) {
        if (waiter.test(line)) {
          waiting.splice(waiting.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrLine: (test) =>
      new Promise((resolve, reject) => {
        waiting.push({ test, resolve });
        void done.then(() => reject(new Error(`the command ended before the line was seen; stderr:\n${stderr}`)));
      }),
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, options: { tty?: boolean } = {}): Promise<CliResult> {
  const started = startCli(args, env, options);
  if (options.tty) started.child.stdin!.end();
  return started.done;
}

/** A people CSV of `rows` rows, usernames `${prefix}N`. */
export function writePeopleCsv(file: string, rows: number, prefix = 'user'): void {
  const lines = ['name,username,department'];
  for (let i = 0; i < rows; i += 1) lines.push(`Person ${i},${prefix}${i},Dept ${i % 20}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
