// The thread of code-runs.ts: draws a run of codes under the batch's HMAC key for each count it is
// sent, and sends the run back packed (two strings), until the batch ends it.
import { parentPort, workerData } from 'node:worker_threads';
import { pooledRandom } from './access-code.js';
import { drawRun } from './code-runs.js';

// The key arrives as a plain Uint8Array (a Buffer loses its class when it is copied to a thread).
const key = { hmac: Buffer.from((workerData as { hmac: Uint8Array }).hmac) };
const random = pooledRandom(64 * 1024);
parentPort?.on('message', (count: number) => parentPort?.postMessage(drawRun(key, count, random)));
