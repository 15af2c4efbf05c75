/** Imports point inward: http -> services -> core; adapters -> ports -> core; only main.ts wires. */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core has no I/O and knows no other layer',
      from: { path: '^src/core' },
      to: {
        path: '^src/(ports|services|adapters|http|cli|config|web)|^node_modules/(fastify|better-sqlite3|pg|ioredis)',
      },
    },
    {
      name: 'ports-only-core',
      severity: 'error',
      from: { path: '^src/ports' },
      to: { path: '^src/(services|adapters|http|cli|web)' },
    },
    {
      name: 'services-no-edges',
      severity: 'error',
      comment: 'services never know the adapters or the web framework',
      from: { path: '^src/services' },
      to: { path: '^src/(adapters|http|cli|web)|^node_modules/(fastify|better-sqlite3|pg|ioredis)' },
    },
    {
      name: 'adapters-no-upper',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: '^src/(services|http|cli|web)' },
    },
    {
      name: 'fastify-only-in-http',
      severity: 'error',
      from: { path: '^src', pathNot: '^src/(http|main\\.ts)' },
      to: { path: '^node_modules/(fastify|@fastify)' },
    },
    {
      name: 'http-no-adapters',
      severity: 'error',
      from: { path: '^src/http' },
      to: { path: '^src/adapters' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
