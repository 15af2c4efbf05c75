import type { BlockList } from 'node:net';
import { type ClientCertificate, parseForwardedCertificate } from '../core/auth/certificate.js';
import { BoundedMap } from '../core/bounded-map.js';
import { LogThrottle } from '../core/log-throttle.js';
import { inNetworks, networkList } from '../core/networks.js';
import type { ServiceContext } from './context.js';

/** No certificate: an empty header, or RFC 9440's empty byte sequence (HAProxy's answer for a client without one). */
const EMPTY = /^\s*(::)?\s*$/;

/**
 * Clients' TLS certificates (mutual TLS, RFC 8705), as the TLS-terminating proxies in front of this server forward
 * them in a header (CLIENT_CERT_HEADER). The header is believed only on a connection from one of those proxies
 * (CLIENT_CERT_PROXIES): from anywhere else it is ignored, or any client could name any certificate, as certificates
 * are public. Parsed certificates are kept by the header's exact text.
 */
export class ClientCertificateSource {
  readonly header: string;
  readonly #proxies: BlockList;
  readonly #parsed = new BoundedMap<string, ClientCertificate | null>(1_000);
  readonly #notFromProxy: LogThrottle;
  readonly #unreadable: LogThrottle;

  constructor(
    private readonly ctx: ServiceContext,
    settings: { header: string; proxies: string[] },
  ) {
    this.header = settings.header;
    this.#proxies = networkList(settings.proxies);
    this.#notFromProxy = new LogThrottle(60_000, () => ctx.clock.now());
    this.#unreadable = new LogThrottle(60_000, () => ctx.clock.now());
  }

  /**
   * The certificate a proxy forwarded (`value`, the header's, sent `times` times) on a connection from `peer`; null
   * without one (an empty value, or RFC 9440's empty `::`), from a connection that is not a proxy's, or when it does
   * not parse (both logged, once a minute at most).
   */
  fromProxy(
    value: string | string[] | undefined,
    peer: string | undefined,
    times: number,
  ): ClientCertificate | null {
    if (value === undefined || (typeof value === 'string' && EMPTY.test(value))) return null;
    if (peer === undefined || !inNetworks(this.#proxies, peer)) {
      const heldBack = this.#notFromProxy.admit();
      if (heldBack !== null)
        this.ctx.log.warn(
          { peer, header: this.header, heldBack },
          'a client certificate header came from an address not in CLIENT_CERT_PROXIES: ignored',
        );
      return null;
    }
    // A proxy writes the header once; two are a request that came with its own, which the proxy let through.
    if (typeof value !== 'string' || times !== 1) return this.#refused('the header came more than once');
    const known = this.#parsed.get(value);
    if (known !== undefined) return known;
    const parsed = parseForwardedCertificate(value);
    if (parsed === null) return this.#refused('it is not a certificate');
    this.#parsed.set(value, parsed);
    return parsed;
  }

  #refused(why: string): null {
    const heldBack = this.#unreadable.admit();
    if (heldBack !== null)
      this.ctx.log.warn(
        { header: this.header, heldBack },
        `the client certificate forwarded by a proxy was ignored: ${why}`,
      );
    return null;
  }
}
