/**
 * Reads V8 CPU profiles written by `profile.js --cpu-prof` and prints where the time went, per request:
 *
 *   node dist-bench/bench/profile-report.js A.cpuprofile <µs per request> [--inclusive] [--top 40]
 *   node dist-bench/bench/profile-report.js A.cpuprofile <µs> B.cpuprofile <µs>      (B − A, by function)
 *
 * Each function's share of the profile's busy samples times the CPU per request that profile.js printed:
 * self time by default, time including callees with `--inclusive`. The profile covers the whole process
 * (start-up and warm-up too), so small shares are approximate.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const label = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|dist-bench|src)\//, '$1/')}:${node.callFrame.lineNumber}`;

/** µs per request by function: self time, or time including callees (each function once per stack). */
function perFunction(file: string, usPerRequest: number, inclusive: boolean): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let busy = 0;
  const out = new Map<string, number>();
  for (const node of profile.nodes) {
    const spent = time.get(node.id) ?? 0;
    if (spent === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += spent;
    if (!inclusive) {
      out.set(label(node), (out.get(label(node)) ?? 0) + spent);
      continue;
    }
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id) as ProfileNode);
      if (seen.has(name)) continue;
      seen.add(name);
      out.set(name, (out.get(name) ?? 0) + spent);
    }
  }
  for (const [name, spent] of out) out.set(name, (spent / busy) * usPerRequest);
  return out;
}

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 40;
const [fileA, usA, fileB, usB] = args.filter(
  (arg, i) => !arg.startsWith('--') && (topAt < 0 || i !== topAt + 1),
);
if (!fileA || !usA) {
  console.error(
    'usage: profile-report.js A.cpuprofile <µs/request> [B.cpuprofile <µs/request>] [--inclusive] [--top N]',
  );
  process.exit(2);
}
const a = perFunction(fileA, Number(usA), inclusive);
const fmt = (value: number) => value.toFixed(2).padStart(7);
if (fileB && usB) {
  const b = perFunction(fileB, Number(usB), inclusive);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => ({
    name,
    a: a.get(name) ?? 0,
    b: b.get(name) ?? 0,
  }));
  rows.sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a));
  console.log('  B − A       A       B  µs per request');
  for (const row of rows.slice(0, top))
    console.log(`${fmt(row.b - row.a)} ${fmt(row.a)} ${fmt(row.b)}  ${row.name}`);
} else {
  const rows = [...a].sort((x, y) => y[1] - x[1]).slice(0, top);
  for (const [name, us] of rows) console.log(`${fmt(us)}  ${name}`);
}
