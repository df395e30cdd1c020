import { strict as assert } from 'node:assert';
import { parseLibvirtConf, libvirtEntry } from '../../../src/core/configs/libvirt-conf';
import { gatherFacts } from '../../../src/core/configs/facts';
import { lintConfig } from '../../../src/core/configs/lint';
import { lintLibvirtConf } from '../../../src/core/configs/rules-libvirt';
import { applyTextEdits } from '../../../src/core/configs/text';
import { fixture, summary } from './helpers';

const DEFAULT = fixture('etc/libvirt/libvirtd.conf');

/** The Debian default with some lines replaced (1-based line → new text) — crafted variants keep real positions. */
function variant(changes: Record<number, string>): string {
  const lines = DEFAULT.split('\n');
  for (const [n, t] of Object.entries(changes)) lines[Number(n) - 1] = t;
  return lines.join('\n');
}

describe('configs: libvirtd.conf parser', () => {
  it('keeps exact ranges for keys, strings, ints and multi-line lists with comments', () => {
    const text = 'listen_tls = 0\n  auth_tcp="sasl" # why\ntls_allowed_dn_list = [ "C=GB,O=A",\n   # a comment\n   "C=GB,O=B", ]\nmax_clients = -1; log_level = 3\n';
    const c = parseLibvirtConf(text);
    assert.deepEqual(c.errors, []);
    assert.deepEqual(c.entries.map((e) => [e.key, e.value.type, e.keyRange.start.line, e.keyRange.start.character, e.valueRange.end.line, e.valueRange.end.character]), [
      ['listen_tls', 'int', 0, 0, 0, 14],
      ['auth_tcp', 'string', 1, 2, 1, 17],
      ['tls_allowed_dn_list', 'list', 2, 0, 4, 16],
      ['max_clients', 'int', 5, 0, 5, 16],
      ['log_level', 'int', 5, 18, 5, 31],
    ]);
    const list = libvirtEntry(c, 'tls_allowed_dn_list')!.value;
    assert.equal(list.type, 'list');
    if (list.type === 'list') assert.deepEqual(list.items.map((i) => [i.value, i.range.start.line, i.range.start.character]), [['C=GB,O=A', 2, 24], ['C=GB,O=B', 4, 3]]);
  });

  it('reports unclosed strings and lists as syntax errors with the line', () => {
    const findings = lintLibvirtConf('auth_tcp = "sasl\nlisten_tls = [ "a"\n');
    assert.deepEqual(summary(findings).filter((s) => s.includes('syntax')), ['error libvirt/syntax@1:11-16', 'error libvirt/syntax@2:13-18']);
  });

  it('uses the FIRST assignment, like virConfGetValue, and flags later duplicates', () => {
    const c = parseLibvirtConf('listen_tcp = 1\nlisten_tcp = 0\n');
    assert.equal(libvirtEntry(c, 'listen_tcp')!.value.type === 'int' && (libvirtEntry(c, 'listen_tcp')!.value as { value: number }).value, 1);
    assert.deepEqual(summary(lintLibvirtConf('listen_tcp = 1\nlisten_tls = 0\nlisten_tcp = 0\n')), ['warning libvirt/duplicate-setting@3:0-14']);
  });
});

describe('configs: libvirtd.conf rules on crafted variants of the Debian file', () => {
  it('listen_tcp = 0 while nova migrates over qemu+tcp: error on the statement, fix sets it to 1 in place', () => {
    const text = variant({ 38: 'listen_tcp = 0' });
    const findings = lintLibvirtConf(text, { novaMigrationScheme: 'tcp', libvirtModel: 'listen', libvirtTlsFilesPresent: true });
    assert.deepEqual(summary(findings), ['error libvirt/tcp-disabled@38:0-14']);
    const fix = findings[0].fixes[0];
    assert.equal(fix.preferred, true);
    const fixed = applyTextEdits(text, fix.files[0].edits!);
    assert.equal(fixed.split('\n')[37], 'listen_tcp = 1');
    assert.equal(fixed.split('\n').length, text.split('\n').length);
    assert.deepEqual(lintLibvirtConf(fixed, { novaMigrationScheme: 'tcp', libvirtModel: 'listen', libvirtTlsFilesPresent: true }), []);
  });

  it('unset listen_tcp: the fix uncomments Debian\'s "#listen_tcp = 1" rather than appending', () => {
    const [f] = lintLibvirtConf(DEFAULT, { novaMigrationUri: 'qemu+tcp://%s/system', libvirtModel: 'listen', libvirtTlsFilesPresent: true });
    assert.equal(f.severity, 'error');
    const fixed = applyTextEdits(DEFAULT, f.fixes[0].files[0].edits!);
    assert.equal(fixed.split('\n')[37], 'listen_tcp = 1');
    assert.equal(fixed.length, DEFAULT.length - 1);
  });

  it('socket-activated hosts: no file edit (it would be a no-op); the fix is enabling libvirtd-tcp.socket', () => {
    const [f] = lintLibvirtConf(DEFAULT, { novaMigrationScheme: 'tcp', libvirtModel: 'socket' });
    assert.equal(f.code, 'libvirt/tcp-disabled');
    assert.deepEqual(f.fixes.map((x) => [x.title, x.files.length, x.commands?.[0].argv.join(' ')]), [['Enable libvirtd-tcp.socket (systemd socket activation)', 0, 'systemctl enable --now libvirtd-tcp.socket']]);
    assert.match(f.message, /listen_tcp in the file is ignored/);
    const [m] = lintLibvirtConf(DEFAULT, { novaMigrationScheme: 'tcp', libvirtModel: 'modular' });
    assert.equal(m.fixes[0].commands?.[0].argv.join(' '), 'systemctl enable --now virtproxyd-tcp.socket');
  });

  it('Debian 12\'s enabled libvirtd.socket means socket activation; an enabled libvirtd-tcp.socket means TCP is on', async () => {
    const wants = ['libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'virtlogd.socket'];
    const reader = { read: async () => undefined, list: async (d: string) => (d === '/etc/systemd/system/sockets.target.wants' ? wants : undefined) };
    const facts = await gatherFacts(reader, { path: '/etc/libvirt/libvirtd.conf', text: DEFAULT });
    assert.equal(facts.libvirtModel, 'socket');
    const [f] = lintLibvirtConf(DEFAULT, facts);
    assert.deepEqual([f.code, f.severity, f.fixes.map((x) => x.title)], ['libvirt/tcp-disabled', 'info', ['Enable libvirtd-tcp.socket (systemd socket activation)']]);
    wants.push('libvirtd-tcp.socket');
    const on = await gatherFacts(reader, { path: '/etc/libvirt/libvirtd.conf', text: DEFAULT }, { novaMigrationScheme: 'tcp' });
    assert.deepEqual(lintLibvirtConf(DEFAULT, on), [], 'listen_tcp in the file does not matter there');
  });

  it('qemu+ssh migration: TCP being off is fine', () => {
    assert.deepEqual(lintLibvirtConf(DEFAULT, { novaMigrationScheme: 'ssh' }), []);
  });

  it('auth_tcp = "none", listen_addr 0.0.0.0, the 12506 myth and an unquoted port', () => {
    // The Debian file's own commented examples, uncommented with bad values (lines 22, 38, 56, 69, 191).
    const text = variant({ 22: 'listen_tls = 0', 38: 'listen_tcp = 1', 56: 'tcp_port = "12506"', 69: 'listen_addr = "0.0.0.0"', 191: 'auth_tcp = "none"' });
    const findings = lintConfig({ path: '/etc/libvirt/libvirtd.conf', text, facts: { novaMigrationScheme: 'tcp', libvirtModel: 'listen', migrationAddress: '198.18.0.12' } }).findings;
    assert.deepEqual(summary(findings), ['error libvirt/port-mismatch@56:11-18', 'warning libvirt/listen-all-interfaces@69:0-23', 'warning libvirt/auth-tcp-none@191:0-17']);
    const port = findings[0];
    assert.match(port.message, /12506 is a myth/);
    assert.equal(port.fixes[0].files[0].edits![0].newText, '"16509"');
    assert.equal(findings[1].fixes[0].files[0].edits![0].newText, '"198.18.0.12"');
    assert.match(findings[2].message, /unauthenticated and in cleartext/);
    assert.deepEqual(summary(lintLibvirtConf('tcp_port = 16509\n', { novaMigrationScheme: 'ssh' })), ['error libvirt/wrong-type@1:11-16']);
  });

  it('a port different from the one in nova\'s live_migration_uri', () => {
    const f = lintLibvirtConf('listen_tcp = 1\nlisten_tls = 0\ntcp_port = "16509"\n', { novaMigrationUri: 'qemu+tcp://%s:16600/system', libvirtModel: 'listen' });
    assert.deepEqual(summary(f), ['error libvirt/port-mismatch@3:11-18']);
    assert.equal(f[0].fixes[0].files[0].edits![0].newText, '"16600"');
  });

  it('--listen with TCP on and no TLS certificates: libvirtd would not start; fix turns listen_tls off', () => {
    const text = variant({ 38: 'listen_tcp = 1' });
    const findings = lintLibvirtConf(text, { novaMigrationScheme: 'tcp', libvirtModel: 'listen', libvirtTlsFilesPresent: false });
    assert.deepEqual(summary(findings), ['error libvirt/tls-without-certs@38:0-14']);
    const fixed = applyTextEdits(text, findings[0].fixes[0].files[0].edits!);
    assert.equal(fixed.split('\n')[21], 'listen_tls = 0', 'the commented "#listen_tls = 0" is uncommented');
    assert.deepEqual(lintLibvirtConf(fixed, { novaMigrationScheme: 'tcp', libvirtModel: 'listen', libvirtTlsFilesPresent: false }), []);
  });
});
