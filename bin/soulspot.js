#!/usr/bin/env node
// The `soulspot` command (package.json "bin"): runs the TypeScript CLI through tsx, so it works
// from a clone without a build (`npm start` runs the compiled server: a long-lived process, where
// tsx's resident loader would cost memory).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Let stdout drain (a pipe may still hold the JSON document), then leave with the code.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
