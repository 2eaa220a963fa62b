// A few Prometheus counters and gauges, rendered in the text exposition format at /metrics.
// Per-process: each instance exports its own, and Prometheus sums them.

const counters = new Map<string, { help: string; values: Map<string, number> }>();

function labelKey(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export function defineCounter(name: string, help: string): (labels?: Record<string, string>, by?: number) => void {
  const counter = { help, values: new Map<string, number>() };
  counters.set(name, counter);
  return (labels = {}, by = 1) => {
    const key = labelKey(labels);
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  };
}

export const countHttpRequest = defineCounter(
  'keyslip_http_requests_total',
  'HTTP requests answered, by status class.',
);
export const countCodeFailure = defineCounter(
  'keyslip_access_code_failures_total',
  'Failed access-code attempts (check and redeem).',
);
export const countCodeFailureSpike = defineCounter(
  'keyslip_access_code_failure_spikes_total',
  'Minutes in which failed code attempts passed the spike threshold.',
);
export const countRedemption = defineCounter('keyslip_access_code_redemptions_total', 'Access codes redeemed.');
export const countCodesIssued = defineCounter('keyslip_access_codes_issued_total', 'Access codes issued.');
export const countSignIn = defineCounter('keyslip_sign_ins_total', 'Sign-in attempts by outcome.');
export const countRateLimited = defineCounter('keyslip_rate_limited_total', 'Requests refused with 429, by kind.');
export const countDatabaseUnavailable = defineCounter(
  'keyslip_database_unavailable_total',
  'Requests answered 503 because the database was unreachable.',
);

export function renderMetrics(gauges: Record<string, { help: string; value: number }> = {}): string {
  const lines: string[] = [];
  for (const [name, counter] of counters) {
    lines.push(`# HELP ${name} ${counter.help}`, `# TYPE ${name} counter`);
    if (counter.values.size === 0) lines.push(`${name} 0`);
    for (const [labels, value] of counter.values) lines.push(`${name}${labels} ${value}`);
  }
  for (const [name, gauge] of Object.entries(gauges)) {
    lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} gauge`, `${name} ${gauge.value}`);
  }
  return `${lines.join('\n')}\n`;
}
