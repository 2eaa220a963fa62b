// The only reader of process.env. Every key is validated at once, every problem is reported
// together, and the result is frozen. The README's configuration table mirrors this file.
import { isIP } from 'node:net';
import path from 'node:path';

/** The page where a person types an access code; printed on slips and in the console. */
export const ACCESS_CODE_PATH = '/work/accesscode';

/** Failed (well-formed) code attempts per client address per window, unless configured. */
export const DEFAULT_RATE_CODE_FAILURES = 200;

export interface Config {
  /** KEYSLIP_PORT — TCP port to listen on. Default 3000. */
  readonly port: number;
  /** KEYSLIP_HOST — interface to listen on. Default 127.0.0.1 (local only). */
  readonly host: string;
  /** KEYSLIP_DATA_DIR — folder for the SQLite file and the generated secret. Default ./data. */
  readonly dataDir: string;
  /** KEYSLIP_DATABASE_URL — postgres://… for PostgreSQL; default: SQLite file in the data folder. */
  readonly databaseUrl: string;
  /** KEYSLIP_BASE_URL — public address, used on slips and to decide the cookie's Secure flag. */
  readonly baseUrl: string;
  /** Derived from baseUrl: https. Cookies are then Secure and prefixed, and HSTS is sent. */
  readonly secureCookies: boolean;
  /** Derived from baseUrl: the access-code page's full address, as slips and the console print it. */
  readonly accessCodeUrl: string;
  /** KEYSLIP_SECRET — comma-separated secrets (≥ 32 chars), newest first. Empty: generated file. */
  readonly secrets: readonly string[];
  /** KEYSLIP_SUPPORT_CONTACT — who to contact for help, shown on /help/login. */
  readonly supportContact: string;
  /** KEYSLIP_ORG_NAME — the organisation's name, printed on slips (workers know it, not "Keyslip"). Default: none. */
  readonly orgName: string;
  /** KEYSLIP_CODE_DAYS_CLAIM — lifetime of codes for unclaimed accounts, 1–90 days. Default 90. */
  readonly codeDaysClaim: number;
  /** KEYSLIP_CODE_DAYS_RECOVERY — lifetime of codes for active accounts, 1–90 days. Default 90. */
  readonly codeDaysRecovery: number;
  /** KEYSLIP_BATCH_MINUTES — how long a bulk issue's codes stay downloadable. Default 15. */
  readonly batchMinutes: number;
  /** KEYSLIP_MANAGER_CODES_PER_HOUR — access codes one manager may get per hour (a bulk counts each). Default 500. */
  readonly managerCodesPerHour: number;
  /**
   * KEYSLIP_RATE_CODE_FAILURES — failed code attempts per client address per window. Default 200: a
   * shop behind one address must not lock itself out; SECURITY.md shows a guesser still gets nowhere.
   */
  readonly rateCodeFailures: number;
  /** KEYSLIP_AUDIT_RETENTION_DAYS — audit entries older than this are deleted by the sweep. Default 400. */
  readonly auditRetentionDays: number;
  /** KEYSLIP_RATE_WINDOW_MINUTES — the window for code failures. Default 15. */
  readonly rateWindowMinutes: number;
  /** KEYSLIP_RATE_SIGNIN_FAILURES — failed sign-ins per client address per window. Default 50. */
  readonly rateSigninFailures: number;
  /** KEYSLIP_RATE_SIGNIN_WINDOW_MINUTES — the window for sign-in failures. Default 15. */
  readonly rateSigninWindowMinutes: number;
  /**
   * KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS — sign-ins one client address may have in progress at
   * once on one instance; more are answered 503 with Retry-After. Default 4.
   */
  readonly signinParallelPerAddress: number;
  /** KEYSLIP_TRUST_PROXY — comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed. */
  readonly trustProxy: readonly string[];
  /** KEYSLIP_SESSION_IDLE_MINUTES — a session ends after this long unused. Default 480 (8 h). */
  readonly sessionIdleMinutes: number;
  /** KEYSLIP_SESSION_ABSOLUTE_HOURS — a session ends this long after sign-in. Default 168 (7 d). */
  readonly sessionAbsoluteHours: number;
  /** KEYSLIP_DB_POOL_SIZE — PostgreSQL connections per instance. Default 10. */
  readonly dbPoolSize: number;
  /** KEYSLIP_LOG_LEVEL — pino level. Default info. */
  readonly logLevel: string;
  /** KEYSLIP_METRICS_TOKEN — bearer token a Prometheus scrape of /metrics must send (≥ 32 chars). Default: none. */
  readonly metricsToken: string;
  /** KEYSLIP_METRICS_HOST — interface of the separate metrics listener. Default 127.0.0.1. */
  readonly metricsHost: string;
  /** KEYSLIP_METRICS_PORT — port of a separate listener for /metrics only. Default: none. */
  readonly metricsPort: number | null;
  /**
   * KEYSLIP_PDF_FALLBACK_FONT — font file for names DejaVu cannot print (CJK); a .ttc as file#PostScriptName.
   * Default: none (system CJK fonts are looked for).
   */
  readonly pdfFallbackFont: string;
  /** KEYSLIP_OIDC_ACCESS_TOKEN_MINUTES — lifetime of access tokens given to apps (SPEC §8), 1–60. Default 10. */
  readonly oidcAccessTokenMinutes: number;
  /**
   * KEYSLIP_SCIM_MANAGES_ROLES — whether a SCIM client may set roles (make or demote admins and
   * managers). Default false: roles are Keyslip's own, and SCIM leaves admins alone.
   */
  readonly scimManagesRoles: boolean;
  /**
   * KEYSLIP_OIDC_KEY_CHECK_SECONDS — how often, at most, an instance looks for signing keys rotated
   * elsewhere (`keyslip keys rotate`, another instance), 1–3600. Default 30.
   */
  readonly oidcKeyCheckSeconds: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** An address or CIDR range as Fastify's trustProxy (proxy-addr) takes it, or one of its named ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address ?? '');
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (version === 4 ? 32 : 128);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];

  function integer(key: string, fallback: number, min: number, max: number): number {
    const raw = env[key];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  function text(key: string, fallback: string): string {
    const raw = env[key];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  }

  function list(key: string): string[] {
    return text(key, '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  function flag(key: string): boolean {
    const raw = text(key, 'false').toLowerCase();
    if (raw === 'true' || raw === '1') return true;
    if (raw !== 'false' && raw !== '0') problems.push(`${key} must be true or false (got "${env[key]}")`);
    return false;
  }

  const port = integer('KEYSLIP_PORT', 3000, 0, 65535);
  const host = text('KEYSLIP_HOST', '127.0.0.1');
  const dataDir = path.resolve(cwd, text('KEYSLIP_DATA_DIR', './data'));
  const databaseUrl = text('KEYSLIP_DATABASE_URL', `sqlite:${path.join(dataDir, 'keyslip.db')}`);
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    problems.push('KEYSLIP_DATABASE_URL must start with postgres:// or sqlite:');
  }

  const defaultBaseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let baseUrl = text('KEYSLIP_BASE_URL', defaultBaseUrl).replace(/\/+$/, '');
  try {
    const parsed = new URL(baseUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    problems.push(`KEYSLIP_BASE_URL must be an http:// or https:// address (got "${baseUrl}")`);
    baseUrl = defaultBaseUrl;
  }

  const trustProxy = list('KEYSLIP_TRUST_PROXY');
  for (const entry of trustProxy) {
    if (!isProxyAddress(entry))
      problems.push(
        `KEYSLIP_TRUST_PROXY entry "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)`,
      );
  }

  const secrets = list('KEYSLIP_SECRET');
  secrets.forEach((secret, index) => {
    if (secret.length < 32) problems.push(`KEYSLIP_SECRET entry ${index + 1} is shorter than 32 characters`);
  });

  const logLevel = text('KEYSLIP_LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`KEYSLIP_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const pdfFallbackFont = text('KEYSLIP_PDF_FALLBACK_FONT', '');
  if (/\.(ttc|otc)$/i.test(pdfFallbackFont)) {
    problems.push(
      'KEYSLIP_PDF_FALLBACK_FONT names a font collection: add # and the PostScript ' +
        'name of the face, e.g. NotoSansCJK-Regular.ttc#NotoSansCJKjp-Regular',
    );
  }

  // /metrics is never public: it needs this token, or its own listener (or both); with neither
  // it answers 404.
  const metricsToken = text('KEYSLIP_METRICS_TOKEN', '');
  if (metricsToken !== '' && !/^[\x21-\x7e]{32,200}$/.test(metricsToken)) {
    problems.push('KEYSLIP_METRICS_TOKEN must be 32 to 200 visible ASCII characters, no spaces (openssl rand -hex 32)');
  }
  const metricsPortText = text('KEYSLIP_METRICS_PORT', '');
  const metricsPort = metricsPortText === '' ? null : integer('KEYSLIP_METRICS_PORT', 0, 0, 65535);
  const metricsHost = text('KEYSLIP_METRICS_HOST', '127.0.0.1');
  if (env.KEYSLIP_METRICS_HOST?.trim() && metricsPort === null) {
    problems.push('KEYSLIP_METRICS_HOST needs KEYSLIP_METRICS_PORT');
  }
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === port) {
    problems.push('KEYSLIP_METRICS_PORT must differ from KEYSLIP_PORT');
  }

  const config: Config = {
    port,
    host,
    dataDir,
    databaseUrl,
    baseUrl,
    secureCookies: baseUrl.startsWith('https://'),
    accessCodeUrl: `${baseUrl}${ACCESS_CODE_PATH}`,
    secrets,
    supportContact: text('KEYSLIP_SUPPORT_CONTACT', ''),
    orgName: text('KEYSLIP_ORG_NAME', '').slice(0, 200),
    codeDaysClaim: integer('KEYSLIP_CODE_DAYS_CLAIM', 90, 1, 90),
    codeDaysRecovery: integer('KEYSLIP_CODE_DAYS_RECOVERY', 90, 1, 90),
    batchMinutes: integer('KEYSLIP_BATCH_MINUTES', 15, 1, 24 * 60),
    managerCodesPerHour: integer('KEYSLIP_MANAGER_CODES_PER_HOUR', 500, 1, 1_000_000),
    rateCodeFailures: integer('KEYSLIP_RATE_CODE_FAILURES', DEFAULT_RATE_CODE_FAILURES, 1, 1_000_000),
    rateWindowMinutes: integer('KEYSLIP_RATE_WINDOW_MINUTES', 15, 1, 24 * 60),
    auditRetentionDays: integer('KEYSLIP_AUDIT_RETENTION_DAYS', 400, 1, 36_500),
    rateSigninFailures: integer('KEYSLIP_RATE_SIGNIN_FAILURES', 50, 1, 1_000_000),
    rateSigninWindowMinutes: integer('KEYSLIP_RATE_SIGNIN_WINDOW_MINUTES', 15, 1, 24 * 60),
    signinParallelPerAddress: integer('KEYSLIP_SIGNIN_PARALLEL_PER_ADDRESS', 4, 1, 10_000),
    trustProxy,
    sessionIdleMinutes: integer('KEYSLIP_SESSION_IDLE_MINUTES', 480, 1, 60 * 24 * 30),
    sessionAbsoluteHours: integer('KEYSLIP_SESSION_ABSOLUTE_HOURS', 168, 1, 24 * 90),
    dbPoolSize: integer('KEYSLIP_DB_POOL_SIZE', 10, 1, 500),
    logLevel,
    metricsToken,
    metricsHost,
    metricsPort,
    pdfFallbackFont: pdfFallbackFont === '' ? '' : path.resolve(cwd, pdfFallbackFont),
    oidcAccessTokenMinutes: integer('KEYSLIP_OIDC_ACCESS_TOKEN_MINUTES', 10, 1, 60),
    scimManagesRoles: flag('KEYSLIP_SCIM_MANAGES_ROLES'),
    oidcKeyCheckSeconds: integer('KEYSLIP_OIDC_KEY_CHECK_SECONDS', 30, 1, 3600),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Settings that are fine on a laptop but not on the internet; main.ts prints them loudly. */
export function unsafeSettings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.secrets.length === 0) {
    warnings.push(
      'KEYSLIP_SECRET is not set: using a generated secret file in the data ' +
        'folder. Instances that share a database must share KEYSLIP_SECRET.',
    );
  }
  if (!config.secureCookies && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|$)/.test(config.baseUrl)) {
    warnings.push(
      `KEYSLIP_BASE_URL (${config.baseUrl}) is not https: session cookies are sent without the Secure flag.`,
    );
  }
  return warnings;
}
