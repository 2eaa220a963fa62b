// keyslip clients create | list | delete — the apps that sign people in with Keyslip (SPEC §8).
import { parseArgs } from 'node:util';
import { CLI_ACTOR } from '../audit/audit.js';
import { createOidcClient, deleteOidcClient, listOidcClients } from '../oidc/oidc-clients.service.js';
import { required, UsageError } from './usage.js';
import { withRuntime } from './with-runtime.js';

export async function clientsCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      'synthetic-email-domain': { type: 'string' },
      'launch-url': { type: 'string' },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const name = required(values.name, '--name');
  const redirectUris = values['redirect-uri'] ?? [];
  if (redirectUris.length === 0) throw new UsageError('--redirect-uri is required (repeat it for several).');
  return withRuntime(async ({ deps }) => {
    const { client, clientSecret } = await createOidcClient(
      deps,
      {
        name,
        redirectUris,
        postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
        backchannelLogoutUri: values['backchannel-logout-uri'] ?? null,
        syntheticEmailDomain: values['synthetic-email-domain'] ?? null,
        launchUrl: values['launch-url'] ?? null,
        public: values.public === true,
        firstParty: values['first-party'] === true,
      },
      CLI_ACTOR,
    );
    const issuer = deps.config.baseUrl;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ clientId: client.clientId, clientSecret, issuer, client })}\n`);
      return 0;
    }
    const lines = [`client_id:     ${client.clientId}`];
    if (clientSecret)
      lines.push(
        `client_secret: ${clientSecret}`,
        'The client secret is shown only this once; Keyslip keeps only its hash.',
      );
    lines.push(`issuer:        ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}

export async function clientsList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withRuntime(async ({ deps }) => {
    const clients = await listOidcClients(deps);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ items: clients })}\n`);
      return 0;
    }
    if (clients.length === 0)
      process.stdout.write('No apps yet. Add one with: keyslip clients create --name NAME --redirect-uri URI\n');
    for (const client of clients) {
      const kind = [client.public ? 'public' : 'confidential', client.firstParty ? 'first-party' : 'third-party'].join(
        ', ',
      );
      process.stdout.write(`${client.clientId}  ${client.name}  (${kind})  ${client.redirectUris.join(' ')}\n`);
    }
    return 0;
  });
}

export async function clientsDelete(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const clientId = required(positionals[0], 'The client id');
  return withRuntime(async ({ deps }) => {
    await deleteOidcClient(deps, clientId, CLI_ACTOR);
    process.stdout.write(`Deleted app ${clientId}.\n`);
    return 0;
  });
}
