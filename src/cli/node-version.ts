/**
 * The oldest release of each Node.js line the server runs on. Two of the web server's packages (`cookie`
 * under `light-my-request`, `content-disposition` under `@fastify/static`) are ES modules that CommonJS code
 * loads with `require`, which Node.js does without a flag from 20.19 and 22.12 on; the web app's build (Vite)
 * asks for the same. On an older release the server would stop at start with `ERR_REQUIRE_ESM`.
 */
const OLDEST_MINOR: Readonly<Record<number, number>> = { 20: 19, 22: 12 };
/** From this major release on, every release will do. */
const EVERY_RELEASE_FROM = 23;

/** Null when Node.js `version` (as in `process.versions.node`) runs the server; else what to tell the operator. */
export function unsupportedNodeVersion(version: string): string | null {
  const [major = Number.NaN, minor = Number.NaN] = version.split('.').map(Number);
  const oldest = OLDEST_MINOR[major];
  if (major >= EVERY_RELEASE_FROM || (oldest !== undefined && minor >= oldest)) return null;
  return `Node.js ${version} cannot run the server: it needs Node.js 20.19 or a later 20.x, 22.12 or a later 22.x, or 23 and newer`;
}
