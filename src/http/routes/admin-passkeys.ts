import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { recordAudit } from '../../services/audit.js';
import { PASSKEY_TIMEOUT_MS, type PasskeyView } from '../../services/operator-passkeys.js';
import type { OperatorIdentity } from '../../services/operators.js';
import { operatorActor, operatorOf } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import { fromSession } from './admin-totp.js';
import { iso, NullableTime, Time } from './times.js';

/** base64url (WebAuthn's encoding of bytes in JSON), padded or not. */
const Bytes = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*={0,2}$', maxLength });
const CredentialId = Type.String({ pattern: '^[A-Za-z0-9_-]+={0,2}$', minLength: 1, maxLength: 1400 });
/** What a browser adds beside the members checked here is kept as it came (newer browsers add more). */
const open = { additionalProperties: true } as const;
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));

/** What navigator.credentials.get resolved to, as JSON (`AuthenticationResponseJSON`). */
export const PasskeyAssertion = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Bytes(8192),
        authenticatorData: Bytes(8192),
        signature: Bytes(2048),
        userHandle: Type.Optional(Bytes(256)),
      },
      open,
    ),
    clientExtensionResults: Type.Object({}, open),
    authenticatorAttachment: Attachment,
  },
  {
    ...open,
    description:
      "what the browser's navigator.credentials.get answered to `passkeyOptions` (as @simplewebauthn/browser's startAuthentication resolves)",
  },
);

/** What navigator.credentials.create resolved to, as JSON (`RegistrationResponseJSON`). */
const PasskeyAttestation = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Bytes(8192),
        attestationObject: Bytes(65536),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
      },
      open,
    ),
    clientExtensionResults: Type.Object({}, open),
    authenticatorAttachment: Attachment,
  },
  {
    ...open,
    description:
      "what the browser's navigator.credentials.create answered to the options (as @simplewebauthn/browser's startRegistration resolves)",
  },
);

const Passkey = Type.Object({
  id: Type.String({ description: 'the credential id (base64url)' }),
  name: Type.String(),
  createdAt: Time,
  lastUsedAt: NullableTime,
});
const passkeyView = (p: PasskeyView) => ({
  id: p.id,
  name: p.name,
  createdAt: iso(p.createdAt) as string,
  lastUsedAt: iso(p.lastUsedAt),
});

const CurrentPassword = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'your password, asked again: a signed-in session alone does not change your ways in',
});

/**
 * Passkeys (WebAuthn) as a second factor of operator sign-in, beside one-time codes: each operator adds and
 * removes theirs from a signed-in session, with their password; an admin removes those of an operator they manage
 * (a lost device). Recorded in the audit log.
 */
export async function adminPasskeyRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  /** An admin, for an operator they manage. */
  const manager = auth.operator('admin', { accounts: 'own' });
  /** Any operator, also one who has yet to set up the second factor OPERATOR_TOTP=required asks for. */
  const anyone = auth.operator('viewer', { beforeTotp: true, accounts: 'own' });
  const { operators } = services;
  const audit = (
    request: { operator: OperatorIdentity | null; ip: string },
    action: string,
    detail: Record<string, string | number>,
  ) => recordAudit(services.ctx, operatorActor(request), null, action, detail);

  app.get(
    '/api/admin/passkeys',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'Your passkeys, and whether this server can hold passkeys',
        response: {
          200: Type.Object({
            available: Type.Boolean({ description: 'false: ISSUER names the server by an IP address' }),
            reason: Type.Union([Type.String(), Type.Null()], { description: 'why not, when not' }),
            passkeys: Type.Array(Passkey),
          }),
        },
      },
    },
    async (request) => ({
      ...operators.passkeys.availability,
      passkeys: (await operators.passkeys.list(operatorOf(request).username)).map(passkeyView),
    }),
  );

  app.post(
    '/api/admin/passkeys/options',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: `The browser's options to create a passkey (navigator.credentials.create), given your password; good for ${PASSKEY_TIMEOUT_MS / 60_000} minutes, once`,
        body: Type.Object({ currentPassword: CurrentPassword }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            options: Type.Object({}, { ...open, description: 'PublicKeyCredentialCreationOptionsJSON' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator, 'passkeys');
      const options = await operators.passkeyOptions(username, request.body.currentPassword, request.ip);
      return reply.header('cache-control', 'no-store').send({ options });
    },
  );

  app.post(
    '/api/admin/passkeys',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary:
          'Adds a passkey: the browser’s answer to the options (which only your password obtains), and a name for it',
        body: Type.Object(
          {
            name: Type.String({
              minLength: 1,
              maxLength: 64,
              pattern: '\\S',
              description: 'such as "Work laptop"',
            }),
            response: PasskeyAttestation,
          },
          { additionalProperties: false },
        ),
        response: { 201: Passkey },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator, 'passkeys');
      const { name, response } = request.body;
      const passkey = await operators.passkeys.register(
        username,
        name.trim(),
        response as unknown as RegistrationResponseJSON,
      );
      await audit(request, 'operator.passkey-added', { username, passkey: passkey.name });
      return reply.code(201).send(passkeyView(passkey));
    },
  );

  app.post(
    '/api/admin/passkeys/:id/remove',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'Removes one of your passkeys, with your password',
        params: Type.Object({ id: CredentialId }),
        body: Type.Object({ currentPassword: CurrentPassword }, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator, 'passkeys');
      const removed = await operators.removePasskey(
        username,
        request.body.currentPassword,
        request.params.id,
        request.ip,
      );
      await audit(request, 'operator.passkey-removed', { username, passkey: removed.name });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/admin/operators/:username/passkeys',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary: 'Removes every passkey of an operator you manage (a lost device)',
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      const removed = await operators.resetPasskeys(username, operatorOf(request));
      await audit(request, 'operator.passkeys-reset', { username, passkeys: removed });
      return reply.code(204).send(null);
    },
  );
}
