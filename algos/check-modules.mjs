// Checks what algos/build produced: every module compiles and exports what the host calls, and
// algos/catalog.json lists exactly the plugins built, with sane arguments. Called by algos/build:
//   node algos/check-modules.mjs CATALOG BUILD_DIR NAME.wasm hostile/NAME.wasm ...
// Prints one line per problem and exits 1 if there is any.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

// What the host looks up in every instance (see native/host and algos/edgecam_plugin.h).
const requiredExports = [
  ['process', 'function'],
  ['edgecam_alloc', 'function'],
  ['memory', 'memory'],
  ['_initialize', 'function'],
];

function checkModule(buildDir, file) {
  const problems = [];
  let module;
  try {
    module = new WebAssembly.Module(readFileSync(join(buildDir, file)));
  } catch (error) {
    return [`${file}: not a valid WebAssembly module (${error.message})`];
  }
  const exports = WebAssembly.Module.exports(module);
  for (const [name, kind] of requiredExports) {
    if (!exports.some((e) => e.name === name && e.kind === kind)) {
      problems.push(`${file}: exports no ${kind} named ${name}; include edgecam_plugin.h`);
    }
  }
  return problems;
}

function checkArg(where, arg) {
  const problems = [];
  for (const key of ['default', 'min', 'max']) {
    if (typeof arg[key] !== 'number') problems.push(`${where}: expected a number for ${key}`);
  }
  if (typeof arg.name !== 'string' || typeof arg.help !== 'string') {
    problems.push(`${where}: expected strings for name and help`);
  }
  if (!(arg.min <= arg.default && arg.default <= arg.max)) {
    problems.push(`${where}: default ${arg.default} is outside ${arg.min}..${arg.max}`);
  }
  return problems;
}

function checkCatalog(catalogPath, buildDir, built) {
  const problems = [];
  let entries;
  try {
    entries = JSON.parse(readFileSync(catalogPath, 'utf8'));
  } catch (error) {
    return [`${catalogPath}: not readable JSON (${error.message})`];
  }
  if (!Array.isArray(entries)) return [`${catalogPath}: expected an array of plugins`];

  const listed = new Set();
  for (const [i, entry] of entries.entries()) {
    const where = `${catalogPath} entry ${i} (${entry.name ?? 'no name'})`;
    for (const key of ['name', 'file', 'summary']) {
      if (typeof entry[key] !== 'string') problems.push(`${where}: expected a string for ${key}`);
    }
    if (typeof entry.hostile !== 'boolean') problems.push(`${where}: expected a boolean hostile`);
    if (!Array.isArray(entry.args)) problems.push(`${where}: expected an array for args`);
    for (const [j, arg] of (entry.args ?? []).entries()) {
      problems.push(...checkArg(`${where} arg ${j}`, arg));
    }
    if (typeof entry.file === 'string') {
      listed.add(entry.file);
      if (!existsSync(join(buildDir, entry.file))) {
        problems.push(`${where}: ${entry.file} was not built; add its .c file to algos/`);
      }
    }
  }
  for (const file of built) {
    if (!listed.has(file)) problems.push(`${file}: built but missing from ${catalogPath}; add it`);
  }
  return problems;
}

const [catalogPath, buildDir, ...files] = process.argv.slice(2);
const problems = files.flatMap((file) => checkModule(buildDir, file));
problems.push(...checkCatalog(catalogPath, buildDir, files));
for (const problem of problems) console.error(`algos: ${problem}`);
process.exit(problems.length === 0 ? 0 : 1);
