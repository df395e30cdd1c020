import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { parseCommon, table, toJson } from '../../../src/cli/commands/openstack-common';
import { isTroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';

/** Option parsing and table output of the OpenStack CLI commands, and their errors before any network call. */

describe('openstack CLI common options and output', () => {
  it('parses --cloud, --all-projects, --json, command options (also --opt=value) and positionals', () => {
    const o = parseCommon(['vm1', '--cloud', 'lab', '--all-projects', '--json', '--host=compute1', 'req-1'], ['--host']);
    assert.equal(o.cloud, 'lab');
    assert.equal(o.allProjects, true);
    assert.equal(o.json, true);
    assert.deepEqual(o.values, { host: 'compute1' });
    assert.deepEqual(o.positional, ['vm1', 'req-1']);
    assert.throws(() => parseCommon(['--cloud']), (e: unknown) => isTroubleshooterError(e, 'InvalidInput') && e.message === 'Option --cloud needs a value.');
    assert.throws(() => parseCommon(['--cloud', '--json']), /needs a value/);
    assert.throws(() => parseCommon(['--nope']), (e: unknown) => isTroubleshooterError(e, 'InvalidInput') && e.message === 'Unknown option "--nope".');
  });

  it('renders an aligned table and JSON without raw payloads', () => {
    assert.equal(table(['ID', 'Name'], [['1', 'vm-long-name'], ['22', null]]), 'ID  Name\n--  ------------\n1   vm-long-name\n22');
    assert.equal(toJson([{ id: 'a', raw: { huge: true } }]), '[\n  {\n    "id": "a"\n  }\n]');
  });

  it('reports an unknown cloud and a malformed clouds.yaml as one line, exit 3, no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-clouds-'));
    try {
      const file = join(dir, 'clouds.yaml');
      writeFileSync(file, 'clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: admin\n      password: Sup3rSecret\n');
      const io = (out: string[], err: string[]) => ({ out: (t: string) => out.push(t), err: (t: string) => err.push(t), log: new MemoryLogger(), env: { OS_CLIENT_CONFIG_FILE: file }, cwd: dir });
      const out: string[] = [];
      const err: string[] = [];
      assert.equal(await main(['servers', '--cloud', 'other'], io(out, err)), 3);
      assert.deepEqual(err, [`Error: No cloud named "other" in "${file}" (known: lab).`]);
      writeFileSync(file, 'clouds:\n  lab:\n    auth: {password: Sup3rSecret\n');
      err.length = 0;
      assert.equal(await main(['hypervisors'], io(out, err)), 3);
      assert.equal(err.length, 1);
      assert.match(err[0], new RegExp(`^Error: Invalid YAML in "${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" at line \\d+, column \\d+: `));
      assert.ok(!err[0].includes('Sup3rSecret'));
      err.length = 0;
      // A reachable config but a closed port: a typed, one-line error.
      writeFileSync(file, 'clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: admin\n      password: Sup3rSecret\n');
      assert.equal(await main(['routers'], io(out, err)), 3);
      assert.deepEqual(err, ['Error: Identity: cannot reach "127.0.0.1:9" (connection refused).']);
      assert.deepEqual(out, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check --deadline covers authentication: a Keystone that accepts and never answers ends after the deadline, not 30 s', async function () {
    this.timeout(20_000);
    const sockets: Socket[] = [];
    const server = createServer((sock) => sockets.push(sock)); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'cli-deadline-'));
    try {
      const file = join(dir, 'clouds.yaml');
      writeFileSync(file, `clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:${port}/v3\n      username: admin\n      password: Sup3rSecret\n      project_name: admin\n`);
      const err: string[] = [];
      const t0 = Date.now();
      const code = await main(['check', 'vxlan', '--cloud', 'lab', '--deadline', '2'], { out: () => {}, err: (t: string) => err.push(t), log: new MemoryLogger(), env: { OS_CLIENT_CONFIG_FILE: file }, cwd: dir });
      const took = Date.now() - t0;
      assert.equal(code, 3, err.join('\n'));
      assert.ok(took >= 1900 && took < 6000, `took ${took} ms`);
      assert.match(err.join('\n'), /did not finish within 2 s/);
      assert.ok(!err.join('\n').includes('Sup3rSecret'));
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
