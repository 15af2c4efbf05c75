/**
 * The benchmark runner behind `bench/run.ts` and `bench/compare.ts`. Each round measures every scenario under
 * every configuration (store, Redis, nodes) beside a bare Fastify hello-world (the baseline), both in fresh
 * server processes, the load from autocannon in this process alternating between them (measurePair).
 * Reports, per configuration, medians over rounds of requests per second, the ratio to the baseline measured
 * beside it, server CPU time per request and latency.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import { type BenchRequest, dpopProofs, type Scenario } from './scenario.js';
import { scenarios } from './scenarios/index.js';

const WARM_UP_SECONDS = 3;

export interface BenchConfig {
  store: 'sqlite' | 'postgres';
  redis: boolean;
  nodes: 1 | 2;
}

export interface BenchOptions {
  configs: BenchConfig[];
  rounds: number;
  duration: number;
  connections: number;
  only: string[];
  /** Where the runner creates and drops one database per measurement (any database of the server). */
  postgresUrl: string;
  redisUrl: string;
  /**
   * Pins the baseline and one-node SQLite servers to one core and this process, the load generator, to
   * the other, so that the two never take turns on one core. Off with --no-pin or where taskset is missing.
   */
  pin: boolean;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU time (user + system) per request, in microseconds, summed over the nodes. */
  cpuPerRequest: number;
  /** CPU time of the servers' main threads (their event loops) per request, in microseconds, when known. */
  loopPerRequest?: number;
  /**
   * Share of the measured time the server process was on a CPU (per node). Near 100 %, the server is the
   * bottleneck and req/s compare servers; well below, the load generator is, and req/s compare nothing.
   */
  busy: number;
  /** CPU time of the PostgreSQL backends serving the nodes per request, in microseconds, when known. */
  dbCpuPerRequest?: number;
  /** Statements the nodes sent to PostgreSQL per request (BEGIN and COMMIT count). */
  postgresPerRequest: number;
  /** Commands the nodes sent to Redis per request. */
  redisPerRequest: number;
}

/** What a server process reports over IPC: CPU time in microseconds, statements sent so far. */
export interface Usage {
  cpu: number;
  /** The main thread's share of `cpu`, when the server can tell. */
  loop?: number;
  postgres: number;
  redis: number;
}

export interface Server {
  child: ChildProcess;
  port: number;
  request: BenchRequest;
}

export function configLabel(config: BenchConfig): string {
  const store = config.store === 'postgres' ? 'PostgreSQL' : 'SQLite';
  return `${store}${config.redis ? ' + Redis' : ''}, ${config.nodes} node${config.nodes === 1 ? '' : 's'}`;
}

/** Parses `sqlite:1`, `postgres:1`, `postgres+redis:2`. */
export function parseConfig(text: string): BenchConfig {
  const match = /^(sqlite|postgres)(\+redis)?(?::([12]))?$/.exec(text.trim());
  if (!match) throw new Error(`bad configuration ${JSON.stringify(text)}: expected e.g. postgres+redis:2`);
  const config: BenchConfig = {
    store: match[1] as BenchConfig['store'],
    redis: match[2] !== undefined,
    nodes: match[3] === '2' ? 2 : 1,
  };
  return checkConfig(config);
}

export function checkConfig(config: BenchConfig): BenchConfig {
  if (config.nodes === 2 && config.store !== 'postgres')
    throw new Error('two nodes share one database: --nodes 2 needs --store postgres');
  return config;
}

/** Everything started and not yet cleaned up, so that an interrupted run leaves nothing behind. */
const live = {
  children: new Set<ChildProcess>(),
  databases: new Set<string>(),
  dirs: new Set<string>(),
  /** Starts and creations under way: the clean-up waits for them, then undoes what they made. */
  pending: new Set<Promise<unknown>>(),
};
let admin: pg.Pool | undefined;
let stopping = false;

function track<T>(work: Promise<T>): Promise<T> {
  live.pending.add(work);
  const settled = () => live.pending.delete(work);
  work.then(settled, settled);
  return work;
}

/** The core the servers are pinned to; the load generator gets core 0. */
const SERVER_CORE = '1';

/** A server process for `name` (`nodeFlags`: flags for its node, such as `--cpu-prof`). */
export function startServer(
  name: string,
  env: Record<string, string>,
  pin: boolean,
  nodeFlags: string[] = [],
): Promise<Server> {
  return track(spawnServer(name, env, pin, nodeFlags));
}

/** Whether `taskset` runs here and there are two cores or more to split. */
export function canPin(): boolean {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts every thread of this process (autocannon runs here) on core 0, or back on every core. Only a lone
 * SQLite node is pinned: with PostgreSQL, Redis or a second node in the measurement, those processes need
 * the cores too, and pinning the load generator and the node left them fighting over what was left
 * (PostgreSQL writes ran at about half their unpinned rate).
 */
export function placeLoadGenerator(pinned: boolean): void {
  const cores = pinned ? '0' : `0-${cpus().length - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
}

function pinnable(config: BenchConfig | undefined, options: BenchOptions): boolean {
  return options.pin && (config === undefined || (config.nodes === 1 && config.store === 'sqlite'));
}

async function spawnServer(
  name: string,
  env: Record<string, string>,
  pin: boolean,
  nodeFlags: string[],
): Promise<Server> {
  if (stopping) throw new Error('interrupted');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_')));
  const script = [...nodeFlags, new URL('./server.js', import.meta.url).pathname, name];
  // taskset execs node in place: the child's pid, signals and IPC channel are node's own.
  const [command, args] = pin
    ? ['taskset', ['-c', SERVER_CORE, process.execPath, ...script]]
    : [process.execPath, script];
  const child = spawn(command as string, args as string[], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...inherited, ...env, NODE_ENV: 'production' },
  });
  live.children.add(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`bench server ${name} exited with ${code}`)));
    });
    return { child, ...(JSON.parse(first) as { port: number; request: BenchRequest }) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  live.children.delete(child);
}

export function serverUsage(child: ChildProcess): Promise<Usage> {
  return new Promise((resolve) => {
    child.once('message', (usage) => {
      const { user, system, loop, postgres, redis } = usage as Record<string, number>;
      resolve({
        cpu: (user ?? 0) + (system ?? 0),
        ...(loop === undefined ? {} : { loop }),
        postgres: postgres ?? 0,
        redis: redis ?? 0,
      });
    });
    child.send('cpu');
  });
}

function adminPool(url: string): pg.Pool {
  admin ??= new pg.Pool({ connectionString: url, max: 2, application_name: 'orchestrator-bench' });
  return admin;
}

/** A fresh, empty database on the same server as `url`; returns its URL. */
function createDatabase(url: string): Promise<{ name: string; url: string }> {
  return track(makeDatabase(url));
}

async function makeDatabase(url: string): Promise<{ name: string; url: string }> {
  if (stopping) throw new Error('interrupted');
  const name = `bench_${randomBytes(6).toString('hex')}`;
  // template0 accepts no connections, so nobody else's session on template1 can make this fail.
  await adminPool(url).query(`CREATE DATABASE ${name} TEMPLATE template0`);
  live.databases.add(name);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return { name, url: target.toString() };
}

async function dropDatabase(url: string, name: string): Promise<void> {
  await adminPool(url).query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  live.databases.delete(name);
}

const CLOCK_TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
/** Below this share of a core, a one-node server was not the bottleneck of its measurement. */
const SATURATED = 0.85;

/**
 * CPU time, in microseconds, of the PostgreSQL backends connected to `database`, read from /proc: only
 * possible when PostgreSQL runs on this machine (undefined otherwise). The nodes keep their pooled
 * connections open for the whole measurement, so before/after differences cover the load.
 */
async function databaseCpu(url: string, database: string): Promise<Map<number, number> | undefined> {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return undefined;
  const { rows } = await adminPool(url).query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1',
    [database],
  );
  const usage = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      usage.set(pid, (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_US);
    } catch {
      return undefined; // not this machine's process table
    }
  }
  return usage;
}

function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

export async function load(
  port: number,
  request: BenchRequest,
  seconds: number,
  connections: number,
): Promise<Pick<Sample, 'rps' | 'p50' | 'p99' | 'errors'> & { total: number; seconds: number }> {
  const base = { method: request.method, path: request.path, headers: request.headers ?? {} };
  // Cycling bodies: one request whose body is replaced as it is sent. A list of requests instead would have
  // autocannon build every one of them for every connection when a run starts, which held the first
  // requests of each slice back by half a second and more, and counted that wait against the server.
  const bodies = request.bodies;
  let sent = 0;
  const proof = request.dpop ? dpopProofs(request.method, request.dpop) : undefined;
  const requests = bodies
    ? [
        {
          ...base,
          body: bodies[0],
          setupRequest: (req: object) => ({ ...req, body: bodies[sent++ % bodies.length] }),
        },
      ]
    : proof
      ? [
          {
            ...base,
            setupRequest: (req: object) => ({
              ...req,
              headers: { ...(req as { headers?: Record<string, string> }).headers, dpop: proof() },
            }),
          },
        ]
      : [{ ...base, ...(request.body ? { body: request.body } : {}) }];
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
    seconds: result.duration,
  };
}

/**
 * Loads every node at once, the connections split between them; sums requests per second, errors and
 * CPU. Latency percentiles cannot be merged exactly: the slower node's are reported.
 */
async function loadAll(servers: Server[], seconds: number, connections: number) {
  const share = (i: number) =>
    Math.floor(connections / servers.length) + (i < connections % servers.length ? 1 : 0);
  const results = await Promise.all(servers.map((s, i) => load(s.port, s.request, seconds, share(i))));
  return {
    rps: results.reduce((n, r) => n + r.rps, 0),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: results.reduce((n, r) => n + r.errors, 0),
    total: results.reduce((n, r) => n + r.total, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
  };
}

/** Server processes of one measurement, with what they run on; `stop` undoes everything. */
interface Running {
  servers: Server[];
  database?: { name: string; url: string };
  pinned: boolean;
  stop(): Promise<void>;
}

/** Starts the baseline (no config) or a scenario's node(s), with a fresh database or data folder each. */
async function launch(
  name: string,
  config: BenchConfig | undefined,
  options: BenchOptions,
): Promise<Running> {
  const servers: Server[] = [];
  const dirs: string[] = [];
  let database: { name: string; url: string } | undefined;
  const pinned = pinnable(config, options);
  const stopAll = async () => {
    await Promise.all(servers.map((s) => stop(s.child)));
    if (database) await dropDatabase(options.postgresUrl, database.name);
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
      live.dirs.delete(dir);
    }
  };
  try {
    if (!config) {
      servers.push(await startServer('baseline', {}, pinned));
    } else {
      if (config.store === 'postgres') database = await createDatabase(options.postgresUrl);
      const env: Record<string, string> = {
        BENCH_MASTER_KEY: randomBytes(32).toString('base64'),
        ...(database ? { BENCH_DATABASE_URL: database.url } : {}),
        ...(config.redis ? { BENCH_REDIS_URL: options.redisUrl } : {}),
      };
      for (let node = 0; node < config.nodes; node++) {
        const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-'));
        dirs.push(dir);
        live.dirs.add(dir);
        // Only the first node runs the scenario's setup; the others repeat its request.
        const first = servers[0];
        const extra: Record<string, string> = first ? { BENCH_REQUEST: JSON.stringify(first.request) } : {};
        // One after the other: the first node applies the migrations and the setup before the next starts.
        servers.push(await startServer(name, { ...env, ...extra, BENCH_DATA_DIR: dir }, pinned));
      }
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { servers, ...(database ? { database } : {}), pinned, stop: stopAll };
}

/** What one slice of load measured on one set of servers. */
interface Slice {
  seconds: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: number;
  loop?: number;
  postgres: number;
  redis: number;
  dbCpu?: number;
}

async function slice(running: Running, seconds: number, options: BenchOptions): Promise<Slice> {
  const { servers, database } = running;
  if (options.pin) placeLoadGenerator(running.pinned);
  const before = await Promise.all(servers.map((s) => serverUsage(s.child)));
  const dbBefore = database ? await databaseCpu(options.postgresUrl, database.name) : undefined;
  const { total, p50, p99, errors, seconds: measured } = await loadAll(servers, seconds, options.connections);
  const dbAfter = database ? await databaseCpu(options.postgresUrl, database.name) : undefined;
  const after = await Promise.all(servers.map((s) => serverUsage(s.child)));
  const spent = (field: keyof Usage) =>
    after.reduce((n, usage, i) => n + (usage[field] ?? 0) - (before[i]?.[field] ?? 0), 0);
  const loopKnown = [...before, ...after].every((usage) => usage.loop !== undefined);
  return {
    seconds: measured,
    total,
    p50,
    p99,
    errors,
    cpu: spent('cpu'),
    ...(loopKnown ? { loop: spent('loop') } : {}),
    postgres: spent('postgres'),
    redis: spent('redis'),
    ...(dbBefore && dbAfter ? { dbCpu: cpuSpent(dbBefore, dbAfter) } : {}),
  };
}

/** One sample from the slices of one set of servers: sums over slices, percentiles of the slices' median and worst. */
function sampleOf(slices: Slice[], servers: number): Sample {
  const sum = (field: 'seconds' | 'total' | 'errors' | 'cpu' | 'postgres' | 'redis') =>
    slices.reduce((n, s) => n + s[field], 0);
  const seconds = sum('seconds');
  const requests = Math.max(1, sum('total'));
  const loop = slices.every((s) => s.loop !== undefined)
    ? slices.reduce((n, s) => n + (s.loop ?? 0), 0)
    : undefined;
  const dbCpu = slices.every((s) => s.dbCpu !== undefined)
    ? slices.reduce((n, s) => n + (s.dbCpu ?? 0), 0)
    : undefined;
  return {
    rps: sum('total') / seconds,
    p50: median(slices.map((s) => s.p50)),
    p99: Math.max(...slices.map((s) => s.p99)),
    errors: sum('errors'),
    cpuPerRequest: sum('cpu') / requests,
    ...(loop !== undefined ? { loopPerRequest: loop / requests } : {}),
    busy: sum('cpu') / (seconds * 1e6 * servers),
    postgresPerRequest: sum('postgres') / requests,
    redisPerRequest: sum('redis') / requests,
    ...(dbCpu !== undefined ? { dbCpuPerRequest: dbCpu / requests } : {}),
  };
}

/** Slices each measurement is cut into (at most), alternating between the baseline and the scenario. */
const SLICES = 5;

/**
 * Measures a scenario and the baseline side by side: both run at once (on the same core when pinned), and the
 * load alternates between them in slices, so that a machine that slows down or speeds up mid-measurement
 * slows both alike and their ratio holds. Each gets `duration` seconds of load in all.
 */
async function measurePair(
  name: string,
  config: BenchConfig,
  options: BenchOptions,
): Promise<{ base: Sample; sample: Sample }> {
  const base = await launch('baseline', undefined, options);
  try {
    const target = await launch(name, config, options);
    try {
      // Warm-up: connections, caches, and V8's optimizing compiler, which on the full server is still at
      // work in the first seconds (its threads share the server's core when pinned).
      if (options.pin) placeLoadGenerator(base.pinned);
      await loadAll(base.servers, 1, options.connections);
      if (options.pin) placeLoadGenerator(target.pinned);
      await loadAll(target.servers, WARM_UP_SECONDS, options.connections);
      const baseSlices: Slice[] = [];
      const targetSlices: Slice[] = [];
      // autocannon runs whole seconds: slices of 1 s or more, `duration` seconds of load each in all.
      const slices = Math.max(1, Math.min(SLICES, Math.floor(options.duration)));
      const each = Math.round(options.duration / slices);
      for (let i = 0; i < slices; i++) {
        // Alternate which goes first, so that neither always follows the other.
        const order = i % 2 === 0 ? [base, target] : [target, base];
        for (const running of order) {
          const result = await slice(running, each, options);
          (running === base ? baseSlices : targetSlices).push(result);
        }
      }
      return {
        base: sampleOf(baseSlices, base.servers.length),
        sample: sampleOf(targetSlices, target.servers.length),
      };
    } finally {
      await target.stop();
    }
  } finally {
    await base.stop();
  }
}

/** Kills what is still running and drops what is still there; for an interrupted run. */
export async function cleanUp(options: Pick<BenchOptions, 'postgresUrl'>): Promise<void> {
  stopping = true;
  await Promise.all([...live.children].map((child) => stop(child)));
  await Promise.allSettled([...live.pending]);
  await Promise.all([...live.children].map((child) => stop(child)));
  for (const name of [...live.databases]) await dropDatabase(options.postgresUrl, name).catch(() => {});
  for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true });
  const pool = admin;
  admin = undefined;
  await pool?.end();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface Entry {
  samples: Sample[];
  ratios: number[];
  cpuRatios: number[];
  failures: string[];
}

export interface BenchResult {
  options: BenchOptions;
  scenarios: Scenario[];
  baseline: Sample[];
  /** Per configuration (same order as options.configs), per scenario name. */
  results: Map<string, Entry>[];
}

/** Runs every round; scenario-major inside a round, so that one scenario's configurations run back to back. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const chosen = scenarios.filter((s) => options.only.length === 0 || options.only.includes(s.name));
  const unknown = options.only.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const baseline: Sample[] = [];
  const results = options.configs.map(
    () =>
      new Map<string, Entry>(
        chosen.map((s) => [s.name, { samples: [], ratios: [], cpuRatios: [], failures: [] }]),
      ),
  );
  const many = options.configs.length > 1;
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of chosen) {
      for (const [index, config] of options.configs.entries()) {
        const entry = results[index]?.get(scenario.name);
        if (!entry) continue;
        const label = `round ${round}: ${scenario.name}${many ? ` [${configLabel(config)}]` : ''}`;
        try {
          const { base, sample } = await measurePair(scenario.name, config, options);
          baseline.push(base);
          entry.samples.push(sample);
          entry.ratios.push(sample.rps / base.rps);
          entry.cpuRatios.push(base.cpuPerRequest / sample.cpuPerRequest);
          const flag =
            base.busy < SATURATED ? ' (baseline below saturation: the load generator set its pace)' : '';
          process.stderr.write(
            `${label} ${sample.rps.toFixed(0)} req/s against the baseline's ${base.rps.toFixed(0)} (${(sample.rps / base.rps).toFixed(2)}×), ${sample.cpuPerRequest.toFixed(0)} µs/req against ${base.cpuPerRequest.toFixed(0)}, busy ${percent(sample.busy)}${flag}${sample.errors ? `, ${sample.errors} errors` : ''}\n`,
          );
        } catch (error) {
          if (stopping) throw error;
          const message = error instanceof Error ? error.message : String(error);
          entry.failures.push(message);
          process.stderr.write(`${label} FAILED: ${message}\n`);
        }
      }
    }
  }
  return { options, scenarios: chosen, baseline, results };
}

const fixed = (value: number) => value.toFixed(0);
const percent = (value: number) => `${(value * 100).toFixed(0)} %`;

/** The code measured: the commit, and whether the working tree differed from it. */
function revision(): string {
  // Set when the bench runs from an exported tree (`git archive`), which has no .git of its own.
  if (process.env.BENCH_REVISION) return process.env.BENCH_REVISION;
  try {
    return execFileSync('git', ['describe', '--always', '--dirty=+uncommitted changes'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown revision';
  }
}

/** The common header line: what ran, where. */
export function runHeader(options: BenchOptions): string {
  const pinned = options.pin
    ? `the baseline and one-node SQLite servers pinned to core ${SERVER_CORE}, the load generator to core 0 for them; PostgreSQL and two-node measurements unpinned`
    : 'no core pinning';
  return `${options.rounds} rounds × ${options.duration} s, ${options.connections} connections, ${cpus().length} cores (${pinned}), Node ${process.version}, code ${revision()}`;
}

/** One Markdown table for the configuration at `index`, with its header lines. */
export function configReport(result: BenchResult, index: number): string {
  const { options, baseline } = result;
  const config = options.configs[index] as BenchConfig;
  const entries = result.results[index] as Map<string, Entry>;
  const postgres = config.store === 'postgres';
  const notes = [
    `store: ${configLabel(config)}`,
    'baseline: a bare Fastify process measured beside each scenario, the load alternating between them',
    ...(config.nodes > 1
      ? [
          `${config.nodes} server processes over one PostgreSQL database, ${options.connections} connections split between them; req/s summed, CPU of both nodes over both request counts, p50/p99 of the slower node`,
        ]
      : []),
    ...(postgres
      ? [
          'PostgreSQL CPU: the backends serving the nodes, from /proc, not counted in node CPU or CPU ratio; statements and commands: as sent by the nodes, BEGIN and COMMIT included',
        ]
      : []),
  ];
  const columns = [
    'scenario',
    'median req/s',
    'ratio to baseline req/s (median)',
    'node CPU µs/req',
    'event loop CPU µs/req',
    'CPU ratio (baseline ÷ scenario)',
    'server busy',
    ...(postgres ? ['PostgreSQL CPU µs/req', 'PostgreSQL statements/req'] : []),
    ...(config.redis ? ['Redis commands/req'] : []),
    'goal',
    'p50 ms',
    'p99 ms',
    'errors',
  ];
  const rows = [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    `| ${[
      'baseline: bare Fastify hello-world',
      fixed(median(baseline.map((s) => s.rps))),
      '1.00',
      fixed(median(baseline.map((s) => s.cpuPerRequest))),
      loopMedian(baseline),
      '1.00',
      percent(median(baseline.map((s) => s.busy))),
      ...(postgres ? ['', ''] : []),
      ...(config.redis ? [''] : []),
      '',
      median(baseline.map((s) => s.p50)),
      median(baseline.map((s) => s.p99)),
      baseline.reduce((n, s) => n + s.errors, 0),
    ].join(' | ')} |`,
  ];
  for (const scenario of result.scenarios) {
    const entry = entries.get(scenario.name);
    if (!entry) continue;
    const goal = scenario.goal?.ratio
      ? `≥ ${scenario.goal.ratio.toFixed(2)}×`
      : scenario.goal?.perSecond
        ? `≥ ${scenario.goal.perSecond}/s`
        : '';
    const name = `${scenario.name}: ${scenario.description}`;
    const { samples, failures } = entry;
    const failed =
      failures.length > 0
        ? ` — failed in ${failures.length} of ${failures.length + samples.length} rounds: ${failures[0]?.replaceAll('|', '\\|')}`
        : '';
    if (samples.length === 0) {
      rows.push(`| ${name}${failed} | ${columns.slice(1).fill('–').join(' | ')} |`);
      continue;
    }
    const db = samples.flatMap((s) => (s.dbCpuPerRequest === undefined ? [] : [s.dbCpuPerRequest]));
    rows.push(
      `| ${[
        `${name}${failed}`,
        fixed(median(samples.map((s) => s.rps))),
        median(entry.ratios).toFixed(2),
        fixed(median(samples.map((s) => s.cpuPerRequest))),
        loopMedian(samples),
        median(entry.cpuRatios).toFixed(2),
        percent(median(samples.map((s) => s.busy))),
        ...(postgres
          ? [
              db.length > 0 ? fixed(median(db)) : '–',
              median(samples.map((s) => s.postgresPerRequest)).toFixed(2),
            ]
          : []),
        ...(config.redis ? [median(samples.map((s) => s.redisPerRequest)).toFixed(2)] : []),
        goal,
        median(samples.map((s) => s.p50)),
        median(samples.map((s) => s.p99)),
        samples.reduce((n, s) => n + s.errors, 0),
      ].join(' | ')} |`,
    );
  }
  return `${notes.join('; ')}\n\n${rows.join('\n')}\n`;
}

/** The median event-loop CPU per request, or `–` when a server could not tell. */
function loopMedian(samples: Sample[]): string {
  const known = samples.flatMap((s) => (s.loopPerRequest === undefined ? [] : [s.loopPerRequest]));
  return known.length === samples.length && known.length > 0 ? fixed(median(known)) : '–';
}

function flag(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (argv[at + 1] ?? fallback);
}

/** The configurations `--matrix` (and `bench/compare.ts`) compares unless `--configs` names others. */
export const MATRIX = 'sqlite:1,postgres:1,postgres+redis:1,postgres+redis:2';

/**
 * Command line of `bench/run.ts` and `bench/compare.ts`:
 *   --rounds 3 --duration 5 --connections 50 --only v1-key-hook,oauth-token
 *   --store sqlite|postgres  --redis  --nodes 1|2      one configuration (default SQLite, 1 node)
 *   --matrix [--configs sqlite:1,postgres+redis:2]      several, one table each, in one combined file
 *   --out FILE        default bench/last-run.md, or bench/last-matrix.md with --matrix
 *   --postgres-url    where to create the throw-away databases (default postgres://postgres@127.0.0.1:5432/test)
 *   --redis-url       default redis://127.0.0.1:6379/13 (a database index of its own for the rate-limit keys)
 *   --no-pin          do not pin servers and load generator to separate cores (pinning needs taskset, 2+ cores)
 */
export async function main(argv: string[], matrix: boolean): Promise<void> {
  const configs = matrix
    ? flag(argv, 'configs', MATRIX).split(',').map(parseConfig)
    : [
        checkConfig({
          store: flag(argv, 'store', 'sqlite') === 'postgres' ? 'postgres' : 'sqlite',
          redis: argv.includes('--redis'),
          nodes: flag(argv, 'nodes', '1') === '2' ? 2 : 1,
        }),
      ];
  const store = flag(argv, 'store', 'sqlite');
  if (!matrix && store !== 'sqlite' && store !== 'postgres') throw new Error(`unknown --store ${store}`);
  if (!matrix && (configs[0] as BenchConfig).redis && store !== 'postgres')
    throw new Error('--redis needs --store postgres');
  const options: BenchOptions = {
    configs,
    rounds: Number(flag(argv, 'rounds', '3')),
    duration: Number(flag(argv, 'duration', '5')),
    connections: Number(flag(argv, 'connections', '50')),
    only: flag(argv, 'only', '')
      .split(',')
      .filter((s) => s !== ''),
    postgresUrl: flag(argv, 'postgres-url', 'postgres://postgres@127.0.0.1:5432/test'),
    redisUrl: flag(argv, 'redis-url', 'redis://127.0.0.1:6379/13'),
    pin: !argv.includes('--no-pin') && canPin(),
  };
  const out = flag(argv, 'out', matrix ? 'bench/last-matrix.md' : 'bench/last-run.md');
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up, writing no report\n`);
    void cleanUp(options).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const result = await runBench(options);
    if (stopping) return;
    const report = matrix
      ? `# Benchmark: ${configs.map(configLabel).join(' · ')}\n\n${runHeader(options)}; every round measures each scenario under each configuration back to back, each beside a baseline of its own.\n\n${configs
          .map((config, i) => `## ${configLabel(config)}\n\n${configReport(result, i)}`)
          .join('\n')}`
      : `${runHeader(options)}, ${configReport(result, 0)}`;
    process.stdout.write(`\n${report}`);
    writeFileSync(out, report);
    process.stderr.write(`wrote ${out}\n`);
  } catch (error) {
    // Interrupted: the signal handler cleans up and exits.
    if (!stopping) throw error;
  } finally {
    await cleanUp(options);
  }
}
