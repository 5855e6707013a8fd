#!/usr/bin/env node
// npm's install step of @tether/node. The package ships a prebuilt addon and libtether.so.0 for
// linux-x64 (glibc): when that addon loads here, there is nothing to do. When it does not (another
// architecture or C library), or when TETHER_BUILD_FROM_SOURCE=1, the addon is compiled from the
// shipped src/ by scripts/build.js against an installed tether (TETHER_PREFIX, or pkg-config)
// with the system C compiler and Node's headers. Nothing is downloaded.
//
// In the development checkout (npm ci run in this folder) it does nothing: `npm run build` builds.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { build, BuildError } = require('./build');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'native', 'tether.node');

function say(line) {
  console.log(`@tether/node: ${line}`);
}

/** Why the addon does not load in a fresh Node process, or null when it does. */
function loadFailure() {
  if (!fs.existsSync(addon)) return `${path.relative(root, addon)} is missing`;
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { stdio: ['ignore', 'ignore', 'pipe'] });
    return null;
  } catch (err) {
    const text = String(err.stderr || err.message).split('\n').find((l) => /Error/.test(l)) || 'it does not load';
    return text.trim();
  }
}

function isDevelopmentCheckout() {
  const started = process.env.INIT_CWD;
  try {
    return Boolean(started) && fs.realpathSync(started) === fs.realpathSync(root);
  } catch {
    return false;
  }
}

function main() {
  if (isDevelopmentCheckout()) return;
  const forced = process.env.TETHER_BUILD_FROM_SOURCE === '1';
  if (!forced) {
    const failure = loadFailure();
    if (!failure) return;
    say(`the prebuilt addon (linux-x64) cannot be used on ${process.platform}-${process.arch}: ${failure}`);
  }
  say(`building the addon from source${forced ? ' (TETHER_BUILD_FROM_SOURCE=1)' : ''}`);
  try {
    build({ werror: false, log: say });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`@tether/node: the source build failed: ${err.message}`);
    console.error('@tether/node: it needs a C compiler (cc), node_api.h, and tether installed (TETHER_PREFIX or pkg-config); see the README, "Building from source"');
    process.exit(1);
  }
  const failure = loadFailure();
  if (failure) {
    console.error(`@tether/node: the addon built from source does not load: ${failure}`);
    process.exit(1);
  }
  say('built from source');
}

main();
