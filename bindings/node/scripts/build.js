#!/usr/bin/env node
// Builds the addon without node-gyp: one C file compiled with the system C compiler against
// node_api.h and tether.h, linked with -ltether and rpath $ORIGIN, and libtether.so.0 copied next
// to it, so the package needs nothing from the system at run time. Nothing is downloaded.
//
//   TETHER_PREFIX=/usr/local node scripts/build.js
//
// TETHER_PREFIX: install prefix of tether (lib/ and include/); without it pkg-config is asked.
// NODE_API_INCLUDE: the directory holding node_api.h; without it the headers installed with
// Node (<prefix>/include/node, /usr/include/node), node-gyp's cached headers for this Node
// version, or the node-api-headers npm package are used, whichever is found first.
// CC: the C compiler (default cc).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'native');
const SONAME = 'libtether.so.0';

class BuildError extends Error {}

function tetherDirs() {
  const prefix = process.env.TETHER_PREFIX;
  if (prefix) return { include: path.join(prefix, 'include'), lib: path.join(prefix, 'lib'), from: `TETHER_PREFIX=${prefix}` };
  try {
    const run = (flag) => execFileSync('pkg-config', [flag, 'tether'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { include: run('--variable=includedir'), lib: run('--variable=libdir'), from: 'pkg-config tether' };
  } catch {
    throw new BuildError('tether not found: set TETHER_PREFIX to its install prefix (lib/ and include/), or make pkg-config find tether.pc (PKG_CONFIG_PATH)');
  }
}

/** Where node-gyp keeps the headers it fetched for this Node version (it is not run here). */
function nodeGypHeaderDirs() {
  const version = process.version.slice(1);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const devdirs = [process.env.npm_config_devdir, path.join(cache, 'node-gyp'), path.join(os.homedir(), '.node-gyp')];
  return devdirs.filter(Boolean).map((dir) => path.join(dir, version, 'include', 'node'));
}

function nodeApiInclude() {
  const candidates = [
    process.env.NODE_API_INCLUDE,
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    ...nodeGypHeaderDirs(),
  ];
  try {
    candidates.push(path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include'));
  } catch { /* optional */ }
  for (const dir of candidates) if (dir && fs.existsSync(path.join(dir, 'node_api.h'))) return dir;
  throw new BuildError(`node_api.h not found in ${candidates.filter(Boolean).join(', ')}: install Node's headers (e.g. the distribution's nodejs-dev / libnode-dev package), or set NODE_API_INCLUDE`);
}

/**
 * Compiles native/tether.node and copies libtether.so.0 next to it.
 * @param {{ werror?: boolean, log?: (line: string) => void }} [options] werror: warnings fail the
 *   build (the development default; an install on an unknown compiler builds without it).
 * @returns {{ addon: string, tether: string, nodeApi: string }} what was built, and from what.
 * @throws {BuildError} naming what is missing or what failed.
 */
function build({ werror = true, log = console.log } = {}) {
  const tether = tetherDirs();
  if (!fs.existsSync(path.join(tether.include, 'tether.h'))) throw new BuildError(`no tether.h in ${tether.include} (from ${tether.from})`);
  const libFile = path.join(tether.lib, SONAME);
  if (!fs.existsSync(libFile)) throw new BuildError(`no ${SONAME} in ${tether.lib} (from ${tether.from})`);
  const nodeApi = nodeApiInclude();

  fs.mkdirSync(outDir, { recursive: true });
  const addon = path.join(outDir, 'tether.node');
  const cc = process.env.CC || 'cc';
  const args = [
    '-std=c11', '-O2', '-g', '-fPIC', '-shared', '-Wall', '-Wextra', ...(werror ? ['-Werror'] : []),
    '-fvisibility=hidden',
    '-I', nodeApi, '-I', tether.include,
    path.join(root, 'src', 'tether_node.c'),
    '-o', addon,
    '-L', tether.lib, '-ltether', '-pthread',
    '-Wl,-rpath,$ORIGIN',
  ];
  try {
    execFileSync(cc, args, { stdio: 'inherit' });
  } catch (err) {
    throw new BuildError(err.code === 'ENOENT' ? `no C compiler "${cc}" (install one, or set CC)` : `${cc} failed`);
  }
  // The installed library may carry debug info (tens of MB); the packaged copy does not need it.
  const libCopy = path.join(outDir, SONAME);
  fs.rmSync(libCopy, { force: true }); // never write through into a library a process has mapped
  fs.copyFileSync(libFile, libCopy);
  try {
    execFileSync('strip', ['--strip-debug', libCopy], { stdio: 'ignore' });
  } catch { /* no strip: ship it as it is */ }
  log(`tether build: ${path.relative(process.cwd(), addon) || addon} (tether from ${tether.from}, node_api.h from ${nodeApi})`);
  return { addon, tether: tether.from, nodeApi };
}

module.exports = { build, BuildError };

if (require.main === module) {
  try {
    build();
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`tether build: ${err.message}`);
    process.exit(1);
  }
}
