/**
 * One scenario's server, loaded alone, for a closer look than the side-by-side bench gives:
 *
 *   node dist-bench/bench/profile.js <scenario|baseline> [--seconds 5] [--no-pin] [--cpu-prof DIR]
 *
 * Starts the server as the bench does (pinned to core 1, the load from this process on core 0), warms it
 * up for 3 s, loads it for `--seconds` and prints one JSON line: requests per second and the server's CPU
 * per request (in all, and its event loop's). With `--cpu-prof`, the server writes a V8 CPU profile into
 * DIR when it stops; `profile-report.js` reads it. To compare two builds, compile one into another folder
 * (`tsc -p tsconfig.bench.json --outDir /tmp/other`) and run both alternately, several times each.
 */
import { canPin, load, placeLoadGenerator, serverUsage, startServer } from './runner.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const name = args[0];
if (!name || name.startsWith('--')) {
  console.error('usage: profile.js <scenario|baseline> [--seconds 5] [--no-pin] [--cpu-prof DIR]');
  process.exit(2);
}
const seconds = Number(option('--seconds') ?? 5);
const profileDir = option('--cpu-prof');
const pinnable = canPin();
const pin = !args.includes('--no-pin') && pinnable;

if (pinnable) placeLoadGenerator(pin);
const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const server = await startServer(name, {}, pin, flags);
try {
  await load(server.port, server.request, 3, 50);
  const before = await serverUsage(server.child);
  const measured = await load(server.port, server.request, seconds, 50);
  const after = await serverUsage(server.child);
  const perRequest = (a: number, b: number) => Math.round(((b - a) / measured.total) * 100) / 100;
  console.log(
    JSON.stringify({
      scenario: name,
      rps: Math.round(measured.rps),
      cpuUsPerRequest: perRequest(before.cpu, after.cpu),
      ...(before.loop !== undefined && after.loop !== undefined
        ? { eventLoopUsPerRequest: perRequest(before.loop, after.loop) }
        : {}),
      errors: measured.errors,
    }),
  );
} finally {
  // SIGTERM, not the bench's SIGKILL: the server exits normally and writes its profile.
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}
