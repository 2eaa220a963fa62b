// /metrics is not public: it needs KEYSLIP_METRICS_TOKEN as a bearer token, or is served only on
// the separate KEYSLIP_METRICS_HOST:KEYSLIP_METRICS_PORT listener; with neither it is not there.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildMetricsApp } from '../../src/app.js';
import { DIALECTS } from '../helpers/deps.js';
import { startKeyslip } from '../helpers/server.js';
import { expectErrorBody, openApis } from './support.js';

const open = openApis();
const TOKEN = 'prometheus-scrape-token-0123456789abcdef';

describe.each(DIALECTS)('/metrics access (%s)', (dialect) => {
  it('with neither token nor listener configured, /metrics is not served on the main port', async () => {
    const { api } = await open(dialect);
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }, { authorization: `Bearer ${api.adminToken}` }]) {
      for (const url of ['/metrics', '/%6detrics']) {
        const response = await api.app.inject({ method: 'GET', url, headers });
        expect(response.statusCode, url).toBe(404);
        expect(response.body).not.toMatch(/keyslip_up/);
      }
    }
  });

  it('with KEYSLIP_METRICS_TOKEN, only a request bearing that token gets the numbers', async () => {
    const { api } = await open(dialect, { KEYSLIP_METRICS_TOKEN: TOKEN });
    const wrong = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: TOKEN },
      { authorization: `Bearer ${api.adminToken}` },
    ];
    for (const headers of wrong) {
      const response = await api.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(response.statusCode).toBe(401);
      expectErrorBody(response);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(response.body).not.toMatch(/keyslip_up/);
    }
    for (const url of ['/metrics', '/%6detrics']) {
      const ok = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode, url).toBe(200);
      expect(ok.body).toMatch(/^keyslip_up 1$/m);
    }
  });

  it(
    'with KEYSLIP_METRICS_PORT, /metrics lives only on its ' +
      'own listener (and still wants the token when one is set)',
    async () => {
      const { context, api } = await open(dialect, { KEYSLIP_METRICS_TOKEN: TOKEN, KEYSLIP_METRICS_PORT: '9464' });
      expect(
        (await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } }))
          .statusCode,
      ).toBe(404);
      const metrics = await buildMetricsApp(context.deps);
      try {
        expect((await metrics.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
        const ok = await metrics.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect(ok.statusCode).toBe(200);
        expect(ok.body).toMatch(/^keyslip_up 1$/m);
        for (const url of ['/healthz', '/api/v1/people', '/login']) {
          const other = await metrics.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
          expect(other.statusCode, url).toBe(404);
          expectErrorBody(other);
        }
      } finally {
        await metrics.close();
      }

      const { context: portOnly } = await open(dialect, { KEYSLIP_METRICS_PORT: '9464' });
      const open2 = await buildMetricsApp(portOnly.deps);
      try {
        const ok = await open2.inject({ method: 'GET', url: '/metrics' });
        expect(ok.statusCode).toBe(200);
        expect(ok.body).toMatch(/^keyslip_up 1$/m);
      } finally {
        await open2.close();
      }
    },
  );
});

describe('the metrics listener of a real server', () => {
  it('main.ts serves /metrics on KEYSLIP_METRICS_PORT only, and stops it on SIGTERM', async () => {
    const server = await startKeyslip({ KEYSLIP_METRICS_PORT: '0', KEYSLIP_METRICS_TOKEN: TOKEN });
    try {
      // The metrics listener starts right after the main one: wait for its line.
      const pattern = /metrics listener at (http:\/\/127\.0\.0\.1:\d+)\/metrics/;
      for (let i = 0; i < 200 && !pattern.test(server.output()); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const found = pattern.exec(server.output());
      expect(found, server.output()).not.toBeNull();
      const metricsUrl = `${found![1]}/metrics`;
      expect(found![1]).not.toBe(server.url);
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
        404,
      );
      expect((await fetch(metricsUrl)).status).toBe(401);
      const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^keyslip_up 1$/m);
      expect((await fetch(`${found![1]}/healthz`)).status).toBe(404);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
  }, 120_000);
});

describe('metrics configuration', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env, '/tmp');
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
  };

  it('validates the token, the port and the host', () => {
    expect(problems({ KEYSLIP_METRICS_TOKEN: 'short' }).join()).toMatch(/KEYSLIP_METRICS_TOKEN/);
    expect(problems({ KEYSLIP_METRICS_TOKEN: `${'x'.repeat(20)} ${'y'.repeat(20)}` }).join()).toMatch(
      /KEYSLIP_METRICS_TOKEN/,
    );
    expect(problems({ KEYSLIP_METRICS_PORT: '70000' }).join()).toMatch(/KEYSLIP_METRICS_PORT/);
    expect(problems({ KEYSLIP_METRICS_PORT: 'abc' }).join()).toMatch(/KEYSLIP_METRICS_PORT/);
    expect(problems({ KEYSLIP_METRICS_HOST: '0.0.0.0' }).join()).toMatch(
      /KEYSLIP_METRICS_HOST needs KEYSLIP_METRICS_PORT/,
    );
    expect(problems({ KEYSLIP_PORT: '3000', KEYSLIP_METRICS_PORT: '3000' }).join()).toMatch(/must differ/);
    expect(
      problems({ KEYSLIP_METRICS_TOKEN: TOKEN, KEYSLIP_METRICS_HOST: '0.0.0.0', KEYSLIP_METRICS_PORT: '9464' }),
    ).toEqual([]);
    const config = loadConfig({}, '/tmp');
    expect(config.metricsToken).toBe('');
    expect(config.metricsPort).toBeNull();
    expect(config.metricsHost).toBe('127.0.0.1');
  });
});
