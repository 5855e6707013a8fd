'use strict';
// `npm pack` makes a tarball that installs into a fresh folder with no build step (the addon and
// libtether.so.0 are inside, found through rpath $ORIGIN) and runs the example from it.
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

let server;
let tmp;
before(async () => {
  server = await startServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tether-node-pack-'));
});
after(async () => {
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('npm pack -> npm install <tarball> in a fresh folder -> the example runs', async () => {
  assert.ok(fs.existsSync(path.join(root, 'native', 'tether.node')), 'build the addon first (npm run build)');
  const { stdout: packed } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root });
  const tarball = path.join(tmp, packed.trim().split('\n').pop());
  const { stdout: listing } = await run('tar', ['tzf', tarball]);
  for (const f of ['native/tether.node', 'native/libtether.so.0', 'lib/index.js', 'index.d.ts', 'examples/quickstart.js']) {
    assert.ok(listing.split('\n').includes(`package/${f}`), `${f} is in the tarball`);
  }
  assert.ok(!/node_modules|\.tgz/.test(listing), 'no node_modules or tarballs inside');

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  // Nothing from the build machine may be needed: no TETHER_PREFIX, no library path.
  const env = { ...process.env };
  delete env.TETHER_PREFIX;
  delete env.LD_LIBRARY_PATH;
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app, env });

  const example = path.join(app, 'node_modules', '@tether', 'node', 'examples', 'quickstart.js');
  const { stdout } = await run(process.execPath, [example, server.url('/echo')], { cwd: app, env, timeout: 20000 });
  assert.match(stdout, /WebSocket connected!/);
  assert.match(stdout, /Received: \{ type: 'chat', message: 'Hello!' \}/);
  assert.match(stdout, /Iterated: one/);

  const { stdout: version } = await run(process.execPath, ['-e', "console.log(require('@tether/node').version)"], { cwd: app, env });
  assert.match(version.trim(), /^\d+\.\d+\.\d+$/);
});
