// The tables as Kysely sees them. Times are integers: milliseconds since the Unix epoch, the same
// on SQLite (INTEGER) and PostgreSQL (BIGINT, parsed back to number in database.ts).
export type PersonRole = 'member' | 'manager' | 'admin';
export type PersonStatus = 'unclaimed' | 'active' | 'deactivated';
/** The person's latest access code, as the directory shows and filters it. */
export type PersonCodeState = 'none' | 'active' | 'used' | 'deactivated';

export interface PeopleTable {
  id: string;
  name: string;
  username: string | null;
  email: string | null;
  employee_id: string | null;
  department: string | null;
  location: string | null;
  title: string | null;
  role: PersonRole;
  status: PersonStatus;
  password_hash: string | null;
  /** Lower-cased name, username, email and employee id, for fragment search. */
  search_text: string;
  failed_sign_ins: number;
  last_failed_sign_in_at: number | null;
  created_at: number;
  updated_at: number;
  claimed_at: number | null;
  last_sign_in_at: number | null;
  deactivated_at: number | null;
}

/**
 * A person's code state: a copy of their latest code's, written in the transaction of every code
 * change; 'none' from the person's creation until their first code. One row per person, in a table
 * of its own so that issuing a code does not rewrite the person (migration 0014).
 */
export interface PersonCodeStatesTable {
  person_id: string;
  state: PersonCodeState;
  /** The active code's expiry; null for a used or deactivated one. */
  expires_at: number | null;
}

/** A person with their code state, as the directory reads them (people joined with person_code_states). */
export type PersonRow = PeopleTable & {
  code_state: PersonCodeState;
  code_expires_at: number | null;
};

export type AccessCodeKind = 'claim' | 'recovery';

export interface AccessCodesTable {
  id: string;
  person_id: string;
  /** HMAC-SHA-256 of the normalised code under the key `key_id` (base64url). */
  code_hash: string;
  key_id: string;
  kind: AccessCodeKind;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  deactivated_at: number | null;
  replaced_at: number | null;
  issued_by: string | null;
  batch_id: string | null;
  /** The code encrypted with the server key, only while its batch may be downloaded; then NULL. */
  code_encrypted: string | null;
  /**
   * The batch whose code replaced this one (so undoing the batch while it is still issuing can
   * restore this code). Absent from rows written before migration 0011.
   */
  replaced_by?: string | null;
}

export interface SessionsTable {
  /** SHA-256 of the session id; the id itself is only in the cookie. */
  id_hash: string;
  person_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  /** The admin who made it (person id), or NULL for the CLI. */
  created_by: string | null;
  /** Who made it, as shown: the admin's username (or name) at the time, or 'cli'. */
  owner_label: string;
  created_at: number;
  /** NULL only if a row escaped migration 0004: such a token never authenticates. */
  expires_at: number | null;
  /** Written at most once a minute per token, not on every request. */
  last_used_at: number | null;
  revoked_at: number | null;
  /** 'admin' (the API) or 'scim' (only /scim/v2): migration 0006. */
  kind: ApiTokenKind;
}

export type ApiTokenKind = 'admin' | 'scim';

export interface AuditEventsTable {
  id: string;
  at: number;
  action: string;
  actor_id: string | null;
  actor_label: string;
  person_id: string | null;
  /** JSON object with non-secret details. */
  details: string;
  ip: string | null;
  /** The area the entry concerns (SPEC §9): every entry a manager causes names one. */
  area_id: string | null;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

export interface BatchesTable {
  id: string;
  created_by: string | null;
  created_at: number;
  filter: string;
  count: number;
  idempotency_key: string | null;
  request_hash: string | null;
  download_until: number;
  erased_at: number | null;
  /**
   * Who issued the batch, as the audit log names them, when its code rows are the per-person
   * record (no audit entry per code); null when each code has its own audit entry.
   */
  actor_label: string | null;
  /** 'issuing' while its chunks are written (its codes do not work yet), then 'issued'. */
  state: BatchState;
  /** While issuing: the lease of the instance writing it; past it, any instance may undo the batch. */
  issuing_until: number | null;
}

export type BatchState = 'issuing' | 'issued';

/** A chunk of a batch's codes, sealed together (migration 0011); erased with the download window. */
export interface BatchCodeChunksTable {
  batch_id: string;
  seq: number;
  first_code_id: string;
  last_code_id: string;
  sealed: string;
}

/** An area (SPEC §9): a store, a ward, a depot. */
export interface AreasTable {
  id: string;
  name: string;
  /** The name folded (NFKC, lower case, trimmed): unique, so "Store 12" and "store 12" are one area. */
  name_key: string;
  created_at: number;
  updated_at: number;
}

/** A person's place in an area: area_members for members, area_managers for its managers. */
export interface AreaPeopleTable {
  area_id: string;
  person_id: string;
  added_at: number;
}

/** What a SCIM client keeps about a person beyond the directory's own columns (SPEC §10). */
export interface ScimUsersTable {
  person_id: string;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  /** A SCIM DELETE: the person is deactivated and no longer visible through SCIM. */
  deleted_at: number | null;
  updated_at: number;
}

/** A SCIM group's externalId; the group itself is an area. */
export interface ScimGroupsTable {
  area_id: string;
  external_id: string | null;
}

/** A worker's request for a new access code (migration 0009): open until a code is issued after it. */
export interface CodeRequestsTable {
  person_id: string;
  requested_at: number;
  first_requested_at: number;
  times: number;
}

/** One piece of oidc-provider state (SPEC §8): the adapter in src/oidc/oidc.adapter.ts. */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  /** The JSON document oidc-provider saved (without `consumed`, which is consumed_at). */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  /** The person (sub) a session, grant or token belongs to, so ending a person's access can find them. */
  account_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface OidcKeysTable {
  kid: string;
  alg: 'RS256' | 'ES256';
  /** The private JWK, AES-256-GCM under a key derived from KEYSLIP_SECRET. */
  private_jwk_encrypted: string;
  created_at: number;
  /** When a newer key took over signing; the public key stays published for a while after. */
  retired_at: number | null;
}

export interface OidcClientsTable {
  client_id: string;
  name: string;
  /** SHA-256 (base64url) of the 256-bit client secret; null for a public client. */
  secret_hash: string | null;
  /** JSON array of exact redirect URIs. */
  redirect_uris: string;
  /** JSON array of exact post-logout redirect URIs. */
  post_logout_redirect_uris: string;
  backchannel_logout_uri: string | null;
  first_party: number;
  public: number;
  synthetic_email_domain: string | null;
  launch_url: string | null;
  created_at: number;
  created_by: string | null;
}

export interface OidcLogoutOutboxTable {
  id: string;
  client_id: string;
  person_id: string;
  /** The OIDC session id the app knows (the ID token's `sid`), when there was one. */
  sid: string | null;
  uri: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  gave_up_at: number | null;
  /** Why the last attempt failed (HTTP status or network error); never a token. */
  last_problem: string | null;
}

export type AdminCodeRequestStatus = 'pending' | 'approved' | 'declined' | 'expired' | 'issued';

/** A code for an admin account, asked for by one admin and approved by another (SPEC §9). */
export interface AdminCodeRequestsTable {
  id: string;
  /** The admin account the code is for. */
  person_id: string;
  requested_by: string;
  requested_at: number;
  /** Pending: the end of the 24 hours to approve. Approved: the end of the requester's time to collect. */
  expires_at: number;
  status: AdminCodeRequestStatus;
  decided_by: string | null;
  decided_at: number | null;
  issued_at: number | null;
  lifetime_hours: number | null;
}

/** Which instance runs a background job until when (migration 0008). */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** Failed attempts past the audited limit, counted per address group and window (migration 0008). */
export interface AuditTalliesTable {
  action: string;
  address: string;
  window_start: number;
  count: number;
  first_at: number;
  last_at: number;
}

export interface Database {
  people: PeopleTable;
  person_code_states: PersonCodeStatesTable;
  access_codes: AccessCodesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  rate_limits: RateLimitsTable;
  batches: BatchesTable;
  batch_code_chunks: BatchCodeChunksTable;
  oidc_payloads: OidcPayloadsTable;
  oidc_keys: OidcKeysTable;
  oidc_clients: OidcClientsTable;
  oidc_logout_outbox: OidcLogoutOutboxTable;
  areas: AreasTable;
  code_requests: CodeRequestsTable;
  area_members: AreaPeopleTable;
  area_managers: AreaPeopleTable;
  scim_users: ScimUsersTable;
  scim_groups: ScimGroupsTable;
  admin_code_requests: AdminCodeRequestsTable;
  api_idempotency: ApiIdempotencyTable;
  erased_people: ErasedPeopleTable;
  leases: LeasesTable;
  audit_tallies: AuditTalliesTable;
}

/**
 * An API request made with an Idempotency-Key (migration 0007): its first answer, sealed with the
 * server key (an issued code is in it), kept until answer_until; the key itself until expires_at.
 * status 0: the first request is still being handled.
 */
export interface ApiIdempotencyTable {
  owner: string;
  idempotency_key: string;
  request_hash: string;
  status: number;
  answer: string | null;
  person_id: string | null;
  created_at: number;
  answer_until: number;
  expires_at: number;
}

/** A person whose personal data was erased (migration 0007): never reactivated or edited again. */
export interface ErasedPeopleTable {
  person_id: string;
  erased_at: number;
}
