/**
 * `npm run bench`: each scenario against a bare Fastify hello-world measured in the same round, server and
 * load generator in separate processes. Reports medians over rounds of requests per second, the ratio to
 * the baseline of the same round, and latency percentiles.
 *   npm run bench -- --rounds 3 --duration 5 --connections 50 --only v1-key-hook,oauth-token
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { BenchRequest } from './scenario.js';
import { scenarios } from './scenarios/index.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

const rounds = Number(flag('rounds', '3'));
const duration = Number(flag('duration', '5'));
const connections = Number(flag('connections', '50'));
const only = flag('only', '')
  .split(',')
  .filter((s) => s !== '');
const chosen = scenarios.filter((s) => only.length === 0 || only.includes(s.name));

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuPerRequest: number;
}

async function startServer(
  name: string,
): Promise<{ child: ChildProcess; port: number; request: BenchRequest }> {
  const child = spawn(process.execPath, [new URL('./server.js', import.meta.url).pathname, name], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server ${name} exited with ${code}`)));
  });
  return { child, ...(JSON.parse(first) as { port: number; request: BenchRequest }) };
}

function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => {
      const { user, system } = usage as { user: number; system: number };
      resolve(user + system);
    });
    child.send('cpu');
  });
}

async function load(
  port: number,
  request: BenchRequest,
  seconds: number,
): Promise<Omit<Sample, 'cpuPerRequest'> & { total: number }> {
  const base = { method: request.method, path: request.path, headers: request.headers ?? {} };
  const requests = request.bodies
    ? request.bodies.map((body) => ({ ...base, body }))
    : [{ ...base, ...(request.body ? { body: request.body } : {}) }];
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    total: result.requests.total,
  };
}

async function measure(name: string): Promise<Sample> {
  const server = await startServer(name);
  try {
    await load(server.port, server.request, 1); // warm-up: JIT, caches, connections
    const cpuBefore = await serverCpu(server.child);
    const { total, ...sample } = await load(server.port, server.request, duration);
    const cpu = (await serverCpu(server.child)) - cpuBefore;
    return { ...sample, cpuPerRequest: cpu / Math.max(1, total) };
  } finally {
    server.child.kill('SIGKILL');
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const baseline: Sample[] = [];
const results = new Map<string, { samples: Sample[]; ratios: number[]; cpuRatios: number[] }>(
  chosen.map((s) => [s.name, { samples: [], ratios: [], cpuRatios: [] }]),
);
for (let round = 1; round <= rounds; round++) {
  const base = await measure('baseline');
  baseline.push(base);
  process.stderr.write(`round ${round}: baseline ${base.rps.toFixed(0)} req/s\n`);
  for (const scenario of chosen) {
    const sample = await measure(scenario.name);
    const entry = results.get(scenario.name);
    entry?.samples.push(sample);
    entry?.ratios.push(sample.rps / base.rps);
    entry?.cpuRatios.push(base.cpuPerRequest / sample.cpuPerRequest);
    process.stderr.write(
      `round ${round}: ${scenario.name} ${sample.rps.toFixed(0)} req/s (${(sample.rps / base.rps).toFixed(2)}×)${sample.errors ? `, ${sample.errors} errors` : ''}\n`,
    );
  }
}

const rows = [
  `| scenario | median req/s | ratio to baseline req/s (median) | server CPU µs/req | CPU ratio (baseline ÷ scenario) | goal | p50 ms | p99 ms | errors |`,
  `|---|---|---|---|---|---|---|---|---|`,
  `| baseline: bare Fastify hello-world | ${median(baseline.map((s) => s.rps)).toFixed(0)} | 1.00 | ${median(baseline.map((s) => s.cpuPerRequest)).toFixed(0)} | 1.00 | | ${median(baseline.map((s) => s.p50))} | ${median(baseline.map((s) => s.p99))} | ${baseline.reduce((n, s) => n + s.errors, 0)} |`,
];
for (const scenario of chosen) {
  const entry = results.get(scenario.name);
  if (!entry) continue;
  const goal = scenario.goal?.ratio
    ? `≥ ${scenario.goal.ratio.toFixed(2)}×`
    : scenario.goal?.perSecond
      ? `≥ ${scenario.goal.perSecond}/s`
      : '';
  rows.push(
    `| ${scenario.name}: ${scenario.description} | ${median(entry.samples.map((s) => s.rps)).toFixed(0)} | ${median(entry.ratios).toFixed(2)} | ${median(entry.samples.map((s) => s.cpuPerRequest)).toFixed(0)} | ${median(entry.cpuRatios).toFixed(2)} | ${goal} | ${median(entry.samples.map((s) => s.p50))} | ${median(entry.samples.map((s) => s.p99))} | ${entry.samples.reduce((n, s) => n + s.errors, 0)} |`,
  );
}
const header = `${rounds} rounds × ${duration} s, ${connections} connections, ${cpus().length} cores, Node ${process.version}, store: ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`;
const report = `${header}\n\n${rows.join('\n')}\n`;
process.stdout.write(`\n${report}`);
writeFileSync(flag('out', 'bench/last-run.md'), report);
