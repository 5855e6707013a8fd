'use strict';
// `npm pack` makes a tarball that installs into a fresh folder with no build step (the addon and
// libtether.so.0 are inside, found through rpath $ORIGIN) and runs the example from it; and whose
// install step builds the addon from the shipped source when asked to (TETHER_BUILD_FROM_SOURCE=1)
// or when the prebuilt addon does not load, against the tether of TETHER_PREFIX or pkg-config.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { startServer } = require('./helpers');

const run = promisify(execFile);
const root = path.resolve(__dirname, '..');
const NPM_INSTALL = ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'];

let server;
let tmp;
let tarball;
before(async () => {
  server = await startServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tether-node-pack-'));
  assert.ok(fs.existsSync(path.join(root, 'native', 'tether.node')), 'build the addon first (npm run build)');
  const { stdout: packed } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root });
  tarball = path.join(tmp, packed.trim().split('\n').pop());
});
after(async () => {
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The environment of a machine that has Node and npm but no tether: no prefix, no library path,
 * no pkg-config file for tether. */
function bareEnv(extra = {}) {
  const env = { ...process.env, PKG_CONFIG_LIBDIR: path.join(tmp, 'no-pkgconfig'), ...extra };
  for (const name of ['TETHER_PREFIX', 'LD_LIBRARY_PATH', 'PKG_CONFIG_PATH', 'TETHER_BUILD_FROM_SOURCE']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function freshApp(name) {
  const app = path.join(tmp, name);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return app;
}

/** Runs the Quick Start example installed in app, with nothing from the build machine. */
async function runExample(app) {
  const example = path.join(app, 'node_modules', '@tether', 'node', 'examples', 'quickstart.js');
  const { stdout } = await run(process.execPath, [example, server.url('/echo')], { cwd: app, env: bareEnv(), timeout: 20000 });
  assert.match(stdout, /WebSocket connected!/);
  assert.match(stdout, /Received: \{ type: 'chat', message: 'Hello!' \}/);
  assert.match(stdout, /Iterated: one/);
  const { stdout: version } = await run(process.execPath, ['-e', "console.log(require('@tether/node').version)"], { cwd: app, env: bareEnv() });
  assert.match(version.trim(), /^\d+\.\d+\.\d+$/);
}

test('the tarball holds the prebuilt addon, libtether, and the source with its build scripts', async () => {
  const { stdout: listing } = await run('tar', ['tzf', tarball]);
  const files = listing.split('\n');
  for (const f of ['native/tether.node', 'native/libtether.so.0', 'lib/index.js', 'index.d.ts', 'examples/quickstart.js',
    'src/tether_node.c', 'scripts/build.js', 'scripts/install.js', 'README.md']) {
    assert.ok(files.includes(`package/${f}`), `${f} is in the tarball`);
  }
  assert.ok(!/node_modules|\.tgz|package\/test\//.test(listing), 'no node_modules, tarballs or tests inside');
});

test('npm install <tarball> in a fresh folder uses the prebuilt addon -> the example runs', async () => {
  const app = freshApp('prebuilt');
  const { stdout } = await run('npm', [...NPM_INSTALL, tarball], { cwd: app, env: bareEnv() });
  assert.doesNotMatch(stdout, /building the addon/);
  await runExample(app);
});

test('TETHER_BUILD_FROM_SOURCE=1 with TETHER_PREFIX: the addon is compiled at install -> the example runs', async () => {
  const app = freshApp('from-source');
  const env = bareEnv({ TETHER_BUILD_FROM_SOURCE: '1', TETHER_PREFIX: requiredPrefix() });
  const { stdout } = await run('npm', [...NPM_INSTALL, tarball], { cwd: app, env });
  assert.match(stdout, /building the addon from source \(TETHER_BUILD_FROM_SOURCE=1\)/);
  assert.match(stdout, /tether from TETHER_PREFIX=/);
  assert.match(stdout, /built from source/);
  await runExample(app);
});

test('a prebuilt addon that does not load is rebuilt from source, tether found by pkg-config', async () => {
  const app = freshApp('fallback');
  await run('npm', [...NPM_INSTALL, tarball], { cwd: app, env: bareEnv() });
  // What another platform sees: a file that is not a loadable addon for it.
  const addon = path.join(app, 'node_modules', '@tether', 'node', 'native', 'tether.node');
  fs.writeFileSync(addon, 'not an ELF object for this machine');
  // A tether.pc naming the install prefix, as a system installation provides it.
  const pcDir = path.join(tmp, 'pkgconfig');
  fs.mkdirSync(pcDir, { recursive: true });
  const prefix = requiredPrefix();
  fs.writeFileSync(path.join(pcDir, 'tether.pc'), [
    `prefix=${prefix}`, 'libdir=${prefix}/lib', 'includedir=${prefix}/include', '',
    'Name: tether', 'Description: tether', 'Version: 0.1.0', 'Libs: -L${libdir} -ltether', 'Cflags: -I${includedir}', '',
  ].join('\n'));
  const { stdout } = await run('npm', ['rebuild', '--foreground-scripts', '@tether/node'], {
    cwd: app, env: bareEnv({ PKG_CONFIG_LIBDIR: pcDir }),
  });
  assert.match(stdout, /the prebuilt addon \(linux-x64\) cannot be used/);
  assert.match(stdout, /tether from pkg-config tether/);
  assert.match(stdout, /built from source/);
  await runExample(app);
});

test('a source build with no tether to build against fails the install, saying what it needs', async () => {
  const app = freshApp('no-tether');
  await assert.rejects(
    run('npm', [...NPM_INSTALL, tarball], { cwd: app, env: bareEnv({ TETHER_BUILD_FROM_SOURCE: '1' }) }),
    (err) => {
      assert.match(String(err.stderr), /tether not found: set TETHER_PREFIX/);
      return true;
    },
  );
});

function requiredPrefix() {
  const prefix = process.env.TETHER_PREFIX;
  assert.ok(prefix, 'TETHER_PREFIX must name the tether install the source build uses');
  return path.resolve(prefix);
}
