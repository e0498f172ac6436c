#!/usr/bin/env node
'use strict';
/*
 * Builds the web app (src/ui) into dist/ui: one bundled script, one stylesheet and the page that
 * loads them, all from npm packages, nothing from a CDN. `--watch` rebuilds on change.
 */
const { build, context } = require('esbuild');
const { copyFileSync, mkdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');
const { readFileSync } = require('node:fs');

const root = join(__dirname, '..');
const source = join(root, 'src', 'ui');
const out = join(root, 'dist', 'ui');

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: { app: join(source, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  legalComments: 'none',
  logLevel: 'warning',
};

function copyStatic() {
  copyFileSync(join(source, 'index.html'), join(out, 'index.html'));
  for (const name of ['app.css', 'favicon.svg']) copyFileSync(join(source, name), join(out, name));
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  if (process.argv.includes('--watch')) {
    const watching = await context({ ...options, plugins: [{ name: 'static', setup: (b) => b.onEnd(copyStatic) }] });
    await watching.watch();
    return;
  }
  await build(options);
  copyStatic();
  const gzipped = ['app.js', 'app.css'].reduce((total, name) => total + gzipSync(readFileSync(join(out, name))).length, 0);
  const raw = ['app.js', 'app.css'].reduce((total, name) => total + statSync(join(out, name)).size, 0);
  process.stdout.write(`built dist/ui: ${(raw / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
