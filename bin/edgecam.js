#!/usr/bin/env node
// Entry point of the `edgecam` command; the code lives in dist/ after
// `npm run setup` compiles the TypeScript.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/shell/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('edgecam: not built yet; run `npm run setup` in the repository first');
  process.exit(1);
}
const { main, reportError } = await import(cli.href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportError(error);
}
