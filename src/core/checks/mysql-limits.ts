import { inputText, type CheckDefinition } from './definition';
import { dropInPath, limitNofileDropInFix } from '../configs/fixes';
import { mariadbFdOutcome, recommendedNofile } from '../configs/mariadb-limits';
import { HostRunner, reasonOf, valueOf, type GatherContext, type Outcome } from './gather';
import { readFiles, type RemoteFile } from './commands/files';
import { grepLog, grepOption, myPrintDefaults, mysqlStatus, mysqlVariables, procLimits, type ProcLimits } from './commands/mysql';
import { argValues, findProcesses, processTable, type ProcessInfo, type ProcessTable } from './commands/processes';
import { unitShow } from './commands/systemd';
import { finding, overallStatus, skipped, type CheckReport, type Finding } from './types';

/**
 * MySQL/MariaDB effective connection limit (domain-facts §5): what the option files ask for, what the server
 * runs with (SHOW VARIABLES), the open-files limit the process really got (/proc/<pid>/limits), where that limit
 * comes from (systemd LimitNOFILE drop-in, not limits.conf), and the server's own "Changed limits" warning.
 */

export interface MysqlFacts {
  host: string;
  processes: Outcome<ProcessTable>;
  /** max_connections, open_files_limit, table_open_cache, table_open_cache_instances, log_error, version. */
  variables: Outcome<Record<string, string>>;
  status: Outcome<Record<string, string>>;
  /** my_print_defaults of the server groups: what the option files ask for. */
  configured: Outcome<Record<string, string>>;
  /** Where max_connections is set (file:line). */
  configSites: Outcome<{ file: string; line: number; text: string }[]>;
  limits: Outcome<ProcLimits>;
  unit: Outcome<{ systemd: boolean; props: Record<string, string> }>;
  /** systemd drop-ins of mariadb/mysql and limits.conf files. */
  files: Outcome<RemoteFile[]>;
  /** "Changed limits" lines of the error log. */
  logLines: Outcome<string[]>;
  startedAt: string;
  durationMs: number;
  unreachable: { host: string; reason: string }[];
}

export const MYSQL_VARIABLES = ['max_connections', 'open_files_limit', 'table_open_cache', 'table_open_cache_instances', 'log_error', 'version'];

function serverProcess(table: ProcessTable | undefined): ProcessInfo | undefined {
  return table ? findProcesses(table, /^(?:mariadbd|mysqld)$/)[0] : undefined;
}

/** Gathers the facts on the database host (the SSH user needs root or passwordless sudo; mysql uses unix_socket). */
export async function gatherMysql(ctx: GatherContext, host: string): Promise<MysqlFacts> {
  const started = Date.now();
  const t0 = performance.now();
  const run = new HostRunner(ctx);
  const processes = await run.run(host, 'list processes', processTable());
  const proc = serverProcess(valueOf(processes));
  const defaultsFile = proc ? argValues(proc.argv, '--defaults-file')[0] : undefined;
  const unitName = proc && /mysqld$/.test(proc.argv[0]) && !/mariadbd/.test(proc.args) ? 'mysql.service' : 'mariadb.service';
  const [variables, status, configured, configSites, limits, unit, files] = await Promise.all([
    run.run(host, 'SHOW VARIABLES', mysqlVariables(MYSQL_VARIABLES)),
    run.run(host, 'SHOW STATUS', mysqlStatus(['Max_used_connections', 'Threads_connected'])),
    run.run(host, 'my_print_defaults', myPrintDefaults(defaultsFile)),
    run.run(host, 'find max_connections in option files', grepOption('max_connections', defaultsFile ? [defaultsFile] : ['/etc/mysql', '/etc/my.cnf', '/etc/my.cnf.d'])),
    proc ? run.run(host, `read /proc/${proc.pid}/limits`, procLimits(proc.pid)) : Promise.resolve<Outcome<ProcLimits>>({ ok: false, reason: `No mariadbd or mysqld process on "${host}".` }),
    run.run(host, `systemctl show ${unitName}`, unitShow(unitName, ['LimitNOFILE', 'DropInPaths', 'FragmentPath'])),
    run.run(host, 'read drop-ins and limits.conf', readFiles(['/etc/systemd/system/mariadb.service.d/', '/etc/systemd/system/mysql.service.d/', '/etc/systemd/system/mysqld.service.d/', '/etc/security/limits.conf', '/etc/security/limits.d/'])),
  ]);
  const logFile = valueOf(variables)?.log_error;
  const logLines = logFile && logFile.startsWith('/')
    ? await run.run(host, 'grep "Changed limits"', grepLog(logFile, 'Changed limits'))
    : ({ ok: false, reason: logFile ? `log_error is relative ("${logFile}")` : 'log_error is empty (the log goes to journald or stderr)' } as Outcome<string[]>);
  ctx.progress({ host, message: 'facts gathered', done: true });
  return {
    host,
    processes,
    variables,
    status,
    configured,
    configSites,
    limits,
    unit,
    files,
    logLines,
    startedAt: new Date(started).toISOString(),
    durationMs: Math.round(performance.now() - t0),
    unreachable: run.unreachable(),
  };
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

export function evaluateMysql(f: MysqlFacts): Finding[] {
  const vars = valueOf(f.variables);
  const conf = valueOf(f.configured);
  const lim = valueOf(f.limits);
  const sites = valueOf(f.configSites) ?? [];
  const unit = valueOf(f.unit);
  const table = valueOf(f.processes);
  const proc = serverProcess(table);
  const hosts = [f.host];
  const out: Finding[] = [];

  const effective = num(vars?.max_connections);
  const configured = num(conf?.max_connections);
  const ofl = num(vars?.open_files_limit);
  const soft = lim?.openFiles?.soft;
  const hard = lim?.openFiles?.hard;
  const toc = num(vars?.table_open_cache);
  const inst = num(vars?.table_open_cache_instances);
  const service = unit?.props.FragmentPath?.includes('mysql.service') ? 'mysql' : 'mariadb';
  const unitLimit = unit?.systemd ? unit.props.LimitNOFILE : undefined;
  const dropIns = (valueOf(f.files) ?? []).filter((x) => x.exists && /\.service\.d\//.test(x.path));
  const dropInLimit = dropIns.map((d) => ({ d, m: /^\s*LimitNOFILE\s*=\s*(\S+)/m.exec(d.content ?? '') })).filter((x) => x.m).pop();
  const limitsConf = (valueOf(f.files) ?? []).filter((x) => x.exists && /\/security\/limits/.test(x.path));
  const limitsLines = limitsConf.flatMap((x) => (x.content ?? '').split('\n').map((l, i) => ({ file: x.path, line: i + 1, text: l.trim() }))).filter((l) => /^(mysql|\*|@mysql)\s+\S+\s+nofile\s+\S+/.test(l.text));

  // Where the limit comes from, in words.
  const limitSource = unit?.systemd
    ? dropInLimit
      ? `LimitNOFILE=${dropInLimit.m![1]} in ${dropInLimit.d.path}`
      : `the unit's LimitNOFILE=${unitLimit ?? '?'} (no drop-in in /etc/systemd/system/${service}.service.d/)`
    : unit && !unit.systemd
      ? `the process that starts the server (no systemd on this host${dropInLimit ? `; ${dropInLimit.d.path} sets LimitNOFILE=${dropInLimit.m![1]}` : ', and no LimitNOFILE drop-in'})`
      : 'unknown';
  const limitsNote = limitsLines.length && hard !== undefined && limitsLines.some((l) => Number(l.text.split(/\s+/)[3]) > hard)
    ? ` limits.conf asks for more (${limitsLines.map((l) => `${l.file}:${l.line} "${l.text}"`).join('; ')}), but pam_limits applies to login sessions, not to services.`
    : '';

  // 1. Effective max_connections vs configured.
  {
    const title = 'Effective max_connections';
    if (effective === undefined) out.push(skipped('max-connections', title, `Skipped: ${reasonOf(f.variables)}`, hosts));
    else {
      const evidence = [
        `SHOW VARIABLES: max_connections = ${effective}, open_files_limit = ${ofl ?? '?'}, table_open_cache = ${toc ?? '?'}, table_open_cache_instances = ${inst ?? '?'}${vars?.version ? ` (${vars.version})` : ''}`,
        `option files (my_print_defaults): max_connections = ${configured ?? '(not set: default 151)'}`,
        ...sites.map((s) => `${s.file}:${s.line}: ${s.text}`),
      ];
      const st = valueOf(f.status);
      if (st?.Max_used_connections) evidence.push(`Max_used_connections = ${st.Max_used_connections}, Threads_connected = ${st.Threads_connected ?? '?'}`);
      if (configured !== undefined && effective < configured) {
        const tell = effective === 214 ? ' 214 is the tell-tale of a 1024 open-files limit (1024 − 10 − 2·400).' : '';
        out.push(finding('max-connections', title, 'fail', `The server runs with max_connections = ${effective}, not the ${configured} its option files ask for: it lowered the value at startup because it may open only ${soft ?? ofl ?? '?'} files (${limitSource}).${tell}`, evidence, nofileFix(f.host, service, configured, unit?.systemd, limitsNote), hosts));
      } else {
        out.push(finding('max-connections', title, 'pass', `The server runs with the configured max_connections = ${effective}.`, evidence, undefined, hosts));
      }
    }
  }

  // 2. Open files: what the process got vs what max_connections needs.
  {
    const title = 'Open-files limit of the server';
    if (hard === undefined && ofl === undefined) out.push(skipped('open-files', title, `Skipped: ${reasonOf(f.limits)}`, hosts));
    else {
      const mc = configured ?? effective ?? 151;
      const need = recommendedNofile(mc);
      const outcome = mariadbFdOutcome({ maxConnections: mc, tableOpenCache: toc, tableOpenCacheInstances: inst, fdLimit: hard });
      const evidence = [
        proc ? `/proc/${proc.pid}/limits: Max open files ${soft ?? '?'} (soft) ${hard ?? '?'} (hard)` : `process: ${reasonOf(f.limits)}`,
        `open_files_limit (SHOW VARIABLES) = ${ofl ?? '?'}; the server asks for ${outcome.requested} at max_connections = ${mc}`,
        `limit source: ${limitSource}`,
        ...dropIns.map((d) => `${d.path}: ${(d.content ?? '').split('\n').filter((l) => /LimitNOFILE/.test(l)).join(' ') || '(no LimitNOFILE)'}`),
        ...limitsLines.map((l) => `${l.file}:${l.line}: ${l.text}`),
      ];
      const got = Math.min(ofl ?? Infinity, hard ?? Infinity);
      if (got < need) {
        const lowered = effective !== undefined && configured !== undefined && effective < configured;
        out.push(finding('open-files', title, 'fail', `The server may open only ${got} files, but max_connections = ${mc} needs about ${need} (5 × max_connections): ${lowered ? 'it lowered max_connections' : 'connections and tables fail with "Too many open files" under load'}. The limit comes from ${limitSource}.${limitsNote}`, evidence, nofileFix(f.host, service, mc, unit?.systemd, limitsNote), hosts));
      } else {
        out.push(finding('open-files', title, 'pass', `The server may open ${got} files, enough for max_connections = ${mc} (needs ${need}).`, evidence, undefined, hosts));
      }
    }
  }

  // 3. The server's own warning.
  {
    const title = 'Server log: "Changed limits"';
    const lines = valueOf(f.logLines);
    if (!lines) out.push(skipped('log', title, `Skipped: ${reasonOf(f.logLines)}`, hosts));
    else if (lines.length === 0) out.push(finding('log', title, 'pass', `No "Changed limits" warning in ${vars?.log_error ?? 'the error log'}.`, [], undefined, hosts));
    else {
      const mc = lines.map((l) => /max_connections:\s*(\d+)\s*\((?:requested|was)\s*(\d+)\)/.exec(l)).filter(Boolean).pop();
      out.push(finding('log', title, mc ? 'fail' : 'warn', mc ? `The server logged that it lowered max_connections from ${mc[2]} to ${mc[1]}.` : 'The server logged that it changed its limits at startup.', lines, undefined, hosts));
    }
  }
  return out;
}

function nofileFix(host: string, service: string, maxConnections: number, systemd: boolean | undefined, limitsNote: string) {
  const nofile = recommendedNofile(maxConnections);
  const path = dropInPath(service);
  const fix = limitNofileDropInFix(service, nofile);
  return {
    text: `Raise the service's open-files limit to at least ${nofile}: create ${path} with [Service] LimitNOFILE=${nofile}, then daemon-reload and restart ${service}.${systemd === false ? ' This host has no systemd: raise the limit where the server is started (ulimit -n / prlimit in its start script, or the container runtime).' : ''}${limitsNote ? ' Editing limits.conf does not help: systemd services do not go through PAM.' : ''} Verify with SHOW VARIABLES LIKE 'max_connections'.`,
    commands: fix.commands?.map((c) => ({ host, command: c.argv.join(' ') })),
    quickFix: { host, file: path, rule: 'mysql/open-files-too-low' },
    links: ['https://mariadb.com/kb/en/server-system-variables/#open_files_limit', 'https://mariadb.com/kb/en/systemd/'],
  };
}

export function mysqlReport(f: MysqlFacts): CheckReport {
  const findings = evaluateMysql(f);
  return {
    kind: 'mysql-limits',
    title: `MySQL effective connection limit on "${f.host}"`,
    subject: { host: f.host },
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** MySQL/MariaDB effective connection limit on the database host (no cloud needed). */
export const mysqlLimitsCheck: CheckDefinition<MysqlFacts> = {
  id: 'mysql-limits',
  title: 'Check MySQL Connection Limits',
  command: 'openstack.check.mysqlLimits',
  needsCloud: false,
  inputs: [{ name: 'host', kind: 'database-host', cli: '--host', metavar: 'HOST', required: true, cliDefault: 'controller' }],
  progressTitle: (l) => `Checking MySQL limits on "${l.host}"`,
  gather: async (_api, ctx, i) => [await gatherMysql(ctx, inputText(i, 'host') ?? 'controller')],
  evaluate: evaluateMysql,
  report: mysqlReport,
};
