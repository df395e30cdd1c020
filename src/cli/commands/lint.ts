import { isAbsolute, relative, resolve } from 'node:path';
import { errorMessage, TroubleshooterError } from '../../core/errors';
import { redact } from '../../core/log';
import { gatherFacts, type ConfigFacts } from '../../core/configs/facts';
import { LocalConfigFileStore, localReader, type StoredFile } from '../../core/configs/file-store';
import { resolveFileEdit } from '../../core/configs/fixes';
import { lintConfig, type LintResult } from '../../core/configs/lint';
import { SEVERITY_RANK, type ConfigKind, type Finding, type HostCommand } from '../../core/configs/model';
import type { CliCommand, CliIo } from '../command';

const USAGE = 'lint <files…> [--fix] [--json] [--root DIR] [--max-connections N] [--service-nofile N] [--migration-scheme tcp|tls|ssh] [--libvirt-model listen|socket|modular]';

interface Options {
  files: string[];
  fix: boolean;
  json: boolean;
  root: string;
  /** --root was given: fixes may write other files (drop-ins) below it. */
  rootGiven: boolean;
  facts: ConfigFacts;
}

function parseArgs(args: string[], cwd: string): Options {
  const o: Options = { files: [], fix: false, json: false, root: '/', rootGiven: false, facts: {} };
  const num = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v)) throw new TroubleshooterError('InvalidInput', `${flag} needs a whole number, not "${v ?? ''}".`);
    return Number(v);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--fix') o.fix = true;
    else if (a === '--json') o.json = true;
    else if (a === '--root') {
      const v = args[++i];
      if (!v) throw new TroubleshooterError('InvalidInput', `--root needs a folder. Usage: openstack-troubleshooter ${USAGE}`);
      o.root = resolve(cwd, v);
      o.rootGiven = true;
    }
    else if (a === '--max-connections') o.facts.maxConnections = num(a, args[++i]);
    else if (a === '--service-nofile') o.facts.serviceNofile = num(a, args[++i]);
    else if (a === '--migration-scheme') o.facts.novaMigrationScheme = args[++i];
    else if (a === '--libvirt-model') {
      const m = args[++i];
      if (m !== 'listen' && m !== 'socket' && m !== 'modular') throw new TroubleshooterError('InvalidInput', `--libvirt-model is listen, socket or modular, not "${m ?? ''}".`);
      o.facts.libvirtModel = m;
    } else if (a.startsWith('-')) throw new TroubleshooterError('InvalidInput', `Unknown option "${a}". Usage: openstack-troubleshooter ${USAGE}`);
    else o.files.push(a);
  }
  if (o.files.length === 0) throw new TroubleshooterError('InvalidInput', `Name at least one file. Usage: openstack-troubleshooter ${USAGE}`);
  return o;
}

/** The path the host sees: below --root the file's path relative to it, else its absolute path. */
function hostPath(file: string, root: string): string {
  if (root === '/') return file;
  const rel = relative(root, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : `/${rel}`;
}

interface FileReport {
  path: string;
  kind: ConfigKind | undefined;
  findings: Finding[];
  fixed?: { path: string; backupPath?: string }[];
  commands?: HostCommand[];
  /** Fixes not applied because they need a file other than the named one and --root was not given. */
  skipped?: string[];
  error?: string;
}

function position(f: Finding): string {
  return `${f.range.start.line + 1}:${f.range.start.character + 1}`;
}

/** Where `--fix` may write: the named file always; any other file a fix needs only below an explicit `--root`. */
interface FixPlaces {
  /** The named file as the host sees it (what fix edits address) and where it is on this machine. */
  hostPath: string;
  localPath: string;
  /** Store for the other files (drop-ins), rooted at --root; undefined when --root was not given. */
  others: LocalConfigFileStore | undefined;
}

/**
 * Applies the preferred fixes one at a time, re-linting between rounds (fixes can depend on each other). Errors
 * first: a misspelt option is renamed before a rule that sees it missing would add a second line. A fix that
 * needs another file is skipped without an explicit --root and says so. What was written is reported even when a
 * later write fails.
 */
async function fixFile(store: LocalConfigFileStore, places: FixPlaces, lint: (text: string) => Promise<LintResult>, report: FileReport): Promise<void> {
  const written: { path: string; backupPath?: string }[] = [];
  const commands: HostCommand[] = [];
  const skipped: string[] = [];
  const { hostPath, localPath, others } = places;
  report.fixed = written;
  report.commands = commands;
  report.skipped = skipped;
  for (let round = 0; round < 10; round++) {
    const cur = await store.read('local', localPath);
    if (cur.text === undefined) return;
    const result = await lint(cur.text);
    const fixes = result.findings
      .map((f, i) => ({ f, i }))
      .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.i - b.i)
      .flatMap(({ f }) => f.fixes.filter((x) => x.preferred && x.files.length > 0).map((x) => ({ finding: f, fix: x })));
    // The first preferred fix that still changes something (a drop-in already in place changes nothing).
    let applied = false;
    for (const { finding, fix } of fixes) {
      const elsewhere = fix.files.map((fe) => fe.path).filter((p): p is string => p !== undefined && p !== hostPath);
      if (elsewhere.length && !others) {
        const note = `The fix for ${finding.code} ("${fix.title}") also writes ${elsewhere.map((p) => `"${p}"`).join(', ')}: pass --root DIR (the host's root folder, "/" for this machine) to allow that; skipped.`;
        if (!skipped.includes(note)) skipped.push(note);
        continue;
      }
      const changes: { store: LocalConfigFileStore; target: string; after: string; version: StoredFile['version'] }[] = [];
      for (const fe of fix.files) {
        const mine = fe.path === undefined || fe.path === hostPath;
        const st = mine ? store : others!;
        const target = mine ? localPath : fe.path!;
        const file = mine ? cur : await st.read('local', target);
        const after = resolveFileEdit(fe, file.text);
        if (after !== file.text) changes.push({ store: st, target, after, version: file.version });
      }
      if (changes.length === 0) continue;
      for (const c of changes) {
        const r = await c.store.write('local', c.target, c.after, c.version);
        written.push({ path: c.target, backupPath: r.backupPath });
      }
      for (const c of fix.commands ?? []) if (!commands.some((x) => x.argv.join(' ') === c.argv.join(' '))) commands.push(c);
      applied = true;
      break;
    }
    if (!applied) break;
  }
}

export const lintCommand: CliCommand = {
  name: 'lint',
  summary: 'Check libvirtd.conf, my.cnf, limits.conf and systemd drop-ins; --fix applies the preferred fixes (with backups).',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    let opts: Options;
    try {
      opts = parseArgs(args, io.cwd);
    } catch (e) {
      io.err(errorMessage(e));
      return 2;
    }
    // Files are read below --root like the host would (includes, drop-ins); the named files by their own path.
    const store = new LocalConfigFileStore('/');
    const hostStore = new LocalConfigFileStore(opts.root);
    const reader = localReader(opts.root);
    const reports: FileReport[] = [];
    for (const name of opts.files) {
      const abs = resolve(io.cwd, name);
      const hp = hostPath(abs, opts.root);
      const report: FileReport = { path: name, kind: undefined, findings: [] };
      reports.push(report);
      try {
        const file = await store.read('local', abs, io.signal);
        if (file.text === undefined) throw new TroubleshooterError('NotFound', `No such file: "${name}".`);
        const lint = async (text: string) => {
          const facts = await gatherFacts(reader, { path: hp, text }, { ...opts.facts });
          return lintConfig({ path: hp, text, facts });
        };
        if (opts.fix) {
          // The named file is written where it is (through symlinks); other files only below an explicit --root.
          await fixFile(store, { hostPath: hp, localPath: abs, others: opts.rootGiven ? hostStore : undefined }, lint, report);
        }
        const now = await store.read('local', abs, io.signal);
        const result = await lint(now.text ?? '');
        report.kind = result.kind;
        report.findings = result.findings;
        if (result.kind === undefined) report.error = `Not a file the config doctor knows (libvirtd.conf, my.cnf, limits.conf, systemd drop-in): "${name}".`;
      } catch (e) {
        report.error = redact(errorMessage(e));
      }
    }

    if (opts.json) {
      io.out(JSON.stringify(reports.map((r) => ({ ...r, findings: r.findings.map((f) => ({ ...f, fixes: f.fixes.map((x) => ({ title: x.title, preferred: x.preferred ?? false, files: x.files, commands: x.commands })) })) })), null, 2));
    } else {
      for (const r of reports) {
        for (const w of r.fixed ?? []) io.out(`${w.path}: fixed${w.backupPath ? ` (backup: ${w.backupPath})` : ' (created)'}`);
        if (r.error) io.err(`${r.path}: error: ${r.error}`);
        for (const n of r.skipped ?? []) io.err(`${r.path}: note: ${n}`);
        for (const f of r.findings) io.out(`${r.path}:${position(f)}: ${f.severity} ${f.code}: ${f.message}${f.fixes.some((x) => x.preferred) ? ' [fix available]' : ''}`);
        if (r.commands?.length) io.out(`Then run on the host:\n${r.commands.map((c) => `  ${c.sudo ? 'sudo ' : ''}${c.argv.join(' ')}`).join('\n')}`);
      }
    }
    if (reports.some((r) => r.error)) return 3;
    return reports.some((r) => r.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.warning)) ? 1 : 0;
  },
};
