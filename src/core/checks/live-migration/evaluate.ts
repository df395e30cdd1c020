import { overallStatus, type CheckReport, type Finding } from '../types';
import type { LiveMigrationFacts } from './facts';
import { capacityItem, configChangedItem, cpuItem, hypervisorItem, servicesItem, vncItem } from './items-compute';
import { agentItem, migrationPortsItem, resolutionItem, sharedStorageItem, transportItem, vxlanItem } from './items-network';

/**
 * The evaluation half of the live-migration check (pure): the readiness checklist of domain-facts §4.5 for one
 * source → target pair, the report, and the one-line summary of the target picker.
 */

/** Pure: the readiness checklist for one source → target pair. */
export function evaluateLiveMigration(f: LiveMigrationFacts): Finding[] {
  const src = f.hosts[f.source];
  const dst = f.hosts[f.target];
  const findings: Finding[] = [
    servicesItem(f),
    hypervisorItem(f, src, dst),
    cpuItem(f, src, dst),
    resolutionItem(f),
    transportItem(f, dst),
    migrationPortsItem(f, dst),
    sharedStorageItem(f, src),
    vncItem(f, src, dst),
    capacityItem(f),
    agentItem(f),
    vxlanItem(f, src, dst),
    configChangedItem(f, [src, dst]),
  ];
  return findings;
}

export function liveMigrationReport(f: LiveMigrationFacts): CheckReport {
  const findings = evaluateLiveMigration(f);
  const subject: Record<string, string> = { source: f.source, target: f.target };
  if (f.server) {
    subject.server = `${f.server.name} (${f.server.id})`;
  }
  return {
    kind: 'live-migration',
    title: `Live-migration readiness${f.server ? ` of "${f.server.name}"` : ''} from "${f.source}" to "${f.target}"`,
    subject,
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** One line per candidate for a target picker: "pass", or the first failing items. */
export function readinessSummary(report: CheckReport): string {
  const fails = report.findings.filter((x) => x.status === 'fail');
  const warns = report.findings.filter((x) => x.status === 'warn');
  if (fails.length) return `✗ ${fails.map((x) => x.title).join(', ')}`;
  if (warns.length) return `⚠ ${warns.map((x) => x.title).join(', ')}`;
  if (report.status === 'skip') return 'not checked';
  return '✓ ready';
}
