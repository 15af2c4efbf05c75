import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { orchestratorArgs } from './build.js';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `orchestrator` (built: orchestratorArgs) with `env` as its whole environment; a non-zero exit is a
 * result, not a throw. `cliEnv` makes such an environment from this process's.
 */
export async function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, orchestratorArgs(...args), { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CliResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** This process's environment, quiet (`LOG_LEVEL=warn`), with `changes` on top; `undefined` removes a name. */
export function cliEnv(changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...changes };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}
