/**
 * `node dist-bench/bench/compare.js` (after `npx tsc -p tsconfig.bench.json`): SQLite on one node,
 * PostgreSQL on one node, PostgreSQL + Redis on one node and on two, over the same scenarios in the same
 * rounds; writes one table per configuration to bench/last-matrix.md. Takes the flags of bench/run.ts,
 * and `--configs sqlite:1,postgres+redis:2` to choose other configurations.
 */
import { main } from './runner.js';

await main(process.argv.slice(2), true);
