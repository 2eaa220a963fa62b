// Progress of long CLI work on standard error, in a few lines of our own rather than a dependency:
// on a terminal one line redrawn in place, otherwise a plain line every few seconds at most, with
// --json one JSON object per line, with --quiet nothing. Standard output keeps the result only.

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

/** How often a line may be written: a terminal redraws often, a log file gets a line now and then. */
const EVERY_MS: Record<ProgressMode, number> = { tty: 100, plain: 5_000, json: 1_000, quiet: Number.POSITIVE_INFINITY };

export function progressModeOf(
  flags: { json?: boolean | undefined; quiet?: boolean | undefined },
  stream = process.stderr,
): ProgressMode {
  if (flags.quiet) return 'quiet';
  if (flags.json) return 'json';
  return stream.isTTY ? 'tty' : 'plain';
}

export interface ProgressOptions {
  /** What is being done, e.g. "Importing people". */
  label: string;
  /** What is counted, e.g. "rows". */
  unit: string;
  /** How much there is in all, when known beforehand (it may be an estimate). */
  total?: number;
  mode: ProgressMode;
  write?: (text: string) => void;
  now?: () => number;
}

export class Progress {
  private readonly started: number;
  private lastWritten = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private done = 0;
  private readonly write: (text: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.write = options.write ?? ((text) => process.stderr.write(text));
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** A total learnt once the work has started (SQLite's page count). */
  setTotal(total: number): void {
    this.options.total = total;
  }

  get mode(): ProgressMode {
    return this.options.mode;
  }

  /** Records how far the work got; writes a line when the mode's interval has passed. */
  update(done: number): void {
    this.done = done;
    const now = this.now();
    if (now - this.lastWritten < EVERY_MS[this.options.mode]) return;
    this.lastWritten = now;
    this.draw(now, false);
  }

  /** The last progress line (always written, unless quiet); the terminal's line is ended. */
  finish(done = this.done): void {
    this.done = done;
    this.draw(this.now(), true);
  }

  /** Ends the terminal's redrawn line so a message can follow on a line of its own. */
  clear(): void {
    if (this.drawn && this.options.mode === 'tty') this.write('\n');
    this.drawn = false;
  }

  private draw(now: number, final: boolean): void {
    const { mode, label, unit } = this.options;
    if (mode === 'quiet') return;
    const elapsedMs = now - this.started;
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const total = this.options.total !== undefined ? Math.max(this.options.total, this.done) : undefined;
    const remainingMs = total !== undefined && rate > 0 ? Math.round(((total - this.done) / rate) * 1000) : undefined;
    if (mode === 'json') {
      const event = { event: final ? 'done' : 'progress', task: label, unit, done: this.done, total: total ?? null };
      const timing = { ratePerSecond: Math.round(rate), elapsedMs, remainingMs: final ? 0 : (remainingMs ?? null) };
      this.write(`${JSON.stringify({ ...event, ...timing })}\n`);
      return;
    }
    const parts = [total !== undefined ? `${count(this.done)}/${count(total)} ${unit}` : `${count(this.done)} ${unit}`];
    if (total !== undefined && total > 0) parts.push(`${Math.floor((this.done / total) * 100)}%`);
    parts.push(`${count(Math.round(rate))} ${unit}/s`, `${duration(elapsedMs)} elapsed`);
    if (!final && remainingMs !== undefined) parts.push(`${duration(remainingMs)} left`);
    const line = `${label}: ${parts.join(' · ')}`;
    if (mode === 'tty') {
      // \r and "erase line": the same line, drawn over; the final one ends with a newline.
      this.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      this.drawn = !final;
    } else {
      this.write(`${line}\n`);
    }
  }
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** 0:07, 12:34, 1:02:03 */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Thrown from a progress callback after Ctrl-C: the work stops at the next safe point. */
export class Interrupted extends Error {
  constructor() {
    super('Interrupted');
    this.name = 'Interrupted';
  }
}

/**
 * Ctrl-C (SIGINT, and SIGTERM alike) asks the work to stop at its next safe point, where
 * `check()` throws Interrupted; a second Ctrl-C ends the process at once (exit code 130).
 */
export function interruptible(): { readonly requested: boolean; check(): void; dispose(): void } {
  let requested = false;
  const onSignal = (): void => {
    if (requested) process.exit(130);
    requested = true;
    process.stderr.write('\nStopping at the next safe point (Ctrl-C again to quit at once)…\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get requested() {
      return requested;
    },
    check() {
      if (requested) throw new Interrupted();
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
