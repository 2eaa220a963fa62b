// A small HR integration, as an integrator would write it against the types generated from
// /api/openapi.json (keyslip-api.ts): import people from CSV, find one by employee id, issue a
// batch of codes with an Idempotency-Key (and retry it), edit a person with If-Match, and
// reactivate a leaver. It only uses what the document describes; api-prism.test.ts type-checks it
// with tsc and runs it against a real server through a validating proxy.
import type { components, operations } from './keyslip-api.js';

type Schemas = components['schemas'];
type Person = Schemas['Person'];
type PersonPatch = Schemas['PersonPatch'];
type ImportReport = Schemas['ImportReport'];
type BulkIssue = Schemas['BulkIssue'];
type BatchCodes = Schemas['BatchCodes'];
type PeoplePage = Schemas['PeoplePage'];
type ApiError = Schemas['Error'];
type ListQuery = NonNullable<operations['listPeople']['parameters']['query']>;

export interface IntegrationResult {
  imported: ImportReport;
  reimported: ImportReport;
  found: Person[];
  batch: { status: number; count: number; replayStatus: number; replayed: string | null; sameCodes: boolean };
  edit: { status: number; title: string | null; staleStatus: number; staleCode: ApiError['error']['code'] | null };
  reactivated: Person;
}

export class KeyslipClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private async call(
    method: string,
    path: string,
    options: { json?: unknown; csv?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.csv !== undefined) {
      headers['content-type'] = 'text/csv';
      body = options.csv;
    }
    return fetch(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  }

  async importPeople(csv: string): Promise<ImportReport> {
    return (await expectStatus(await this.call('POST', '/api/v1/people/import', { csv }), 200)).json();
  }

  async listPeople(query: ListQuery): Promise<PeoplePage> {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
    return (await expectStatus(await this.call('GET', `/api/v1/people?${search}`), 200)).json();
  }

  async getPerson(id: string): Promise<{ person: Person; etag: string }> {
    const response = await expectStatus(await this.call('GET', `/api/v1/people/${id}`), 200);
    return { person: (await response.json()) as Person, etag: response.headers.get('etag') ?? '' };
  }

  async updatePerson(id: string, patch: PersonPatch, ifMatch: string): Promise<Response> {
    return this.call('PATCH', `/api/v1/people/${id}`, { json: patch, headers: { 'if-match': ifMatch } });
  }

  async issueBatch(request: BulkIssue, idempotencyKey: string): Promise<Response> {
    return this.call('POST', '/api/v1/access-codes/bulk', {
      json: request,
      headers: { 'idempotency-key': idempotencyKey, accept: 'application/json' },
    });
  }

  async deactivate(id: string): Promise<Person> {
    return (await expectStatus(await this.call('POST', `/api/v1/people/${id}/deactivate`), 200)).json();
  }

  async reactivate(id: string): Promise<Person> {
    return (await expectStatus(await this.call('POST', `/api/v1/people/${id}/reactivate`), 200)).json();
  }
}

async function expectStatus(response: Response, status: number): Promise<Response> {
  if (response.status !== status) {
    throw new Error(`${response.url}: expected ${status}, got ${response.status}: ${await response.text()}`);
  }
  return response;
}

export async function runIntegration(base: string, token: string, key: string): Promise<IntegrationResult> {
  const client = new KeyslipClient(base, token);
  const csv = [
    'name,employeeId,department,title',
    `Ines Import,${key}-1,Integration ${key},Picker`,
    `Jon Import,${key}-2,Integration ${key},Driver`,
    `Kim Import,${key}-3,Integration ${key},`,
    '',
  ].join('\n');
  const imported = await client.importPeople(csv);
  const reimported = await client.importPeople(csv);
  const found = (await client.listPeople({ employeeId: `${key}-2` })).items;
  const jon = found[0];
  if (!jon) throw new Error('the imported person was not found by employee id');

  const request: BulkIssue = { filter: { department: `Integration ${key}` } };
  const first = await client.issueBatch(request, `hr-sync-${key}`);
  const firstCodes = first.status === 201 ? ((await first.json()) as BatchCodes) : null;
  const replay = await client.issueBatch(request, `hr-sync-${key}`);
  const replayCodes = replay.status === 200 ? ((await replay.json()) as BatchCodes) : null;
  const codesOf = (batch: BatchCodes | null): string[] => (batch?.items ?? []).map((item) => item.code).sort();

  const { etag } = await client.getPerson(jon.id);
  const edited = await client.updatePerson(jon.id, { title: 'Lead driver' }, etag);
  const editedPerson = edited.status === 200 ? ((await edited.json()) as Person) : null;
  const stale = await client.updatePerson(jon.id, { title: 'Someone else' }, etag);
  const staleError = stale.status === 412 ? ((await stale.json()) as ApiError) : null;

  await client.deactivate(jon.id);
  const reactivated = await client.reactivate(jon.id);

  return {
    imported,
    reimported,
    found,
    batch: {
      status: first.status,
      count: firstCodes?.batch.count ?? 0,
      replayStatus: replay.status,
      replayed: replay.headers.get('idempotent-replayed'),
      sameCodes: codesOf(firstCodes).join() === codesOf(replayCodes).join() && codesOf(firstCodes).length > 0,
    },
    edit: {
      status: edited.status,
      title: editedPerson?.title ?? null,
      staleStatus: stale.status,
      staleCode: staleError?.error.code ?? null,
    },
    reactivated,
  };
}
