import { checkApiOf, hostExecOf } from '../../core/checks/adapters';
import { cliUsageOf, inputsComplete, runCheck, type CheckInputs } from '../../core/checks/definition';
import { gatherContext } from '../../core/checks/gather';
import { CHECKS, checkById } from '../../core/checks/registry';
import { renderJson, renderMarkdown, renderText } from '../../core/checks/report';
import { exitCodeOf, type CheckReport } from '../../core/checks/types';
import { withDeadline } from '../../core/deadline';
import { TroubleshooterError } from '../../core/errors';
import type { HostMapConfig } from '../../core/hosts/host-map';
import { ttyHostKeyPrompt, ttyPassphraseProvider } from '../../core/remote/auth';
import { SshPool } from '../../core/remote/pool';
import { SshConfigResolver } from '../../core/remote/ssh-config';
import type { CliCommand, CliIo } from '../command';
import { parseCommon, withCloud, type CommonOptions } from './openstack-common';

const USAGE = [
  ...CHECKS.map((c, i) => `${i ? '       ' : ''}${cliUsageOf(c)} [COMMON]`),
  '  COMMON: [--cloud NAME] [--json | --markdown] [--ssh-config FILE] [--host-template T] [--deadline SECONDS]',
].join('\n');

/** The options of every check (src/core/checks/registry.ts), plus the SSH and deadline options they share. */
const VALUE_OPTIONS = [...new Set([...CHECKS.flatMap((c) => c.inputs.flatMap((i) => (i.cli === 'positional' ? [] : [i.cli]))), '--ssh-config', '--host-template', '--deadline'])];

/**
 * `check …`: the extension's checks from a terminal or CI. Exit codes: 0 pass (or warnings only), 1 a check
 * failed, 2 usage error, 3 the check itself could not run (cloud unreachable, bad credentials).
 */
export const checkCommand: CliCommand = {
  name: 'check',
  summary: `Run a readiness check: ${CHECKS.map((c) => c.id).join(', ')} (exit 0 pass, 1 fail, 3 error).`,
  usage: USAGE,
  async run(args, io) {
    const [kind, ...rest] = args;
    const o = parseCommon(rest, VALUE_OPTIONS, ['--markdown']);
    // parseCommon keeps the last value of a repeated option: collect repeated --target/--host ourselves.
    const many = (name: string) => rest.flatMap((a, i) => (a === name ? [rest[i + 1]] : a.startsWith(`${name}=`) ? [a.slice(name.length + 1)] : [])).filter(Boolean);
    const deadlineMs = o.values.deadline ? Number(o.values.deadline) * 1000 : 120_000;
    if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new TroubleshooterError('InvalidInput', `Not a number of seconds: "${o.values.deadline}".`);
    const usage = () => {
      io.err(`Usage: openstack-troubleshooter ${USAGE}`);
      return 2;
    };
    const def = kind === undefined ? undefined : checkById(kind);
    if (!def) return usage();
    const inputs: CheckInputs = {};
    for (const i of def.inputs) {
      if (i.cli === 'positional') inputs[i.name] = o.positional[0];
      else if (i.many) inputs[i.name] = many(i.cli);
      else inputs[i.name] = o.values[i.cli.slice(2)] ?? i.cliDefault;
    }
    if (!inputsComplete(def, inputs)) return usage();
    return withChecks(io, o, deadlineMs, async (api, ctx) => {
      const reports = await runCheck(def, api, ctx, inputs);
      if (reports.length === 0) throw new TroubleshooterError('NotFound', def.nothingToCheck?.() ?? `Nothing to check for "${def.id}".`);
      return reports;
    }, def.needsCloud);
  },
};

async function withChecks(
  io: CliIo,
  o: CommonOptions,
  deadlineMs: number,
  work: (api: ReturnType<typeof checkApiOf>, ctx: ReturnType<typeof gatherContext>) => Promise<CheckReport[]>,
  needsCloud = true,
): Promise<number> {
  const resolver = new SshConfigResolver({ configFile: o.values['ssh-config'], configFileRequired: o.values['ssh-config'] !== undefined, env: io.env });
  const pool = new SshPool({ resolve: (a) => resolver.resolve(a), logger: io.log, passphrase: ttyPassphraseProvider(), hostKeyPrompt: ttyHostKeyPrompt() });
  const hostMap: HostMapConfig = o.values['host-template'] ? { '*': { template: o.values['host-template'] } } : {};
  const progress = (e: { host?: string; message: string }) => io.log.info(`check${e.host ? ` ${e.host}` : ''}: ${e.message}`);
  try {
    const run = (signal: AbortSignal | undefined, maxCallMs?: number) =>
      needsCloud
        ? withCloud(io, o, (client) => work(checkApiOf(client), gatherContext(hostExecOf(pool, client.cloud.name, hostMap), { signal, logger: io.log, progress, deadlineMs })), { signal, maxCallMs })
        : work(undefined as never, gatherContext(hostExecOf(pool, o.cloud ?? '*', hostMap), { signal, logger: io.log, progress, deadlineMs }));
    // A given --deadline covers everything, authentication included (Keystone's 30 s call deadline is capped by it).
    const reports = o.values.deadline ? await withDeadline(`The check (--deadline ${o.values.deadline})`, deadlineMs, io.signal, (signal) => run(signal, deadlineMs)) : await run(io.signal);
    if (o.json) io.out(reports.length === 1 ? renderJson(reports[0]) : `[${reports.map(renderJson).join(',\n')}]`);
    else if (o.flags.has('markdown')) io.out(reports.map(renderMarkdown).join('\n\n---\n\n'));
    else io.out(reports.map(renderText).join('\n\n'));
    return Math.max(...reports.map(exitCodeOf));
  } finally {
    pool.dispose();
  }
}
