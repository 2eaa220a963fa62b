// The slice of oidc-provider (9.x, which ships without types) that Keyslip uses. Kept small on
// purpose: the library is reached only through src/oidc/.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  export interface PromptDetail {
    name: 'login' | 'consent' | string;
    reasons: string[];
    details: UnknownObject & {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  }

  export interface InteractionDetails {
    uid: string;
    iat: number;
    exp: number;
    returnTo: string;
    prompt: PromptDetail;
    params: UnknownObject & {
      client_id?: string;
      scope?: string;
      ui_locales?: string;
      login_hint?: string;
      max_age?: number | string;
    };
    session?: { accountId: string; uid: string; cookie: string };
    grantId?: string;
    lastSubmission?: UnknownObject;
  }

  export interface InteractionResults {
    login?: { accountId: string; ts?: number; amr?: string[]; acr?: string; remember?: boolean };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    readonly jti: string;
    accountId: string;
    clientId: string;
    getOIDCScope(): string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(ttl?: number): Promise<string>;
    static find(id: string): Promise<Grant | undefined>;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientSecret?: string;
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  }

  export interface ProviderClientClass {
    prototype: ClientInstance;
    find(id: string): Promise<ClientInstance | undefined>;
  }

  export interface KoaContextLike {
    oidc: {
      client?: ClientInstance;
      session?: UnknownObject & {
        accountId?: string;
        grantIdFor(clientId: string, grantId?: string): string | undefined;
      };
      params?: UnknownObject;
      result?: InteractionResults;
      provider: Provider;
      entities: UnknownObject;
      route?: string;
    };
    ip?: string;
  }

  export default class Provider {
    constructor(issuer: string, configuration: UnknownObject);
    proxy: boolean;
    readonly issuer: string;
    readonly Grant: typeof Grant;
    readonly Client: ProviderClientClass;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  export const errors: {
    InvalidGrant: new (description: string) => Error;
    AccessDenied: new (description: string) => Error;
  };
}
