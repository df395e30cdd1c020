// The .vsix a user installs: what it holds, that it installs with code-server's CLI, and that its bundle
// loads with no node_modules in reach (ssh2 bundled, its optional native cpu-features absent).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installVsix, newRunDir, removeRunDir } from '../runners/code-server';
import { allowedBundleRequires, bundleRequires, packageVsix, type Vsix } from '../runners/vsix';

// Loads a bundle in plain Node as if it were installed alone: `vscode` is an inert stand-in (only so the
// module can load, nothing is called), and every other non-builtin module is "not installed".
const ISOLATED_LOAD = `
const Module = require('module');
const { builtinModules } = Module;
const inert = new Proxy(function () {}, { get: (_t, p) => (p === 'prototype' ? {} : p === Symbol.toPrimitive ? () => '' : inert), apply: () => inert, construct: () => inert });
const resolve = Module._resolveFilename;
const missing = [];
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'vscode') return 'vscode';
  if (request.startsWith('node:') || builtinModules.includes(request.split('/')[0])) return resolve.call(this, request, parent, ...rest);
  if (/^[./]/.test(request) && !request.endsWith('.node')) return resolve.call(this, request, parent, ...rest);
  missing.push(request);
  const e = new Error('Cannot find module ' + request); e.code = 'MODULE_NOT_FOUND'; throw e;
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: inert };
const ext = require(process.argv[1]);
console.log(JSON.stringify({ exports: Object.keys(ext).sort(), missing }));
`;

describe('e2e: the packaged .vsix', function () {
  this.timeout(180_000);
  let vsix: Vsix;
  let runDir: string;

  before(() => {
    vsix = packageVsix({ build: false });
    runDir = newRunDir('vsix');
    console.log(`    .vsix: ${(vsix.bytes / 1024).toFixed(1)} KiB (${vsix.path.replace(/^.*\/dist\//, 'dist/')})`);
  });
  after(function () {
    removeRunDir(runDir, this.currentTest?.state === 'failed');
  });

  it('holds the bundle, manifest, grammar, icon, license and readme, and no sources or node_modules', () => {
    const files = execFileSync('unzip', ['-Z1', vsix.path], { encoding: 'utf8' }).trim().split('\n');
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/media/icon.png', 'extension/LICENSE.txt', 'extension/readme.md']) {
      assert.ok(files.some((x) => x.toLowerCase() === f.toLowerCase()), `"${f}" is missing from the .vsix`);
    }
    assert.ok(files.some((f) => /^extension\/syntaxes\/.+\.tmLanguage\.json$/.test(f)), 'no TextMate grammar in the .vsix');
    const unwanted = files.filter((f) => /^extension\/(node_modules|src|test|out|bench|lab|scripts|\.lab|\.run|\.cache)\/|\.ts$|\.map$/.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('installs with code-server --install-extension', async () => {
    const extensionsDir = join(runDir, 'extensions');
    await installVsix(vsix.path, extensionsDir, runDir);
    const installed = readdirSync(extensionsDir).filter((d) => d.startsWith('openstack-troubleshooter.openstack-troubleshooter-'));
    assert.equal(installed.length, 1, `installed: ${readdirSync(extensionsDir).join(', ')}`);
    const manifest = JSON.parse(readFileSync(join(extensionsDir, installed[0], 'package.json'), 'utf8')) as { main: string };
    assert.ok(existsSync(join(extensionsDir, installed[0], manifest.main)), `main "${manifest.main}" is not in the installed extension`);
  });

  it('bundles every runtime dependency (ssh2 included): the bundle requires only vscode and optional natives', () => {
    const bundle = readFileSync(join(runDir, 'extensions', readdirSync(join(runDir, 'extensions')).find((d) => d.startsWith('openstack-troubleshooter.'))!, 'dist', 'extension.js'), 'utf8');
    const extra = bundleRequires(bundle).filter((r) => !allowedBundleRequires.includes(r));
    assert.deepEqual(extra, [], 'the bundle requires modules the .vsix does not ship');
  });

  it('loads with no node_modules in reach and exports activate/deactivate', () => {
    const dir = join(runDir, 'extensions', readdirSync(join(runDir, 'extensions')).find((d) => d.startsWith('openstack-troubleshooter.'))!);
    const out = execFileSync(process.execPath, ['-e', ISOLATED_LOAD, join(dir, 'dist', 'extension.js')], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop() as string) as { exports: string[]; missing: string[] };
    assert.deepEqual(result.exports.filter((e) => e === 'activate' || e === 'deactivate'), ['activate', 'deactivate']);
    // Whatever the bundle asked for and did not get must be one of ssh2's optional natives.
    assert.deepEqual(result.missing.filter((m) => !allowedBundleRequires.includes(m)), []);
  });
});
