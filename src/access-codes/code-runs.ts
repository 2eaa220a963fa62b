// A bulk issue's codes, drawn a run at a time and handed out in the order of their keyed hash.
//
// Each code is still drawn uniformly and independently (generateAccessCode, R1); only the order in
// which a batch hands them out changes, and as the hash is keyed, that order tells nothing about a
// code to anyone without the server secret. Written in that order, the codes of a chunk go into one
// stretch of the hash's unique index instead of onto a page each all over it, so each page of that
// index is read and written about once per run rather than once per chunk: on SQLite that was most
// of a bulk issue's I/O (the README's W2).
//
// After the first, runs are drawn by a worker thread while the batch writes the run before, so the
// HMACs (about 2 µs each) leave the event loop, and drawing a run never holds it up.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Key } from '../lib/keyring.js';
import { CODE_LENGTH, generateAccessCode, hashAccessCode, pooledRandom } from './access-code.js';

/** A code for a bulk issue, with its keyed hash and the id of the key that made it. */
export interface DrawnCode {
  readonly code: string;
  readonly hash: string;
  readonly keyId: string;
}

/** The most codes drawn at once: about 8 MB as the worker sends them, 20 MB once taken apart. */
export const MAX_CODE_RUN = 131_072;
/** A batch that has handed out this many codes has the worker draw its next run. */
export const WORKER_AFTER_CODES = 2000;
/** An HMAC-SHA-256 in base64url. */
const HASH_LENGTH = 43;

/** A run as the worker sends it: the codes and their hashes, in order, each packed into one string. */
export interface PackedRun {
  codes: string;
  hashes: string;
}

/**
 * `count` new codes, ordered by the first two characters of their hash as the index orders text
 * (by character code); within those in any order: the run's codes then reach the index's pages in
 * order, which is all that matters here.
 */
export function drawRun(key: Pick<Key, 'hmac'>, count: number, random: (size: number) => Buffer): PackedRun {
  const codes: string[] = [];
  const hashes: string[] = [];
  const starts = new Uint32Array(128 * 128 + 1);
  const bucketOf = (hash: string) => (hash.charCodeAt(0) << 7) | hash.charCodeAt(1);
  for (let i = 0; i < count; i++) {
    const code = generateAccessCode(random);
    const hash = hashAccessCode(key, code);
    codes.push(code);
    hashes.push(hash);
    starts[bucketOf(hash) + 1]! += 1;
  }
  for (let bucket = 1; bucket < starts.length; bucket++) starts[bucket]! += starts[bucket - 1]!;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[starts[bucketOf(hashes[i]!)]!++] = i;
  let packedCodes = '';
  let packedHashes = '';
  for (const i of order) {
    packedCodes += codes[i]!;
    packedHashes += hashes[i]!;
  }
  return { codes: packedCodes, hashes: packedHashes };
}

function unpackRun(run: PackedRun, keyId: string): DrawnCode[] {
  const count = run.codes.length / CODE_LENGTH;
  const drawn = new Array<DrawnCode>(count);
  for (let i = 0; i < count; i++) {
    drawn[i] = {
      code: run.codes.slice(i * CODE_LENGTH, (i + 1) * CODE_LENGTH),
      hash: run.hashes.slice(i * HASH_LENGTH, (i + 1) * HASH_LENGTH),
      keyId,
    };
  }
  return drawn;
}

export interface CodeSource {
  /** The next `count` codes. */
  take(count: number): Promise<DrawnCode[]>;
  /** Ends the worker, if one was started; codes drawn and not taken are dropped. */
  close(): Promise<void>;
  /** How many runs the worker drew that were handed out (tests). */
  readonly runsFromWorker: number;
}

/** The compiled worker beside this module (dist/), or null where there is none (the tests run the sources). */
function defaultWorkerUrl(): URL | null {
  const url = new URL('./code-runs.worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && fs.existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * The codes of one batch under `key`. A run holds as many codes as were handed out before it (at
 * least what is asked for, at most MAX_CODE_RUN): a small batch draws no more codes than it needs,
 * a large one at most one run more, and that in the worker. Without a worker (`workerUrl` null,
 * or one that fails), every run is drawn here.
 */
export function hashOrderedCodes(key: Key, options: { workerUrl?: URL | null } = {}): CodeSource {
  const random = pooledRandom(64 * 1024);
  const workerUrl = options.workerUrl === undefined ? defaultWorkerUrl() : options.workerUrl;
  let worker: Worker | null = null;
  let next: Promise<DrawnCode[] | null> | null = null;
  let run: DrawnCode[] = [];
  let at = 0;
  let handedOut = 0;
  let runsFromWorker = 0;

  // A worker that failed (or exited) is not asked again; the rest of the batch is drawn here.
  let workerFailed = false;
  const fromWorker = (count: number): Promise<DrawnCode[] | null> => {
    worker ??= new Worker(workerUrl!, { workerData: { hmac: key.hmac } });
    const thread = worker;
    return new Promise<DrawnCode[] | null>((resolve) => {
      const done = (packed: PackedRun | null) => {
        thread.off('message', done);
        thread.off('error', failed);
        thread.off('exit', failed);
        resolve(packed && unpackRun(packed, key.id));
      };
      const failed = () => {
        workerFailed = true;
        done(null);
      };
      thread.on('message', done);
      thread.on('error', failed);
      thread.on('exit', failed);
      thread.postMessage(count);
    });
  };
  const drawHere = (count: number) => unpackRun(drawRun(key, count, random), key.id);

  return {
    async take(count) {
      const codes: DrawnCode[] = [];
      while (codes.length < count) {
        if (at === run.length) {
          const fetched = next ? await next : null;
          next = null;
          if (fetched) runsFromWorker += 1;
          run = fetched ?? drawHere(Math.max(count - codes.length, Math.min(MAX_CODE_RUN, handedOut)));
          at = 0;
        }
        codes.push(run[at++]!);
      }
      handedOut += count;
      if (next === null && workerUrl && !workerFailed && handedOut >= WORKER_AFTER_CODES) {
        next = fromWorker(Math.min(MAX_CODE_RUN, handedOut));
      }
      return codes;
    },
    get runsFromWorker() {
      return runsFromWorker;
    },
    async close() {
      next = null;
      workerFailed = true;
      await worker?.terminate();
      worker = null;
    },
  };
}
