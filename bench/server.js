// A real Keyslip server for the benchmark: `node dist/src/main.js` in a child process, its memory
// sampled from /proc, stopped the way an orchestrator would (SIGTERM, graceful).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One GET /healthz; resolves with the status code, or 0 when nothing answers. */
function probeHealth(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the server and resolves once /healthz answers 200, with the milliseconds that took
 * (spawn → first 200). `env` is merged over a clean Keyslip environment.
 */
export async function startServer({ env, nodeArgs = [], timeoutMs = 120_000, logFile }) {
  const port = Number(env.KEYSLIP_PORT);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    // stdout carries the first admin's access code on an empty database: it is not kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  let stderrTail = '';
  child.stderr.on('data', (chunk) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
    log?.write(chunk);
  });
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      log?.end();
      resolve(exited);
    });
  });

  for (;;) {
    if (exited) throw new Error(`The server exited before it was healthy (${JSON.stringify(exited)}):\n${stderrTail}`);
    if ((await probeHealth(port)) === 200) break;
    if (Number(process.hrtime.bigint() - started) / 1e6 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`The server was not healthy within ${timeoutMs} ms:\n${stderrTail}`);
    }
    await sleep(10);
  }
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;

  return {
    pid: child.pid,
    port,
    startMs,
    baseUrl: `http://127.0.0.1:${port}`,
    stderrTail: () => stderrTail,
    get exited() {
      return exited;
    },
    /** SIGTERM, then waits for the graceful exit (SIGKILL after `graceMs`). */
    async stop(graceMs = 60_000) {
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes; null where /proc is not available. */
export function readMemory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : null;
    };
    return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') };
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) of a process and of its main thread; null without /proc. */
export function readCpu(pid) {
  const fieldsOf = (file) => {
    const stat = fs.readFileSync(file, 'utf8');
    // The fields after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  try {
    const all = fieldsOf(`/proc/${pid}/stat`);
    const main = fieldsOf(`/proc/${pid}/task/${pid}/stat`);
    return {
      process: (Number(all[11]) + Number(all[12])) / TICKS_PER_SECOND,
      mainThread: (Number(main[11]) + Number(main[12])) / TICKS_PER_SECOND,
      mainThreadSystem: Number(main[12]) / TICKS_PER_SECOND,
    };
  } catch {
    return null;
  }
}

/**
 * Samples a process's memory every `intervalMs`. `phase(name)` labels the samples that follow,
 * so each workload gets its own peak; `stop()` returns the peaks.
 */
export function sampleMemory(pid, intervalMs = 100) {
  let current = 'start';
  const peaks = {};
  const cpu = {};
  let cpuAtPhaseStart = readCpu(pid);
  const closePhase = () => {
    const now = readCpu(pid);
    if (now && cpuAtPhaseStart) {
      cpu[current] = {
        processSeconds: Math.round((now.process - cpuAtPhaseStart.process) * 100) / 100,
        mainThreadSeconds: Math.round((now.mainThread - cpuAtPhaseStart.mainThread) * 100) / 100,
        mainThreadSystemSeconds: Math.round((now.mainThreadSystem - cpuAtPhaseStart.mainThreadSystem) * 100) / 100,
      };
    }
    cpuAtPhaseStart = now;
  };
  let hwm = null;
  let anonPeak = null;
  let filePeak = null;
  let samples = 0;
  const take = () => {
    const memory = readMemory(pid);
    if (!memory) return;
    samples += 1;
    if (memory.hwm !== null) hwm = Math.max(hwm ?? 0, memory.hwm);
    if (memory.rss !== null) peaks[current] = Math.max(peaks[current] ?? 0, memory.rss);
    if (memory.anon !== null) anonPeak = Math.max(anonPeak ?? 0, memory.anon);
    if (memory.file !== null) filePeak = Math.max(filePeak ?? 0, memory.file);
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    phase(name) {
      take();
      closePhase();
      current = name;
    },
    stop() {
      take();
      closePhase();
      clearInterval(timer);
      return { hwm, anonPeak, filePeak, rssPeakByPhase: peaks, cpuByPhase: cpu, samples, available: samples > 0 };
    },
  };
}
