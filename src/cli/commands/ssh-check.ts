import { errorMessage, isTroubleshooterError, TroubleshooterError } from '../../core/errors';
import { ttyHostKeyPrompt, ttyPassphraseProvider } from '../../core/remote/auth';
import { textCommand } from '../../core/remote/command';
import { run } from '../../core/remote/exec';
import { SshPool } from '../../core/remote/pool';
import { SshConfigResolver, type SshTarget } from '../../core/remote/ssh-config';
import type { CliCommand } from '../command';

const USAGE = 'ssh check <host>… [--ssh-config FILE] [--sudo] [--json]';

interface Row {
  host: string;
  ok: boolean;
  target?: string;
  remoteName?: string;
  auth?: string;
  sudo?: string;
  ms?: number;
  error?: { code: string; message: string };
}

function describe(t: SshTarget): string {
  const hops: string[] = [];
  for (let j = t.jump; j; j = j.jump) hops.push(j.alias);
  const via = hops.length ? ` via ${hops.join(' <- ')}` : t.proxyCommand ? ` via ProxyCommand "${t.proxyCommand}"` : '';
  return `${t.user}@${t.hostName}:${t.port}${via}`;
}

/**
 * `ssh check <host>…`: resolves each host through the ssh config exactly as the extension does (ProxyJump,
 * known_hosts, agent, keys), connects, runs `uname -n` (and `sudo -n true` with --sudo) and says what worked
 * or the one typed reason why not. Exit 0 when all hosts answered, 1 otherwise.
 */
export const sshCheckCommand: CliCommand = {
  name: 'ssh check',
  summary: 'Connect to hosts the way the extension does and report auth, host key, ProxyJump/ProxyCommand and sudo problems.',
  usage: USAGE,
  async run(args, io) {
    const hosts: string[] = [];
    let configFile: string | undefined;
    let sudo = false;
    let json = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--ssh-config') configFile = args[++i];
      else if (a === '--sudo') sudo = true;
      else if (a === '--json') json = true;
      else if (a.startsWith('--')) {
        io.err(`Unknown option "${a}".\nUsage: openstack-troubleshooter ${USAGE}`);
        return 2;
      } else hosts.push(a);
    }
    if (hosts.length === 0 || (configFile !== undefined && !configFile)) {
      io.err(`Usage: openstack-troubleshooter ${USAGE}`);
      return 2;
    }
    let resolver: SshConfigResolver;
    try {
      resolver = new SshConfigResolver({ configFile, configFileRequired: configFile !== undefined, env: io.env });
    } catch (e) {
      io.err(errorMessage(e));
      return 3;
    }
    const pool = new SshPool({ resolve: (a) => resolver.resolve(a), logger: io.log, passphrase: ttyPassphraseProvider(), hostKeyPrompt: ttyHostKeyPrompt() });
    const rows: Row[] = [];
    try {
      for (const host of hosts) {
        const row: Row = { host, ok: false };
        const t0 = performance.now();
        try {
          const target = pool.target(host);
          row.target = describe(target);
          row.remoteName = (await run(pool, target, textCommand(['uname', '-n']), { signal: io.signal })).value.trim();
          row.auth = (await pool.connection(target, io.signal)).authMethod;
          row.ok = true;
          if (sudo) {
            try {
              await run(pool, target, { ...textCommand(['true']), sudo: true }, { signal: io.signal });
              row.sudo = target.user === 'root' ? 'root (not needed)' : 'passwordless';
            } catch (e) {
              row.sudo = isTroubleshooterError(e) ? e.code : 'failed';
              row.ok = false;
              row.error = { code: isTroubleshooterError(e) ? e.code : 'CommandFailed', message: errorMessage(e) };
            }
          }
        } catch (e) {
          const err = e instanceof TroubleshooterError ? e : new TroubleshooterError('ConnectionLost', errorMessage(e));
          row.error = { code: err.code, message: err.message };
        }
        row.ms = Math.round(performance.now() - t0);
        rows.push(row);
      }
    } finally {
      pool.dispose();
    }
    if (json) io.out(JSON.stringify(rows, null, 2));
    else {
      for (const r of rows) {
        if (r.ok) io.out(`${r.host}: ok, ${r.target}, ${r.auth}, answered as "${r.remoteName}"${r.sudo ? `, sudo ${r.sudo}` : ''} [${r.ms}ms]`);
        else io.out(`${r.host}: ${r.error?.code}: ${r.error?.message}${r.target ? ` (${r.target})` : ''}`);
      }
    }
    return rows.every((r) => r.ok) ? 0 : 1;
  },
};
