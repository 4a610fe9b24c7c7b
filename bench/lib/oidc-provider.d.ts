// node-oidc-provider ships no types; this declares the little of it the anchor benchmark uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Model {
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: never[]) => void): this;
    Client: { find(id: string): Promise<unknown> };
    Grant: new (fields: { accountId: string; clientId: string }) => Model & {
      addOIDCScope(scope: string): void;
    };
    RefreshToken: new (fields: Record<string, unknown>) => Model;
  }
}
