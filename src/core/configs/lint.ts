import { TroubleshooterError } from '../errors';
import type { ConfigFacts } from './facts';
import { IGNORE_MARKER, SEVERITY_RANK, type ConfigKind, type Finding, type Fix, type Severity } from './model';
import { lintLibvirtConf } from './rules-libvirt';
import { lintLimitsConf } from './rules-limits';
import { lintOptionFile } from './rules-option-file';
import { lintSystemdUnit } from './rules-systemd';
import { splitLines } from './text';

/** Config files larger than this are refused (they are not configuration, or not this kind). */
export const MAX_CONFIG_BYTES = 5 * 1024 * 1024;

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Which parser/rules apply, from the path first and the content second; undefined when none. */
export function detectConfigKind(path: string, text = ''): ConfigKind | undefined {
  const p = path.replace(/\\/g, '/');
  const b = base(p);
  if (/\.service\.d\/[^/]+\.conf$/.test(p) || /\.(service|socket)$/.test(b)) return 'systemd-unit';
  if (b === 'libvirtd.conf' || b === 'virtproxyd.conf') return 'libvirtd';
  if (b === 'limits.conf' || /(^|\/)limits\.d\/[^/]+\.conf$/.test(p)) return 'limits';
  if (b === 'my.cnf' || b === '.my.cnf' || /\.cnf$/.test(b) || /(^|\/)my\.cnf\.d\//.test(p)) return 'option-file';
  // Content: the first meaningful lines decide.
  const meaningful = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith(';')).slice(0, 20);
  if (meaningful.some((l) => /^\[(Unit|Service|Install|Socket)\]$/.test(l))) return 'systemd-unit';
  if (meaningful.some((l) => /^\[(mysqld|mariadb|server|client|mysql|galera|client-server|mysqld_safe|mariadb-\d+\.\d+|mysqld-\d+\.\d+)\]$/i.test(l) || /^!include(dir)?\s/.test(l))) return 'option-file';
  if (meaningful.some((l) => /^\S+\s+(soft|hard|-)\s+(nofile|nproc|core|memlock|stack|as|data|fsize|cpu|rss)\s+\S+$/.test(l))) return 'limits';
  if (meaningful.some((l) => /^(listen_tcp|listen_tls|auth_tcp|auth_tls|tcp_port|tls_port|listen_addr|unix_sock_group)\s*=/.test(l))) return 'libvirtd';
  return undefined;
}

export function tooLargeError(size: number, path: string): TroubleshooterError {
  return new TroubleshooterError('FileTooLarge', `The file is ${(size / 1024 / 1024).toFixed(1)} MB, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MB a configuration file can be: "${path}".`, { subject: path });
}

/**
 * Decodes a file's bytes for the config doctor, refusing what is not a text config file. Nothing is modified;
 * the error says why in one sentence.
 */
export function decodeConfigBytes(bytes: Uint8Array, path: string): string {
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLargeError(bytes.length, path);
  if (bytes.includes(0)) {
    throw new TroubleshooterError('BinaryFile', `The file is binary, not a configuration file: "${path}".`, { subject: path });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TroubleshooterError('BinaryFile', `The file is not valid UTF-8 text: "${path}".`, { subject: path });
  }
}

export interface LintInput {
  path: string;
  text: string;
  kind?: ConfigKind;
  facts?: ConfigFacts;
}

export interface LintResult {
  kind: ConfigKind | undefined;
  findings: Finding[];
}

/** Codes silenced by `# openstack-troubleshooter: ignore <code>[, <code>…]` on the line or on the line above ('*' = all). */
export function ignoredCodes(text: string): Map<number, Set<string>> {
  const lines = splitLines(text);
  const out = new Map<number, Set<string>>();
  const add = (line: number, codes: string[]) => {
    const s = out.get(line) ?? new Set<string>();
    for (const c of codes) s.add(c);
    out.set(line, s);
  };
  lines.forEach((l, i) => {
    const at = l.text.indexOf(IGNORE_MARKER);
    if (at < 0) return;
    const hash = l.text.lastIndexOf('#', at);
    if (hash < 0) return;
    const rest = l.text.slice(at + IGNORE_MARKER.length).trim();
    const codes = rest === '' ? ['*'] : rest.split(/[\s,]+/).filter(Boolean);
    add(i, codes);
    // A comment-only line covers the next line.
    if (l.text.slice(0, hash).trim() === '') add(i + 1, codes);
  });
  return out;
}

/** The comment line that silences `code` on `line` (insert it above that line, same indentation). */
export function ignoreFix(text: string, finding: Finding): Fix {
  const lines = splitLines(text);
  const line = finding.range.start.line;
  const indent = /^\s*/.exec(lines[line]?.text ?? '')?.[0] ?? '';
  const eol = lines.length > 1 ? lines[0].eol || '\n' : '\n';
  return {
    title: `Ignore ${finding.code} on this line`,
    preferred: false,
    files: [{ edits: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}# ${IGNORE_MARKER} ${finding.code}${eol}` }] }],
  };
}

function restartPending(kind: ConfigKind, facts: ConfigFacts): Finding | undefined {
  if (facts.fileModifiedAt === undefined || facts.serviceStartedAt === undefined || facts.fileModifiedAt <= facts.serviceStartedAt) return undefined;
  const service = facts.serviceName ?? (kind === 'libvirtd' ? 'libvirtd' : 'mariadb');
  const unitChange = kind === 'systemd-unit';
  return {
    code: 'config/restart-pending',
    severity: 'warning',
    message: `Changed but not yet applied: this file was modified after ${service} started (${new Date(facts.fileModifiedAt).toISOString()} > ${new Date(facts.serviceStartedAt).toISOString()}); restart ${service}${unitChange ? ' after "systemctl daemon-reload"' : ''} for it to take effect.`,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    docUrl: 'https://www.freedesktop.org/software/systemd/man/latest/systemctl.html',
    fixes: [],
    commands: [
      ...(unitChange ? [{ argv: ['systemctl', 'daemon-reload'], sudo: true, description: 'Make systemd read the changed unit files.' }] : []),
      { argv: ['systemctl', 'restart', service], sudo: true, description: `Restart ${service} so it reads its configuration.` },
    ],
  };
}

/** Lints one document: parse, run the rules of its kind, drop ignored findings, sort by position. */
export function lintConfig(input: LintInput): LintResult {
  const kind = input.kind ?? detectConfigKind(input.path, input.text);
  const facts = input.facts ?? {};
  let findings: Finding[] = [];
  switch (kind) {
    case 'libvirtd':
      findings = lintLibvirtConf(input.text, facts, input.path);
      break;
    case 'option-file':
      findings = lintOptionFile(input.text, facts, input.path);
      break;
    case 'limits':
      findings = lintLimitsConf(input.text, facts);
      break;
    case 'systemd-unit':
      findings = lintSystemdUnit(input.text, facts, input.path);
      break;
    case undefined:
      return { kind, findings: [] };
  }
  const pending = restartPending(kind, facts);
  if (pending) findings.push(pending);
  const ignored = ignoredCodes(input.text);
  findings = findings.filter((f) => {
    const codes = ignored.get(f.range.start.line);
    return !codes || !(codes.has(f.code) || codes.has('*'));
  });
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code));
  return { kind, findings };
}

export function worstSeverity(findings: Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) if (!worst || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}
