// The SCIM service's self-description (RFC 7643 §5–§7, RFC 7644 §4): ServiceProviderConfig,
// Schemas and ResourceTypes, saying exactly what Keyslip does and does not support, with the
// URNs every other SCIM file uses. Only the attributes Keyslip maps (SPEC §10) are described.
export const SCIM_PREFIX = '/scim/v2';
export const SCIM_MEDIA_TYPE = 'application/scim+json';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const KEYSLIP_SCHEMA = 'urn:keyslip:params:scim:schemas:extension:keyslip:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/** The most resources one page returns, and the default page size. */
export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
/** A SCIM body's largest size (a group PUT with thousands of members fits). */
export const SCIM_BODY_LIMIT = 1024 * 1024;

type Json = Record<string, unknown>;

interface AttributeOptions {
  type?: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'never' | 'default' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  subAttributes?: Json[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

function attribute(name: string, description: string, options: AttributeOptions = {}): Json {
  return {
    name,
    type: options.type ?? 'string',
    multiValued: options.multiValued ?? false,
    description,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
    ...(options.canonicalValues ? { canonicalValues: options.canonicalValues } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  };
}

const USER_ATTRIBUTES = [
  attribute('userName', "Keyslip's username: 3–64 of a-z 0-9 . _ -, starting with a letter or digit.", {
    required: true,
    uniqueness: 'server',
  }),
  attribute('name', 'The name parts; Keyslip keeps one display name.', {
    type: 'complex',
    subAttributes: [
      attribute('formatted', 'The full name (used as the name when displayName is absent).'),
      attribute('givenName', 'Given name.'),
      attribute('familyName', 'Family name.'),
    ],
  }),
  attribute('displayName', "The person's name as Keyslip shows it."),
  attribute('title', 'Job title.'),
  attribute('active', 'false deactivates the account (code voided, sessions ended); true reactivates.', {
    type: 'boolean',
  }),
  attribute('emails', 'One email address (the primary one is kept).', {
    multiValued: true,
    type: 'complex',
    uniqueness: 'server',
    subAttributes: [
      attribute('value', 'The address.'),
      attribute('type', 'Always work.', { canonicalValues: ['work'] }),
      attribute('primary', 'Always true.', { type: 'boolean' }),
    ],
  }),
  attribute('roles', "Keyslip's role; only settable when KEYSLIP_SCIM_MANAGES_ROLES is true.", {
    multiValued: true,
    type: 'complex',
    subAttributes: [
      attribute('value', 'member, manager or admin.', { canonicalValues: ['member', 'manager', 'admin'] }),
      attribute('primary', 'Always true.', { type: 'boolean' }),
    ],
  }),
];

const ENTERPRISE_ATTRIBUTES = [
  attribute('employeeNumber', "Keyslip's employee id (unique when present).", { uniqueness: 'server' }),
  attribute('department', 'Department.'),
];

const KEYSLIP_ATTRIBUTES = [
  attribute('status', 'unclaimed, active or deactivated.', {
    mutability: 'readOnly',
    canonicalValues: ['unclaimed', 'active', 'deactivated'],
  }),
  attribute('codeState', 'The state of the access code (never the code): none, active, used, deactivated, expired.', {
    mutability: 'readOnly',
    canonicalValues: ['none', 'active', 'used', 'deactivated', 'expired'],
  }),
  attribute('codeExpiresAt', 'When an active access code expires.', { type: 'dateTime', mutability: 'readOnly' }),
];

const GROUP_ATTRIBUTES = [
  attribute('displayName', "The area's name (unique, compared without regard to case).", {
    required: true,
    uniqueness: 'server',
  }),
  attribute('members', "The area's members (people; a group cannot hold a group).", {
    multiValued: true,
    type: 'complex',
    subAttributes: [
      attribute('value', "The member's id.", { mutability: 'immutable', caseExact: true }),
      attribute('display', "The member's name.", { mutability: 'readOnly' }),
      attribute('$ref', "The member's URI.", { type: 'reference', mutability: 'readOnly', referenceTypes: ['User'] }),
    ],
  }),
];

function schema(id: string, name: string, description: string, attributes: Json[], baseUrl: string): Json {
  return {
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}${SCIM_PREFIX}/Schemas/${id}` },
  };
}

export function schemaDocuments(baseUrl: string): Json[] {
  return [
    schema(USER_SCHEMA, 'User', 'A person of the Keyslip directory.', USER_ATTRIBUTES, baseUrl),
    schema(GROUP_SCHEMA, 'Group', 'An area (a store, a ward, a depot).', GROUP_ATTRIBUTES, baseUrl),
    schema(ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES, baseUrl),
    schema(KEYSLIP_SCHEMA, 'KeyslipUser', 'Keyslip account state (read-only).', KEYSLIP_ATTRIBUTES, baseUrl),
  ];
}

export function resourceTypeDocuments(baseUrl: string): Json[] {
  const meta = (id: string): Json => ({
    resourceType: 'ResourceType',
    location: `${baseUrl}${SCIM_PREFIX}/ResourceTypes/${id}`,
  });
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'People',
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_SCHEMA, required: false },
        { schema: KEYSLIP_SCHEMA, required: false },
      ],
      meta: meta('User'),
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Areas',
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: meta('Group'),
    },
  ];
}

export function serviceProviderConfig(baseUrl: string, options: { etag: boolean }): Json {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: options.etag },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A SCIM token made with `keyslip token create --scim --name NAME`.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}${SCIM_PREFIX}/ServiceProviderConfig` },
  };
}
