#!/usr/bin/env node
// Builds the addon without node-gyp: one C file compiled against node_api.h and tether.h,
// linked with -ltether and rpath $ORIGIN, and libtether.so copied next to it, so the package
// needs nothing from the system at run time. Nothing is downloaded.
//
//   TETHER_PREFIX=/usr/local node scripts/build.js
//
// TETHER_PREFIX: install prefix of tether (lib/ and include/); without it pkg-config is asked.
// NODE_API_INCLUDE: the directory holding node_api.h (default: /usr/include/node, or the
// node-api-headers npm package when it is installed).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'native');

function fail(msg) {
  console.error(`tether build: ${msg}`);
  process.exit(1);
}

function tetherDirs() {
  const prefix = process.env.TETHER_PREFIX;
  if (prefix) return { include: path.join(prefix, 'include'), lib: path.join(prefix, 'lib') };
  try {
    const run = (flag) => execFileSync('pkg-config', [flag, 'tether'], { encoding: 'utf8' }).trim();
    return { include: run('--variable=includedir'), lib: run('--variable=libdir') };
  } catch {
    fail('set TETHER_PREFIX to the tether install prefix (lib/ and include/), or make pkg-config find tether.pc');
  }
}

function nodeApiInclude() {
  const candidates = [process.env.NODE_API_INCLUDE, '/usr/include/node'];
  try {
    candidates.push(path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include'));
  } catch { /* optional */ }
  for (const dir of candidates) if (dir && fs.existsSync(path.join(dir, 'node_api.h'))) return dir;
  fail('node_api.h not found: set NODE_API_INCLUDE, or install the node-api-headers package');
}

const tether = tetherDirs();
if (!fs.existsSync(path.join(tether.include, 'tether.h'))) fail(`no tether.h in ${tether.include}`);
const soname = 'libtether.so.0';
const libFile = path.join(tether.lib, soname);
if (!fs.existsSync(libFile)) fail(`no ${soname} in ${tether.lib}`);

fs.mkdirSync(outDir, { recursive: true });
const cc = process.env.CC || 'cc';
const args = [
  '-std=c11', '-O2', '-g', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden',
  '-I', nodeApiInclude(), '-I', tether.include,
  path.join(root, 'src', 'tether_node.c'),
  '-o', path.join(outDir, 'tether.node'),
  '-L', tether.lib, '-ltether', '-pthread',
  '-Wl,-rpath,$ORIGIN',
];
try {
  execFileSync(cc, args, { stdio: 'inherit' });
} catch {
  fail(`${cc} failed`);
}
// The staged library carries debug info (tens of MB); the packaged copy does not need it.
const libCopy = path.join(outDir, soname);
fs.copyFileSync(libFile, libCopy);
try {
  execFileSync('strip', ['--strip-debug', libCopy], { stdio: 'ignore' });
} catch { /* no strip: ship it as it is */ }
console.log(`tether build: ${path.relative(process.cwd(), path.join(outDir, 'tether.node'))} (+ ${soname} from ${tether.lib})`);
