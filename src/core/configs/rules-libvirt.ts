import { DOCS } from './docs';
import type { ConfigFacts } from './facts';
import { parseLibvirtConf, type LibvirtConf, type LibvirtEntry } from './libvirt-conf';
import type { Finding, Fix, HostCommand, Range, TextEdit } from './model';
import { appendLines, documentEol, wholeLineRange } from './text';

/** libvirt's ports (libvirtd.conf.in, libvirtd-tls.socket). "12506" is a myth from a blog post. */
export const LIBVIRT_TCP_PORT = '16509';
export const LIBVIRT_TLS_PORT = '16514';

/** What nova will connect to for live migration: from live_migration_uri, else the scheme (default tcp for kvm/qemu). */
export function novaTransport(f: ConfigFacts): { transport: 'tcp' | 'tls' | 'ssh' | 'other'; port?: string; known: boolean } {
  if (f.novaMigrationUri) {
    const m = /^qemu\+(tcp|tls|ssh|[a-z]+):\/\/[^/]*?(?::(\d+))?\//.exec(f.novaMigrationUri);
    const t = m?.[1];
    return { transport: t === 'tcp' || t === 'tls' || t === 'ssh' ? t : 'other', port: m?.[2], known: true };
  }
  if (f.novaNativeTls) return { transport: 'tls', known: true };
  if (f.novaMigrationScheme) {
    const s = f.novaMigrationScheme.toLowerCase();
    return { transport: s === 'tcp' || s === 'tls' || s === 'ssh' ? s : 'other', known: true };
  }
  // nova/conf/libvirt.py: live_migration_scheme None → "tcp" for kvm/qemu.
  return { transport: 'tcp', known: false };
}

/** Settings whose type libvirtd checks at startup (a wrong type stops the daemon). */
const TYPES: Record<string, 'int' | 'string' | 'list'> = {
  listen_tcp: 'int', listen_tls: 'int', tcp_port: 'string', tls_port: 'string', listen_addr: 'string',
  auth_tcp: 'string', auth_tls: 'string', auth_unix_ro: 'string', auth_unix_rw: 'string', unix_sock_group: 'string',
  unix_sock_rw_perms: 'string', unix_sock_ro_perms: 'string', key_file: 'string', cert_file: 'string', ca_file: 'string',
  crl_file: 'string', tls_no_verify_certificate: 'int', tls_no_sanity_certificate: 'int', max_clients: 'int',
  max_workers: 'int', min_workers: 'int', max_anonymous_clients: 'int', log_level: 'int', log_outputs: 'string',
  log_filters: 'string', tls_allowed_dn_list: 'list', sasl_allowed_username_list: 'list', mdns_adv: 'int',
  keepalive_interval: 'int', keepalive_count: 'int', admin_max_clients: 'int',
};

function setValueEdit(conf: LibvirtConf, key: string, newStatement: string): TextEdit {
  const e = conf.entries.find((x) => x.key === key);
  if (e) return { range: e.range, newText: newStatement };
  const c = conf.commented.find((x) => x.key === key);
  if (c) {
    const line = conf.lines[c.line].text;
    const start = line.indexOf('#');
    return { range: { start: { line: c.line, character: start }, end: { line: c.line, character: line.length } }, newText: newStatement };
  }
  const text = conf.lines.map((l) => l.text + l.eol).join('');
  return appendLines(text, [newStatement], documentEol(text));
}

function anchor(conf: LibvirtConf, key: string): Range {
  const e = conf.entries.find((x) => x.key === key);
  if (e) return e.range;
  const c = conf.commented.find((x) => x.key === key);
  if (c) return { start: { line: c.line, character: 0 }, end: { line: c.line, character: conf.lines[c.line].text.length } };
  return { start: { line: 0, character: 0 }, end: { line: 0, character: conf.lines[0].text.length } };
}

const restartLibvirtd: HostCommand = { argv: ['systemctl', 'restart', 'libvirtd'], sudo: true, description: 'Restart libvirtd so it reads libvirtd.conf again (running VMs keep running).' };

function socketFix(daemon: 'libvirtd' | 'virtproxyd', kind: 'tcp' | 'tls', preferred: boolean): Fix {
  return {
    title: `Enable ${daemon}-${kind}.socket (systemd socket activation)`,
    preferred,
    files: [],
    commands: [{ argv: ['systemctl', 'enable', '--now', `${daemon}-${kind}.socket`], sudo: true, description: `With socket activation, ${daemon} listens on ${kind === 'tcp' ? LIBVIRT_TCP_PORT : LIBVIRT_TLS_PORT} when this socket unit is enabled; libvirtd.conf's listen_* settings are ignored.` }],
  };
}

function intValue(e: LibvirtEntry | undefined): number | undefined {
  return e?.value.type === 'int' ? e.value.value : undefined;
}

export function lintLibvirtConf(text: string, facts: ConfigFacts = {}, path = 'libvirtd.conf'): Finding[] {
  const conf = parseLibvirtConf(text);
  const out: Finding[] = [];
  const daemon = /virtproxyd\.conf$/.test(path) ? 'virtproxyd' : 'libvirtd';
  const model = daemon === 'virtproxyd' ? (facts.libvirtModel ?? 'modular') : facts.libvirtModel;

  for (const err of conf.errors) {
    out.push({ code: 'libvirt/syntax', severity: 'error', message: `${err.message} libvirtd refuses to start with a syntax error in its configuration.`, range: err.range, docUrl: DOCS.libvirtDaemons, fixes: [] });
  }

  // Duplicates: libvirt uses the FIRST assignment; later ones are silently ignored.
  const firstSeen = new Map<string, LibvirtEntry>();
  for (const e of conf.entries) {
    const first = firstSeen.get(e.key);
    if (!first) {
      firstSeen.set(e.key, e);
      continue;
    }
    out.push({
      code: 'libvirt/duplicate-setting',
      severity: 'warning',
      message: `"${e.key}" is already set on line ${first.range.start.line + 1}; libvirt uses the first assignment, so this one is ignored.`,
      range: e.range,
      docUrl: DOCS.libvirtDaemons,
      fixes: [{ title: `Remove this duplicate "${e.key}"`, preferred: true, files: [{ edits: [{ range: wholeLineRange(conf.lines, e.range.start.line), newText: '' }] }] }],
      related: [{ path, range: first.range, message: 'The assignment libvirt uses.' }],
    });
  }

  // Types libvirtd checks at startup.
  for (const e of firstSeen.values()) {
    const want = TYPES[e.key];
    if (!want || e.value.type === want) continue;
    const fix: Fix[] = [];
    if (want === 'string' && e.value.type === 'int') fix.push({ title: `Quote the value: ${e.key} = "${e.value.value}"`, preferred: true, files: [{ edits: [{ range: e.valueRange, newText: `"${e.value.value}"` }] }] });
    if (want === 'int' && e.value.type === 'string' && /^\d+$/.test(e.value.value)) fix.push({ title: `Write the number without quotes: ${e.key} = ${e.value.value}`, preferred: true, files: [{ edits: [{ range: e.valueRange, newText: e.value.value }] }] });
    out.push({
      code: 'libvirt/wrong-type',
      severity: 'error',
      message: `"${e.key}" must be ${want === 'int' ? 'a number' : want === 'string' ? 'a quoted string' : 'a [list]'}; libvirtd refuses to start when a setting has the wrong type.`,
      range: e.valueRange,
      docUrl: DOCS.libvirtDaemons,
      fixes: fix,
    });
  }

  const get = (k: string) => firstSeen.get(k);
  const listenTcp = intValue(get('listen_tcp'));
  const listenTls = intValue(get('listen_tls'));
  // With socket activation the socket unit decides, not the file.
  const socketDaemon = model === 'modular' ? 'virtproxyd' : 'libvirtd';
  const viaSocket = (kind: 'tcp' | 'tls') => (model === 'socket' || model === 'modular') && (facts.enabledSockets ?? []).includes(`${socketDaemon}-${kind}.socket`);
  const tcpOn = viaSocket('tcp') || (model !== 'socket' && model !== 'modular' && listenTcp !== undefined && listenTcp !== 0);
  const tlsOn = listenTls === undefined ? true : listenTls !== 0; // default 1, effective only with --listen
  const nova = novaTransport(facts);

  // TCP transport off while nova migrates over qemu+tcp.
  if (nova.transport === 'tcp' && !tcpOn) {
    const fileFix: Fix = {
      title: 'Set listen_tcp = 1 (libvirtd started with --listen)',
      preferred: model !== 'socket' && model !== 'modular',
      files: [{ edits: [setValueEdit(conf, 'listen_tcp', 'listen_tcp = 1')] }],
      commands: [restartLibvirtd],
    };
    const fixes: Fix[] = [];
    if (model === 'socket' || model === 'modular') fixes.push(socketFix(model === 'modular' ? 'virtproxyd' : 'libvirtd', 'tcp', true));
    else {
      fixes.push(fileFix);
      if (model === undefined) fixes.push(socketFix('libvirtd', 'tcp', false), socketFix('virtproxyd', 'tcp', false));
    }
    const why = nova.known
      ? `nova migrates over qemu+tcp (port ${nova.port ?? LIBVIRT_TCP_PORT}), but ${daemon} does not listen on TCP: live migrations fail with "Connection refused".`
      : `nova's default live_migration_scheme for kvm/qemu is tcp (qemu+tcp://<host>/system, port ${LIBVIRT_TCP_PORT}), but ${daemon} does not listen on TCP here; if nova on this cloud migrates over tcp, live migrations fail with "Connection refused".`;
    const how = model === 'socket' || model === 'modular'
      ? ` This host uses systemd socket activation${model === 'modular' ? ' (virtproxyd)' : ''}: listen_tcp in the file is ignored; enable ${model === 'modular' ? 'virtproxyd' : 'libvirtd'}-tcp.socket instead.`
      : model === 'listen'
        ? ' libvirtd runs with --listen here, so listen_tcp in this file is what counts.'
        : ' listen_tcp only counts when libvirtd runs with --listen (LIBVIRTD_ARGS); on socket-activated libvirt ≥ 5.6 and with virtproxyd the file setting is ignored and libvirtd-tcp.socket / virtproxyd-tcp.socket must be enabled instead.';
    out.push({
      code: 'libvirt/tcp-disabled',
      severity: nova.known ? 'error' : 'info',
      message: why + how,
      range: anchor(conf, 'listen_tcp'),
      docUrl: model === 'socket' || model === 'modular' || model === undefined ? DOCS.libvirtDaemons : DOCS.novaMigrations,
      fixes,
    });
  }

  // TLS transport expected but not listening (only meaningful in the --listen model).
  if (nova.transport === 'tls' && listenTls === 0 && model !== 'socket' && model !== 'modular') {
    out.push({
      code: 'libvirt/tls-disabled',
      severity: 'error',
      message: `nova migrates over TLS (port ${LIBVIRT_TLS_PORT}), but listen_tls = 0: live migrations fail with "Connection refused".`,
      range: get('listen_tls')!.range,
      docUrl: DOCS.novaMigrations,
      fixes: [{ title: 'Set listen_tls = 1', preferred: true, files: [{ edits: [{ range: get('listen_tls')!.valueRange, newText: '1' }] }], commands: [restartLibvirtd] }],
    });
  }

  // auth_tcp = "none".
  const authTcp = get('auth_tcp');
  if (authTcp?.value.type === 'string' && authTcp.value.value === 'none') {
    out.push({
      code: 'libvirt/auth-tcp-none',
      severity: 'warning',
      message: 'auth_tcp = "none" lets anyone who reaches the TCP port control every VM on this host, unauthenticated and in cleartext. Use SASL (auth_tcp = "sasl" with saslpasswd2 users), or migrate over TLS (live_migration_with_native_tls / qemu+tls) and keep TCP closed; at least restrict listen_addr to the migration network.',
      range: authTcp.range,
      docUrl: DOCS.libvirtAuth,
      fixes: [{ title: 'Require SASL: auth_tcp = "sasl"', preferred: false, files: [{ edits: [{ range: authTcp.valueRange, newText: '"sasl"' }] }], commands: [restartLibvirtd] }],
    });
  }

  // listen_addr on all interfaces.
  const listenAddr = get('listen_addr');
  if (listenAddr?.value.type === 'string' && ['0.0.0.0', '::', '[::]', '*'].includes(listenAddr.value.value.trim())) {
    out.push({
      code: 'libvirt/listen-all-interfaces',
      severity: 'warning',
      message: `listen_addr = "${listenAddr.value.value}" exposes libvirt's remote API on every interface, including public and tenant-facing ones. Listen on the migration network's address only${facts.migrationAddress ? ` ("${facts.migrationAddress}", nova's live_migration_inbound_addr)` : ''}.`,
      range: listenAddr.range,
      docUrl: DOCS.libvirtRemote,
      fixes: facts.migrationAddress ? [{ title: `Listen on ${facts.migrationAddress} only`, preferred: true, files: [{ edits: [{ range: listenAddr.valueRange, newText: `"${facts.migrationAddress}"` }] }], commands: [restartLibvirtd] }] : [],
    });
  }

  // Ports.
  const portRule = (key: 'tcp_port' | 'tls_port', expectedDefault: string, transport: 'tcp' | 'tls') => {
    const e = get(key);
    if (e?.value.type !== 'string') return;
    const expected = nova.transport === transport && nova.port ? nova.port : expectedDefault;
    const v = e.value.value.trim();
    if (v === expected) return;
    const myth = v === '12506' ? ' 12506 is a myth from a blog post: libvirt has never used it.' : '';
    out.push({
      code: 'libvirt/port-mismatch',
      severity: nova.transport === transport ? 'error' : 'warning',
      message: `${key} = "${v}", but nova's migration URI connects to ${expected}${nova.port ? ' (its live_migration_uri)' : ` (libvirt's ${transport.toUpperCase()} port, qemu+${transport}://<host>/system)`}, so migrations to this host fail.${myth}`,
      range: e.valueRange,
      docUrl: DOCS.libvirtRemote,
      fixes: [{ title: `Set ${key} = "${expected}"`, preferred: true, files: [{ edits: [{ range: e.valueRange, newText: `"${expected}"` }] }], commands: [restartLibvirtd] }],
    });
  };
  portRule('tcp_port', LIBVIRT_TCP_PORT, 'tcp');
  portRule('tls_port', LIBVIRT_TLS_PORT, 'tls');

  // TLS listening without certificates: with --listen, listen_tls defaults to 1 and libvirtd refuses to start
  // when it cannot load the CA, certificate and key. Classic after adding --listen for TCP migration.
  const customCerts = get('ca_file') || get('cert_file') || get('key_file');
  if (tlsOn && model !== 'socket' && model !== 'modular' && (tcpOn || model === 'listen') && !customCerts && facts.libvirtTlsFilesPresent !== true) {
    const known = facts.libvirtTlsFilesPresent === false;
    const tlsEntry = get('listen_tls');
    const fixes: Fix[] = nova.transport !== 'tls'
      ? [{ title: 'Set listen_tls = 0 (migration uses TCP)', preferred: true, files: [{ edits: [tlsEntry ? { range: tlsEntry.range, newText: 'listen_tls = 0' } : setValueEdit(conf, 'listen_tls', 'listen_tls = 0')] }], commands: [restartLibvirtd] }]
      : [];
    out.push({
      code: 'libvirt/tls-without-certs',
      severity: known ? 'error' : 'info',
      message: `With --listen, TLS is on unless listen_tls = 0, and libvirtd ${known ? 'will not start: ' : 'does not start when '}/etc/pki/CA/cacert.pem, /etc/pki/libvirt/servercert.pem and /etc/pki/libvirt/private/serverkey.pem ${known ? 'are missing on this host' : 'are missing'}. Create them (libvirt's TLS guide) or set listen_tls = 0 when migrations use TCP.`,
      range: tlsEntry ? tlsEntry.range : get('listen_tcp')?.range ?? anchor(conf, 'listen_tls'),
      docUrl: DOCS.libvirtTls,
      fixes,
    });
  }
  return out;
}
