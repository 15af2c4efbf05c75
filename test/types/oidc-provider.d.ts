/** The part of `oidc-provider` (which ships no types) that the single sign-on tests use. */
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  export interface KoaContextWithOIDC {
    oidc: {
      client?: { clientId: string };
      session?: { accountId?: string };
      provider: Provider;
    };
  }

  interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    Grant: new (properties: {
      clientId: string;
      accountId: string;
    }) => Grant;
    listen(port: number, host: string): Server;
    /** Its events (an EventEmitter): `backchannel.success`, `backchannel.error`, … */
    on(event: string, listener: (...args: never[]) => void): this;
  }
}
