import { Type } from 'typebox';
import { RECOVERY_CODE_PATTERN } from '../../core/auth/recovery-codes.js';
import { TOTP_CODE_PATTERN } from '../../core/auth/totp.js';
import { AppError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import type { OperatorIdentity } from '../../services/operators.js';
import { operatorActor, operatorOf } from '../actor.js';
import type { App, RouteDeps } from '../types.js';

const Code = Type.String({ pattern: TOTP_CODE_PATTERN, description: 'the 6 digits the app shows now' });
const RecoveryCodes = Type.Object({
  recoveryCodes: Type.Array(Type.String(), {
    description: 'each good for one sign-in without the app; shown this once, kept as hashes',
  }),
});

/** A second factor is managed from a signed-in session: an API token is no proof of the person. */
export function fromSession(identity: OperatorIdentity | null, what = 'one-time codes'): OperatorIdentity {
  if (identity?.via !== 'session')
    throw new AppError('forbidden', `manage ${what} from a signed-in session, not with an API token`);
  return identity;
}

/**
 * One-time codes (RFC 6238 TOTP) as a second factor of operator sign-in: each operator sets theirs up and turns
 * it off; an admin removes another's (a lost phone). Recorded in the audit log.
 */
export async function adminTotpRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  /** An admin, for an operator they manage (`manages`: limited to some accounts, the operators of theirs). */
  const manager = auth.operator('admin', { accounts: 'own' });
  /** Any operator, for their own codes. */
  const own = auth.operator('viewer', { accounts: 'own' });
  /** Also for an operator who has yet to set up the one-time codes OPERATOR_TOTP=required asks for. */
  const anyone = auth.operator('viewer', { beforeTotp: true, accounts: 'own' });
  const totp = services.operators.totp;
  const audit = (
    request: { operator: OperatorIdentity | null; ip: string },
    action: string,
    username: string,
  ) =>
    recordAudit(services.ctx, operatorActor(request), null, action, {
      username,
    });

  app.get(
    '/api/admin/totp',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'Whether your sign-in asks for a one-time code',
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            pending: Type.Boolean(),
            recoveryCodesLeft: Type.Integer({ description: 'recovery codes not used yet' }),
          }),
        },
      },
    },
    async (request) => totp.status(request.operator?.username ?? ''),
  );

  app.post(
    '/api/admin/totp/setup',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'A new secret for your authenticator app (shown this once); a code from it turns it on',
        response: {
          200: Type.Object({
            secret: Type.String({ description: 'base32, to type into the app' }),
            uri: Type.String({ description: 'otpauth://totp/… for the app (as a QR code or a link)' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator);
      return reply.header('cache-control', 'no-store').send(await totp.start(username));
    },
  );

  app.post(
    '/api/admin/totp/enable',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary:
          'Turns one-time codes on with a first code from the app; every sign-in asks for one after. Answers ten recovery codes, this once',
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: RecoveryCodes },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator);
      const recoveryCodes = await totp.enable(username, request.body.code);
      await audit(request, 'operator.totp-enabled', username);
      return reply.header('cache-control', 'no-store').send({ recoveryCodes });
    },
  );

  app.post(
    '/api/admin/totp/recovery-codes',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary:
          'Ten new recovery codes in place of yours (the old ones stop working), proving your password and a current code',
        body: Type.Object(
          { currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), code: Code },
          { additionalProperties: false },
        ),
        response: { 200: RecoveryCodes },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator);
      const recoveryCodes = await services.operators.replaceRecoveryCodes(
        username,
        request.body.currentPassword,
        request.body.code,
        request.ip,
      );
      await audit(request, 'operator.recovery-codes-replaced', username);
      return reply.header('cache-control', 'no-store').send({ recoveryCodes });
    },
  );

  app.post(
    '/api/admin/totp/disable',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary:
          'Turns your one-time codes off, proving your password and a current code (or a recovery code)',
        body: Type.Object(
          {
            currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
            code: Type.Optional(Code),
            recoveryCode: Type.Optional(Type.String({ pattern: RECOVERY_CODE_PATTERN })),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { username } = fromSession(request.operator);
      const { currentPassword, code, recoveryCode } = request.body;
      if (code === undefined && recoveryCode === undefined)
        throw new AppError('validation_failed', 'give a current code, or a recovery code');
      await services.operators.disableTotp(username, currentPassword, { code, recoveryCode }, request.ip);
      await audit(request, 'operator.totp-disabled', username);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/admin/operators/:username/totp',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary:
          'Removes the one-time codes of an operator you manage (a lost phone): they sign in with their password alone',
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      await services.operators.resetTotp(username, operatorOf(request));
      await audit(request, 'operator.totp-reset', username);
      return reply.code(204).send(null);
    },
  );
}
