#!/usr/bin/env node
// The command's entry point checks the Node.js release before the rest loads: loading it on a release that
// is too old would fail with an error that does not say why.
import { unsupportedNodeVersion } from './node-version.js';

const unsupported = unsupportedNodeVersion(process.versions.node);
if (unsupported) {
  process.stderr.write(`orchestrator: ${unsupported}\n`);
  process.exitCode = 1;
} else {
  await import('./orchestrator.js');
}
