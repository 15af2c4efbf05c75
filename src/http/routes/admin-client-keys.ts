import { Type } from 'typebox';
import { parseForwardedCertificate } from '../../core/auth/certificate.js';
import { TLS_SUBJECT_MEMBERS } from '../../core/auth/tls-subject.js';
import { viewOfTrustedCa } from '../../core/auth/trusted-cas.js';
import { AppError } from '../../core/errors.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import {
  ASSERTION_ALGORITHMS,
  type ClientKeyView,
  clientKeyAudit,
  MAX_CLIENT_KEYS,
} from '../../services/client-keys.js';
import { operatorActor } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import { iso, Time } from './times.js';

const AccountParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }) });
const KeyParams = Type.Object({
  accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }),
  kid: Type.String({ minLength: 1, maxLength: 128 }),
});
const Base64url = Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 1024 });

const KeyView = Type.Object({
  kid: Type.String({ description: "the key's id: its kid, or else its RFC 7638 thumbprint" }),
  alg: Type.String({ description: 'the algorithm its assertions are signed with' }),
  type: Type.String({ description: '`RSA 2048 bits`, `EC P-256` or `OKP Ed25519`' }),
  jwk: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'the public key as kept (JWK); absent for a certificate subject',
    }),
  ),
  tlsClientAuth: Type.Optional(
    Type.Object(
      {
        member: Type.Union([
          Type.Literal('tls_client_auth_subject_dn'),
          Type.Literal('tls_client_auth_san_dns'),
          Type.Literal('tls_client_auth_san_uri'),
          Type.Literal('tls_client_auth_san_ip'),
          Type.Literal('tls_client_auth_san_email'),
        ]),
        value: Type.String(),
      },
      {
        description:
          'a certificate subject (alg tls_client_auth, RFC 8705 §2.1): a client certificate issued by a CA of CLIENT_CA_FILE with this subject DN or subjectAltName entry authenticates the client',
      },
    ),
  ),
  certificate: Type.Optional(
    Type.Object(
      {
        thumbprint: Type.String({
          description: 'RFC 8705 x5t#S256: base64url SHA-256 of the DER certificate',
        }),
        subject: Type.String(),
        notBefore: Time,
        notAfter: Time,
      },
      {
        description:
          'the certificate of the key (its x5c), with which the client may authenticate in TLS (self_signed_tls_client_auth, RFC 8705)',
      },
    ),
  ),
  createdAt: Time,
  lastUsedAt: Type.Union([Time, Type.Null()], {
    description:
      'when it last authenticated the client (an assertion verified with it, its certificate or a certificate of the subject presented), to the minute; null: never',
  }),
});
const keyView = ({ certificate, ...key }: ClientKeyView) => ({
  ...key,
  ...(certificate && {
    certificate: {
      ...certificate,
      notBefore: iso(certificate.notBefore),
      notAfter: iso(certificate.notAfter),
    },
  }),
  createdAt: iso(key.createdAt),
  lastUsedAt: iso(key.lastUsedAt),
});

/**
 * An account's public keys for `private_key_jwt` (RFC 7523 client authentication at the OAuth endpoints): listed for
 * every operator of the account (public keys are no secret), added and removed by its admins, each change audited.
 */
export async function adminClientKeyRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const keys = services.clients.keys;

  app.get(
    '/api/admin/accounts/:accountId/client-keys',
    {
      onRequest: auth.operator('viewer'),
      schema: {
        tags: ['admin'],
        summary:
          "The account's public keys for signed client assertions (private_key_jwt, RFC 7523), oldest first",
        params: AccountParams,
        response: { 200: Type.Array(KeyView) },
      },
    },
    async (request) => {
      await services.accounts.require(request.params.accountId);
      return (await keys.list(request.params.accountId)).map(keyView);
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/client-keys',
    {
      onRequest: auth.operator(),
      schema: {
        tags: ['admin'],
        summary:
          'Adds a public key the account’s client signs its assertions with (private_key_jwt), or a certificate subject (tls_client_auth)',
        description: `Body: \`{"jwk": {…}}\` or \`{"tlsClientAuth": {…}}\`. A JWK: a public JWK: EC P-256 (ES256), OKP Ed25519 (EdDSA) or RSA of 2,048 bits or more (RS256, or PS256 with \`"alg": "PS256"\`). Named by its \`kid\`, or else by its RFC 7638 thumbprint. A private key is refused (400), never stored. ${MAX_CLIENT_KEYS} keys at most per account. From then on, the account's client may authenticate at the OAuth endpoints with \`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer\` and a \`client_assertion\` signed with the private key (${ASSERTION_ALGORITHMS.join(', ')}). With \`x5c\` (base64 DER certificates, the key's first; or \`x5c\` alone, the key read from its certificate), the client may also authenticate with that certificate in TLS (\`self_signed_tls_client_auth\`, RFC 8705), and its tokens are bound to it; an expired certificate is refused. A certificate subject, when the server trusts CAs (CLIENT_CA_FILE; else 400): one RFC 8705 §2.1.2 member — \`tls_client_auth_subject_dn\` (RFC 4514, such as \`CN=billing-bot,O=Acme,C=US\`), \`tls_client_auth_san_dns\`, \`tls_client_auth_san_uri\`, \`tls_client_auth_san_ip\` or \`tls_client_auth_san_email\` — and an optional \`kid\` (else the SHA-256 of the member and value): any certificate a trusted CA issued with that subject DN or subjectAltName entry then authenticates the client with \`client_id\` alone (\`tls_client_auth\`), its tokens bound to that certificate. It counts among the ${MAX_CLIENT_KEYS}.`,
        params: AccountParams,
        body: Type.Object(
          {
            tlsClientAuth: Type.Optional(
              Type.Object(
                {
                  ...Object.fromEntries(
                    TLS_SUBJECT_MEMBERS.map((m) => [m, Type.Optional(Type.String({ maxLength: 1024 }))]),
                  ),
                  kid: Type.Optional(Type.String({ maxLength: 128 })),
                },
                { additionalProperties: false },
              ),
            ),
            jwk: Type.Optional(
              Type.Object(
                {
                  kty: Type.Optional(Type.String({ maxLength: 8 })),
                  crv: Type.Optional(Type.String({ maxLength: 16 })),
                  x: Type.Optional(Base64url),
                  y: Type.Optional(Base64url),
                  n: Type.Optional(Base64url),
                  e: Type.Optional(Base64url),
                  kid: Type.Optional(Type.String({ maxLength: 128 })),
                  alg: Type.Optional(Type.String({ maxLength: 16 })),
                  use: Type.Optional(Type.String({ maxLength: 8 })),
                  x5c: Type.Optional(
                    Type.Array(Type.String({ pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 16_384 }), {
                      minItems: 1,
                      maxItems: 10,
                    }),
                  ),
                },
                // Other members (key_ops, and a private key's d…) are looked at, and a private key refused.
                { additionalProperties: true, maxProperties: 32 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: KeyView },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      const { jwk, tlsClientAuth } = request.body;
      if ((jwk === undefined) === (tlsClientAuth === undefined))
        throw new AppError(
          'validation_failed',
          'send one of jwk (a public key) and tlsClientAuth (a certificate subject)',
        );
      await services.accounts.require(accountId);
      const added = jwk
        ? await keys.add(accountId, jwk)
        : await keys.addSubject(accountId, tlsClientAuth ?? {});
      await recordAudit(
        services.ctx,
        operatorActor(request),
        accountId,
        'client-key.added',
        clientKeyAudit(added),
      );
      return reply.code(201).send(keyView(added));
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/client-keys/check',
    {
      onRequest: auth.operator('viewer'),
      schema: {
        tags: ['admin'],
        summary: 'What a client certificate would do for the account’s client over mutual TLS, and why',
        description:
          'Body: `{"certificate": "<PEM>"}` (or base64 DER). Says whether `client_id` alone with this certificate over mutual TLS gets a token now: as one of the account’s keys (self_signed_tls_client_auth) or by one of its certificate subjects under a CA of CLIENT_CA_FILE (tls_client_auth), which key or subject, which CA; else why not. Changes nothing. For setting up and debugging a client; a certificate is public, so viewers may ask.',
        params: AccountParams,
        body: Type.Object(
          { certificate: Type.String({ minLength: 1, maxLength: 16_384 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            thumbprint: Type.String({ description: 'x5t#S256' }),
            subject: Type.String(),
            subjectAltName: Type.Union([Type.String(), Type.Null()]),
            notBefore: Time,
            notAfter: Time,
            authenticates: Type.Boolean(),
            method: Type.Union([
              Type.Literal('self_signed_tls_client_auth'),
              Type.Literal('tls_client_auth'),
              Type.Null(),
            ]),
            kid: Type.Union([Type.String(), Type.Null()], {
              description: 'the key or certificate subject it is the client’s by',
            }),
            ca: Type.Union([Type.String(), Type.Null()], {
              description: 'the subject of the trusted CA that issued it',
            }),
            reason: Type.Union([Type.String(), Type.Null()], { description: 'why it does not authenticate' }),
          }),
        },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      const certificate = parseForwardedCertificate(request.body.certificate);
      if (certificate === null)
        throw new AppError('validation_failed', 'certificate: not a PEM or base64 DER X.509 certificate');
      const explained = await keys.explain(accountId, certificate);
      return { ...explained, notBefore: iso(explained.notBefore), notAfter: iso(explained.notAfter) };
    },
  );

  app.get(
    '/api/admin/client-cas',
    {
      onRequest: auth.operator('viewer'),
      schema: {
        tags: ['admin'],
        summary:
          'The CAs whose client certificates authenticate by their subject (CLIENT_CA_FILE), and their CRLs',
        description:
          'As this node read them (at start or at the last SIGHUP). `current`: a CA within its dates, a CRL before its nextUpdate; a CA or CRL not current vouches for no certificate. `crl` is null without CLIENT_CRL_FILE. An empty list: no CLIENT_CA_FILE.',
        response: {
          200: Type.Object({
            crlFile: Type.Boolean({ description: 'whether CRLs are read (CLIENT_CRL_FILE)' }),
            cas: Type.Array(
              Type.Object({
                subject: Type.String(),
                thumbprint: Type.String({ description: 'x5t#S256 of the CA certificate, as tokens name it' }),
                notBefore: Time,
                notAfter: Time,
                current: Type.Boolean(),
                crl: Type.Union([
                  Type.Object({
                    thisUpdate: Time,
                    nextUpdate: Time,
                    revoked: Type.Integer({ description: 'how many certificates it revokes' }),
                    current: Type.Boolean(),
                  }),
                  Type.Null(),
                ]),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const now = services.ctx.clock.now();
      const cas = keys.trustedCas.map((ca) => viewOfTrustedCa(ca, now));
      return {
        crlFile: cas.some((ca) => ca.crl !== null),
        cas: cas.map((ca) => ({
          ...ca,
          notBefore: iso(ca.notBefore),
          notAfter: iso(ca.notAfter),
          crl: ca.crl && {
            ...ca.crl,
            thisUpdate: iso(ca.crl.thisUpdate),
            nextUpdate: iso(ca.crl.nextUpdate),
          },
        })),
      };
    },
  );

  app.delete(
    '/api/admin/accounts/:accountId/client-keys/:kid',
    {
      onRequest: auth.operator(),
      schema: {
        tags: ['admin'],
        summary:
          'Removes one of the account’s client keys: assertions signed with it, its certificate, and the tokens bound to that certificate are refused at once on every node',
        params: KeyParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { accountId, kid } = request.params;
      await services.accounts.require(accountId);
      const removed = await keys.remove(accountId, kid);
      await recordAudit(
        services.ctx,
        operatorActor(request),
        accountId,
        'client-key.removed',
        clientKeyAudit(removed),
      );
      return reply.code(204).send(null);
    },
  );
}
