import { renderJson, renderMarkdown, renderText } from '../../core/checks/report';
import { BUILTIN_SIGNATURES } from '../../core/diagnose/catalogue';
import { diagnose } from '../../core/diagnose/engine';
import { gatherOffline } from '../../core/diagnose/gather';
import { diagnoseOnCloud } from '../../core/diagnose/cloud';
import { diagnosisReport } from '../../core/diagnose/report';
import { loadSignatureFile, mergeSignatures } from '../../core/diagnose/user-signatures';
import { TroubleshooterError } from '../../core/errors';
import { parseQueryKey } from '../../core/logs/keys';
import { offlineHosts } from '../../core/logs/offline';
import { SshPool } from '../../core/remote/pool';
import { SshConfigResolver } from '../../core/remote/ssh-config';
import type { CliCommand } from '../command';
import { cliHostMapping, parseSince } from './logs-correlate';
import { parseCommon, withCloud } from './openstack-common';

const USAGE =
  'diagnose <server|request-id|instance-uuid> [--cloud NAME] [--ssh-config FILE] [--since all|30m|6h|7d|ISO-TIME] [--signatures FILE] [--json | --markdown]\n' +
  '       diagnose [request-id|instance-uuid] --dir DIR [--signatures FILE] [--json | --markdown]';

/**
 * `diagnose`: from a failure to its cause, evidence and fix. Exit codes: 0 nothing known matched, 1 findings,
 * 2 usage error, 3 the diagnosis could not run. With `--dir`, the same signatures over a folder of collected logs
 * (without a key: the folder's failing requests).
 */
export const diagnoseCommand: CliCommand = {
  name: 'diagnose',
  summary: 'Why did it fail? Known failure signatures over an instance\'s or request\'s logs, actions, migrations and services (exit 0 none, 1 findings, 3 error).',
  usage: USAGE,
  async run(args, io) {
    const o = parseCommon(args, ['--dir', '--ssh-config', '--since', '--signatures', '--tz'], ['--markdown']);
    const usage = () => {
      io.err(`Usage: openstack-troubleshooter ${USAGE}`);
      return 2;
    };
    if (o.positional.length > 1) return usage();
    const subject = o.positional[0];
    const dir = o.values.dir;
    if (!subject && !dir) return usage();
    const signatures = o.values.signatures ? mergeSignatures(BUILTIN_SIGNATURES, loadSignatureFile(o.values.signatures)) : BUILTIN_SIGNATURES;

    let report;
    if (dir) {
      if (o.cloud) throw new TroubleshooterError('InvalidInput', 'Use --dir or --cloud, not both.');
      const key = subject ? parseQueryKey(subject) : undefined;
      const ev = await gatherOffline(key, offlineHosts(dir, { log: io.log }), { signal: io.signal, log: io.log });
      report = diagnosisReport(await diagnose(ev, signatures));
    } else {
      report = await withCloud(io, o, async (client) => {
        const resolver = new SshConfigResolver({ configFile: o.values['ssh-config'], configFileRequired: o.values['ssh-config'] !== undefined, env: io.env });
        const pool = new SshPool({ resolve: (a) => resolver.resolve(a), logger: io.log });
        try {
          const d = await diagnoseOnCloud(subject!, {
            client,
            pool,
            mapping: cliHostMapping(resolver),
            signatures,
            signal: io.signal,
            log: io.log,
            sinceMs: parseSince(o.values.since, Date.now(), 7 * 86400e3),
          });
          return diagnosisReport(d);
        } finally {
          pool.dispose();
        }
      });
    }
    if (o.json) io.out(renderJson(report));
    else if (o.flags.has('markdown')) io.out(renderMarkdown(report));
    else io.out(renderText(report));
    return report.status === 'fail' ? 1 : 0;
  },
};
