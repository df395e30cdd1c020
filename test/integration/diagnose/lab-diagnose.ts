/**
 * The diagnosis on the lab, as the CLI runs it (src/core/diagnose/cloud.ts), and the recording of its evidence as a
 * fixture for the unit tests: every log record, API object and host-file line the signatures were tried on, real
 * and as the lab's services wrote them (redacted; the checkout's path replaced).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_SIGNATURES } from '../../../src/core/diagnose/catalogue';
import { gatherOnCloud } from '../../../src/core/diagnose/cloud';
import { diagnose } from '../../../src/core/diagnose/engine';
import type { Diagnosis, Evidence } from '../../../src/core/diagnose/types';
import { redact } from '../../../src/core/log';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { cliHostMapping } from '../../../src/cli/commands/logs-correlate';
import { labEnv, repoRoot } from '../../support/lab';

export interface RecordedEvidence extends Omit<Evidence, 'readFile'> {
  /** "host\tpath" → lines, as read while the signatures were tried. */
  files: Record<string, string[] | null>;
}

export async function labDiagnose(client: OpenStackClient, subject: string, opts: { sinceMs?: number } = {}): Promise<{ diagnosis: Diagnosis; evidence: RecordedEvidence }> {
  const env = labEnv();
  const resolver = new SshConfigResolver({ configFile: env.LAB_SSH_CONFIG, configFileRequired: true, env: process.env });
  const pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
  try {
    const ev = await gatherOnCloud(subject, { client, pool, mapping: cliHostMapping(resolver), sinceMs: opts.sinceMs });
    const files: RecordedEvidence['files'] = {};
    const read = ev.readFile!;
    ev.readFile = async (host, path) => {
      const lines = await read(host, path);
      files[`${host}\t${path}`] = lines ?? null;
      return lines;
    };
    const diagnosis = await diagnose(ev, BUILTIN_SIGNATURES);
    const { readFile: _r, ...rest } = ev;
    return { diagnosis, evidence: { ...rest, files } };
  } finally {
    pool.dispose();
  }
}

function scrub(v: unknown): unknown {
  if (typeof v === 'string') return v.split('\n').map(redact).join('\n').replaceAll(repoRoot, '/srv/lab');
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'raw').map(([k, x]) => [k, scrub(x)]));
  return v;
}

/**
 * Saves the evidence as test/fixtures/diagnose/<name>.evidence.json, keeping of the log records those a finding
 * cites, every WARNING and above, and every record of the requests the cited ones belong to (what the signatures
 * see of a failure, without the hundreds of access lines around it).
 */
export function saveEvidence(name: string, e: RecordedEvidence, d: Diagnosis): void {
  const cited = new Set(d.findings.flatMap((f) => f.evidence.filter((x) => x.source === 'log').map((x) => `${x.host}\0${x.file}\0${x.text}`)));
  const citedRecords = e.records.filter((r) => cited.has(`${r.host}\0${r.file}\0${r.lines[0]}`));
  const reqs = new Set(citedRecords.flatMap((r) => [r.requestId, r.globalRequestId]).filter((x): x is string => !!x));
  const records = e.records.filter(
    (r) => cited.has(`${r.host}\0${r.file}\0${r.lines[0]}`) || (r.level !== undefined && ['WARNING', 'ERROR', 'CRITICAL'].includes(r.level)) || (r.requestId && reqs.has(r.requestId)) || (r.globalRequestId && reqs.has(r.globalRequestId)),
  );
  const file = join(repoRoot, 'test', 'fixtures', 'diagnose', `${name}.evidence.json`);
  writeFileSync(file, `${JSON.stringify(scrub({ ...e, records }), null, 1)}\n`);
}
