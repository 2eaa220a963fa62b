// HTTP for the benchmark: one keep-alive client for sequential calls (each timed), autocannon for
// load, and the percentiles both report.
import http from 'node:http';
import autocannon from 'autocannon';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One request; resolves with status, headers, body (text, unless `onData` consumes it) and the
 * milliseconds from sending to the last byte. `body` may be a string, Buffer or readable stream.
 * `localAddress` sends from another loopback address (127.0.0.2, …: another client to the
 * server's per-address limits); `agent` replaces the shared keep-alive agent (at most 64 sockets).
 */
export function request(baseUrl, { method = 'GET', path, headers = {}, body, onData, localAddress, agent: ownAgent }) {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        agent: ownAgent ?? agent,
        ...(localAddress ? { localAddress } : {}),
      },
      (response) => {
        const chunks = [];
        let firstByteMs = null;
        response.on('data', (chunk) => {
          firstByteMs ??= Number(process.hrtime.bigint() - started) / 1e6;
          if (onData) onData(chunk);
          else chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: onData ? '' : Buffer.concat(chunks).toString('utf8'),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            firstByteMs,
          }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && typeof body.pipe === 'function') {
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

export async function requestJson(baseUrl, options) {
  const headers = {
    accept: 'application/json',
    ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  const response = await request(baseUrl, {
    ...options,
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  let json = null;
  try {
    json = response.text ? JSON.parse(response.text) : null;
  } catch {
    // not JSON
  }
  return { ...response, json };
}

/** Nearest-rank percentile of a list of numbers (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarise(values) {
  return {
    count: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : null),
  };
}

export function round(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value ?? null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** autocannon, awaited; the figures the report uses. */
export async function load(options) {
  const result = await autocannon({ ...options, setupClient: undefined });
  return {
    connections: options.connections,
    durationSeconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / result.duration, 1),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count]),
    ),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean),
    },
  };
}

export function closeAgent() {
  agent.destroy();
}
