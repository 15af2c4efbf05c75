import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Config, ConfigError, parseMasterKey } from '../config/config.js';
import { masterKeyId } from '../core/auth/sealing.js';
import { loadMasterKey, masterKeyFile, openRuntime } from '../main.js';
import { recordAudit } from '../services/audit.js';
import { type ResealReport, resealUnderMasterKey } from '../services/master-key.js';

export interface RotateOptions {
  /** `--new-key-file`: a file holding the new key (32 bytes, base64). */
  newKeyFile: string | undefined;
  /** `--generate`: make the new key here. */
  generate: boolean;
  batchSize: number;
}

interface KeyPlan {
  current: Buffer;
  target: Buffer;
  /** Keys that may have sealed values still in the store, besides the target. */
  others: Buffer[];
  source: 'file' | 'environment';
  /** Where a generated key waits until every value is under it (so an interruption never loses it). */
  staged: string | null;
}

const keyText = (key: Buffer) => `${key.toString('base64')}\n`;

/** Writes a key file so that a reader sees the old content or the new one, never a part (mode 0600). */
function writeKeyFile(path: string, content: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  syncFolder(dirname(path));
}

function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readNewKey(path: string): Buffer {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`--new-key-file: cannot read ${path}`);
  }
  return parseMasterKey(raw, `the key in ${path}`);
}

/** Decides which key everything moves to, and which keys may still be in use. */
function planKeys(config: Config, options: RotateOptions, keyFile: string): KeyPlan {
  const source = config.masterKey ? 'environment' : 'file';
  if (source === 'file' && !config.databaseUrl && !existsSync(keyFile)) {
    throw new ConfigError(
      `no master key to rotate: ${keyFile} does not exist and ORCHESTRATOR_MASTER_KEY is not set`,
    );
  }
  const current = loadMasterKey(config);
  const previous = config.previousMasterKey;
  let target = current;
  // A generated key waits here; resuming with --new-key-file pointing at it installs it the same way.
  const stagedFile = `${keyFile}.next`;
  let staged: string | null = null;
  if (options.newKeyFile !== undefined) {
    target = readNewKey(options.newKeyFile);
    if (resolve(options.newKeyFile) === stagedFile) staged = stagedFile;
  }
  if (previous && (options.generate || !target.equals(current))) {
    throw new ConfigError(
      'ORCHESTRATOR_MASTER_KEY_PREVIOUS is set, so a rotation to the current key is under way: finish it first ' +
        '(orchestrator master-key rotate, without --new-key-file or --generate), then remove the variable',
    );
  }
  if (options.generate) {
    if (existsSync(stagedFile)) {
      throw new ConfigError(
        `an interrupted rotation left its new key in ${stagedFile}: resume it with --new-key-file ${stagedFile}`,
      );
    }
    target = randomBytes(32);
    mkdirSync(config.dataDir, { recursive: true });
    writeKeyFile(stagedFile, keyText(target));
    staged = stagedFile;
  }
  const others = [current, ...(previous ? [previous] : [])].filter((k) => !k.equals(target));
  return { current, target, others, source, staged };
}

/** Puts the new key where the old one was read from, keeping the old one as master.key.previous. */
function installKeyFile(plan: KeyPlan, keyFile: string): void {
  const previousFile = `${keyFile}.previous`;
  const temp = `${previousFile}.tmp-${process.pid}`;
  copyFileSync(keyFile, temp);
  chmodSync(temp, 0o600);
  renameSync(temp, previousFile);
  if (plan.staged) {
    renameSync(plan.staged, keyFile);
    syncFolder(dirname(keyFile));
  } else {
    writeKeyFile(keyFile, keyText(plan.target));
  }
}

/**
 * `orchestrator master-key rotate`: re-seals every sealed value under the new key, then installs it.
 * Returns the exit code: 1 when some value could not be moved (the key is then left as it was).
 */
export async function rotateMasterKeyCommand(
  config: Config,
  options: RotateOptions,
  json: boolean,
): Promise<number> {
  const keyFile = masterKeyFile(config.dataDir);
  const plan = planKeys(config, options, keyFile);
  // The runtime seals with the target and opens with every key still in play, as a node mid-rotation does.
  const runtime = await openRuntime(
    { ...config, logLevel: 'warn', masterKey: plan.target, previousMasterKey: plan.others[0] },
    process.stderr,
  );
  let report: ResealReport;
  try {
    const { ctx } = runtime.services;
    report = await resealUnderMasterKey(
      ctx.store.sealedValues,
      ctx.random,
      { target: plan.target, others: plan.others },
      { batchSize: options.batchSize },
    );
    if (report.complete) {
      await recordAudit(ctx, { name: 'cli', address: null }, null, 'master-key.rotated', {
        keyId: report.keyId,
        resealed: report.resealed,
      });
    }
  } finally {
    await runtime.close();
  }
  if (!report.complete) return reportIncomplete(report, json);
  const changed = !plan.target.equals(plan.current);
  if (changed && plan.source === 'file') installKeyFile(plan, keyFile);
  printDone(report, plan, keyFile, options, json);
  return 0;
}

function reportIncomplete(report: ResealReport, json: boolean): number {
  const stuck = report.unreadable.map((u) => `${u.kind} of ${u.owner}`);
  const listed = stuck.length > 20 ? [...stuck.slice(0, 20), `${stuck.length - 20} more`] : stuck;
  const message =
    stuck.length > 0
      ? `no key given opens ${stuck.length} sealed value(s): ${listed.join(', ')}. Regenerate them, then run the command again; the master key was not changed`
      : 'values kept changing during every pass; run the command again; the master key was not changed';
  if (json) process.stdout.write(`${JSON.stringify({ error: message, ...report })}\n`);
  else process.stderr.write(`orchestrator: ${message}\n`);
  return 1;
}

function printDone(
  report: ResealReport,
  plan: KeyPlan,
  keyFile: string,
  options: RotateOptions,
  json: boolean,
) {
  const changed = !plan.target.equals(plan.current);
  const summary = `re-sealed ${report.resealed} value(s) under master key ${report.keyId}; ${report.alreadyUnderNewKey} already were under it`;
  let next: string;
  let shownKey: string | undefined;
  if (!changed) {
    next =
      plan.others.length > 0
        ? 'Every value is under the current key: remove ORCHESTRATOR_MASTER_KEY_PREVIOUS from every node.'
        : 'Every value already was under the current key; nothing changed.';
  } else if (plan.source === 'file') {
    next = `${keyFile} now holds the new key and ${keyFile}.previous the old one. Restart the node; back up the new key.`;
  } else {
    shownKey = plan.staged ? plan.target.toString('base64') : undefined;
    const where = plan.staged
      ? `${shownKey} (also in ${plan.staged}: delete it once the key is in your secret manager)`
      : `the key in ${options.newKeyFile}`;
    next = `Set ORCHESTRATOR_MASTER_KEY on every node to ${where}.`;
  }
  const data = {
    keyId: report.keyId,
    previousKeyId: changed ? masterKeyId(plan.current) : null,
    resealed: report.resealed,
    alreadyUnderNewKey: report.alreadyUnderNewKey,
    conflicts: report.conflicts,
    source: plan.source,
    ...(plan.source === 'file' ? { keyFile } : {}),
    ...(shownKey ? { masterKey: shownKey } : {}),
    next,
  };
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${summary}\n${next}\n`);
}
