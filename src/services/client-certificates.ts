import type { BlockList } from 'node:net';
import {
  type ClientCertificate,
  parseDerCertificate,
  parseForwardedCertificate,
} from '../core/auth/certificate.js';
import { BoundedMap } from '../core/bounded-map.js';
import { LogThrottle } from '../core/log-throttle.js';
import { inNetworks, networkList } from '../core/networks.js';
import type { ServiceContext } from './context.js';

/** No certificate: an empty header, or RFC 9440's empty byte sequence (HAProxy's answer for a client without one). */
const EMPTY = /^\s*(::)?\s*$/;

/** A connection as far as its TLS client certificate goes (a `tls.TLSSocket`; a plain socket has no such method). */
export interface PeerCertificateSocket {
  getPeerX509Certificate?(): { raw: Buffer } | undefined;
}

/**
 * Clients' TLS certificates (mutual TLS, RFC 8705), from one of two places:
 * - the TLS-terminating proxies in front of this server, which forward them in a header (CLIENT_CERT_HEADER). The
 *   header is believed only on a connection from one of those proxies (CLIENT_CERT_PROXIES): from anywhere else it
 *   is ignored, or any client could name any certificate, as certificates are public. Parsed certificates are kept by
 *   the header's exact text;
 * - this server's own TLS connections, when it serves HTTPS and asks for them (TLS_CLIENT_CERTIFICATES=request): the
 *   certificate the client presented in the handshake, read once per connection.
 * A request from a proxy takes the header alone (the proxy's own TLS certificate, if any, is not the client's).
 */
export class ClientCertificateSource {
  /** The header proxies forward certificates in (lower case); null when none is taken from proxies. */
  readonly header: string | null;
  readonly #proxies: BlockList | null;
  readonly #fromTls: boolean;
  readonly #parsed = new BoundedMap<string, ClientCertificate | null>(1_000);
  readonly #byConnection = new WeakMap<object, ClientCertificate | null>();
  /** The last certificate a proxy's connection forwarded, with the header's text. */
  readonly #lastForwarded = new WeakMap<object, { value: string; certificate: ClientCertificate | null }>();
  readonly #notFromProxy: LogThrottle;
  readonly #unreadable: LogThrottle;

  constructor(
    private readonly ctx: ServiceContext,
    settings: { forwarded: { header: string; proxies: string[] } | null; fromTls: boolean },
  ) {
    this.header = settings.forwarded?.header ?? null;
    this.#proxies = settings.forwarded ? networkList(settings.forwarded.proxies) : null;
    this.#fromTls = settings.fromTls;
    this.#notFromProxy = new LogThrottle(60_000, () => ctx.clock.now());
    this.#unreadable = new LogThrottle(60_000, () => ctx.clock.now());
  }

  /**
   * The client certificate of a request on `connection` from `peer`, whose header (`value`, sent `times` times)
   * may carry one a proxy forwarded; null without one (an empty value, RFC 9440's empty `::`, a connection that
   * presented none), for a header from a connection that is not a proxy's, or one that does not parse (both logged,
   * once a minute at most).
   */
  of(
    peer: string | undefined,
    connection: PeerCertificateSocket,
    value: string | string[] | undefined,
    times: number,
  ): ClientCertificate | null {
    if (this.#proxies !== null && peer !== undefined && inNetworks(this.#proxies, peer))
      return this.#forwarded(connection, value, times);
    if (value !== undefined && !(typeof value === 'string' && EMPTY.test(value))) {
      const heldBack = this.#notFromProxy.admit();
      if (heldBack !== null)
        this.ctx.log.warn(
          { peer, header: this.header, heldBack },
          'a client certificate header came from an address not in CLIENT_CERT_PROXIES: ignored',
        );
    }
    return this.#fromTls ? this.#presented(connection) : null;
  }

  #forwarded(
    connection: object,
    value: string | string[] | undefined,
    times: number,
  ): ClientCertificate | null {
    if (value === undefined || (typeof value === 'string' && EMPTY.test(value))) return null;
    // A proxy writes the header once; two are a request that came with its own, which the proxy let through.
    if (typeof value !== 'string' || times !== 1) return this.#refused('the header came more than once');
    // The proxy's connection most often carries the same client's requests one after the other: comparing the text
    // with the last one's costs less than hashing it for the map (about 1 µs for a PEM certificate).
    const last = this.#lastForwarded.get(connection);
    if (last !== undefined && last.value === value) return last.certificate;
    let certificate = this.#parsed.get(value);
    if (certificate === undefined) {
      const parsed = parseForwardedCertificate(value);
      if (parsed === null) return this.#refused('it is not a certificate');
      this.#parsed.set(value, parsed);
      certificate = parsed;
    }
    this.#lastForwarded.set(connection, { value, certificate });
    return certificate;
  }

  /** The certificate the client presented in this connection's TLS handshake (renegotiation is refused). */
  #presented(connection: PeerCertificateSocket): ClientCertificate | null {
    const known = this.#byConnection.get(connection);
    if (known !== undefined) return known;
    const raw = connection.getPeerX509Certificate?.()?.raw;
    const parsed = raw === undefined ? null : parseDerCertificate(raw);
    if (raw !== undefined && parsed === null) this.#refused('the TLS client certificate does not parse');
    this.#byConnection.set(connection, parsed);
    return parsed;
  }

  #refused(why: string): null {
    const heldBack = this.#unreadable.admit();
    if (heldBack !== null)
      this.ctx.log.warn({ header: this.header, heldBack }, `a client certificate was ignored: ${why}`);
    return null;
  }
}
