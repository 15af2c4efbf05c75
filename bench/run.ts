/**
 * `npm run bench`: each scenario against a bare Fastify hello-world measured beside it (the load alternating
 * between the two), server and load generator in separate processes. Reports medians over rounds of requests
 * per second, the ratio to the baseline measured beside it, server CPU per request and latency percentiles.
 *   npm run bench -- --rounds 3 --duration 5 --connections 50 --only v1-key-hook,oauth-token
 *   npm run bench -- --store postgres --redis --nodes 2
 *   npm run bench -- --matrix            (the same as node dist-bench/bench/compare.js)
 * Every flag is described at `main` in bench/runner.ts.
 */
import { main } from './runner.js';

await main(process.argv.slice(2), process.argv.includes('--matrix'));
