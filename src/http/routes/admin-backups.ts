import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import type { BackupCommandStatus } from '../../services/backup-command.js';
import type { Backup } from '../../services/backups.js';
import { operatorActor, operatorOf } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import { iso, NullableTime, Time } from './times.js';

const BackupView = Type.Object({
  name: Type.String(),
  createdAt: Time,
  bytes: Type.Integer(),
  policyLogs: Type.Boolean(),
  files: Type.Array(Type.Object({ name: Type.String(), bytes: Type.Integer(), sha256: Type.String() })),
});

/** BACKUP_COMMAND's state: never its text, which may hold a credential. */
const CommandView = Type.Union([
  Type.Object({
    timeoutSeconds: Type.Integer(),
    running: Type.Union([Type.String(), Type.Null()]),
    waiting: Type.Union([Type.String(), Type.Null()]),
    lastSuccess: Type.Union([
      Type.Object({ at: Time, backup: Type.String(), durationMs: Type.Integer() }),
      Type.Null(),
    ]),
    lastFailure: Type.Union([
      Type.Object({
        at: Time,
        backup: Type.String(),
        message: Type.String(),
        errorOutput: Type.Union([Type.String(), Type.Null()], {
          description:
            'the end of what the command wrote to its error output; null for viewers (it may say more than they should read)',
        }),
      }),
      Type.Null(),
    ]),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
  }),
  Type.Null(),
]);

const commandView = (status: BackupCommandStatus | null, viewer: boolean) =>
  status && {
    ...status,
    lastSuccess: status.lastSuccess && { ...status.lastSuccess, at: iso(status.lastSuccess.at) },
    lastFailure: status.lastFailure && {
      ...status.lastFailure,
      at: iso(status.lastFailure.at),
      errorOutput: viewer ? null : status.lastFailure.errorOutput,
    },
  };

const view = (backup: Backup) => ({
  name: backup.name,
  createdAt: iso(backup.createdAt),
  bytes: backup.bytes,
  policyLogs: backup.policyLogs,
  files: backup.files,
});

/** Scheduled backups of a SQLite node (BACKUP_DIR): what there is, how they fare, and one more on demand. */
export async function adminBackupRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const operator = auth.operator();
  const viewer = auth.operator('viewer');
  const OFF = 'scheduled backups are off on this node: set BACKUP_DIR (docs/operations.md)';

  app.get(
    '/api/admin/backups',
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        summary: "This node's scheduled backups: settings, state and the backups kept, newest first",
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            folder: Type.Union([Type.String(), Type.Null()]),
            intervalSeconds: Type.Union([Type.Integer(), Type.Null()]),
            keep: Type.Union([Type.Integer(), Type.Null()]),
            policyLogs: Type.Union([Type.Boolean(), Type.Null()]),
            running: Type.Boolean(),
            nextAt: NullableTime,
            lastSuccessAt: NullableTime,
            lastFailure: Type.Union([Type.Object({ at: Time, message: Type.String() }), Type.Null()]),
            command: CommandView,
            backups: Type.Array(BackupView),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const backups = services.backups;
      if (!backups)
        return {
          enabled: false,
          folder: null,
          intervalSeconds: null,
          keep: null,
          policyLogs: null,
          running: false,
          nextAt: null,
          lastSuccessAt: null,
          lastFailure: null,
          command: null,
          backups: [],
        };
      const status = backups.status();
      const { settings } = status;
      return {
        enabled: true,
        folder: settings.folder,
        intervalSeconds: Math.round(settings.intervalMs / 1000),
        keep: settings.keep,
        policyLogs: settings.policyLogs,
        running: status.running,
        nextAt: iso(status.nextAt),
        lastSuccessAt: iso(status.lastSuccessAt),
        lastFailure: status.lastFailure && {
          at: iso(status.lastFailure.at),
          message: status.lastFailure.message,
        },
        command: commandView(status.command, operatorOf(request).role === 'viewer'),
        backups: (await backups.list()).map(view),
      };
    },
  );

  app.post(
    '/api/admin/backups',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Writes a backup now and answers when it is complete (409 while another is written)',
        response: { 201: BackupView },
      },
    },
    async (request, reply) => {
      if (!services.backups) throw new AppError('conflict', OFF);
      const backup = await services.backups.runNow();
      await recordAudit(services.ctx, operatorActor(request), null, 'backup.created', { name: backup.name });
      return reply.code(201).header('cache-control', 'no-store').send(view(backup));
    },
  );
}
