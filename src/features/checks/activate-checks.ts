import * as vscode from 'vscode';
import { checkApiOf } from '../../core/checks/adapters';
import { runCheck, type CheckDefinition, type CheckInputs } from '../../core/checks/definition';
import { gatherContext, type GatherContext } from '../../core/checks/gather';
import { liveMigrationReport, readinessSummary } from '../../core/checks/live-migration/evaluate';
import { gatherLiveMigration } from '../../core/checks/live-migration/gather';
import {
  MIGRATION_KIND_HELP,
  runningMigration,
  startColdMigration,
  startLiveMigration,
  watchMigration,
  type MigrationKind,
  type MigrationOutcome,
} from '../../core/checks/migrate';
import type { CheckApi, HostExec } from '../../core/checks/ports';
import { CHECKS } from '../../core/checks/registry';
import { statusLabel } from '../../core/checks/report';
import { finding, overallStatus, type CheckReport } from '../../core/checks/types';
import { diagnosisReport } from '../../core/diagnose/report';
import type { Diagnosis } from '../../core/diagnose/types';
import { TroubleshooterError } from '../../core/errors';
import { REQUEST_ID_IN_TEXT } from '../../core/logs/keys';
import type { Logger } from '../../core/log';
import type { OpenStackClient } from '../../core/openstack/client';
import { mvAtLeast } from '../../core/openstack/microversion';
import type { Server } from '../../core/openstack/types';
import type { RemoteCommand } from '../../core/remote/command';
import { executeCommand, registerCommand } from '../../platform/commands';
import { showFailureMessage } from '../../platform/errors';
import { withCancellableProgress } from '../../platform/progress';
import { REPORT_SCHEME, ReportDocuments } from './report-documents';

/** What the checks feature needs from the composition root (src/extension.ts). */
export interface ChecksServices {
  logger: Logger;
  /** The active cloud: its name and a connected client (cached by the clouds feature). */
  cloud: () => { name: string | undefined; client: (signal?: AbortSignal) => Promise<OpenStackClient> };
  /** Runs a remote command on an OpenStack host name (the root maps it to an SSH target and uses the pool). */
  runOnHost: <T>(host: string, cmd: RemoteCommand<T>, signal: AbortSignal) => Promise<T>;
  /** Database host for the MySQL check (default "controller"). */
  databaseHost?: () => string | undefined;
  /** Deadline of one check run in ms (default 120 000). */
  checkDeadlineMs?: () => number;
  /** Diagnoses a server (name or uuid) or a request id on the active cloud (src/core/diagnose). */
  diagnose?: (subject: string, signal: AbortSignal) => Promise<Diagnosis>;
  /** OpenStack host name → ssh alias (for links to a host's file in a report). */
  sshTargetOf?: (host: string) => string;
}

const QUICK_FIX_LINE = /Config doctor quick fix: `([^`]+)` in `([^`]+)` on `([^`]+)`/;

/** What commands receive: an explorer node (`.server`, `.fip`), `{ serverId }`, `{ address }`, or a plain string. */
type Arg = unknown;

function serverIdOf(arg: Arg): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object') {
    const o = arg as { serverId?: unknown; server?: unknown; id?: unknown };
    if (typeof o.serverId === 'string') return o.serverId;
    if (typeof o.server === 'string') return o.server;
    if (o.server && typeof o.server === 'object' && typeof (o.server as { id?: unknown }).id === 'string') return (o.server as { id: string }).id;
  }
  return undefined;
}

/** What to diagnose: a request id (an instance action node, `{ requestId }`), else a server. */
function diagnoseSubjectOf(arg: Arg): { subject: string; label: string } | undefined {
  if (arg && typeof arg === 'object') {
    const o = arg as { requestId?: unknown; action?: { instanceUuid?: unknown; action?: unknown; requestId?: unknown }; server?: { name?: unknown } };
    if (typeof o.requestId === 'string') return { subject: o.requestId, label: o.requestId };
    // an instance action: its instance's whole story (the action's request is part of it)
    if (o.action && typeof o.action.instanceUuid === 'string') return { subject: o.action.instanceUuid, label: `${String(o.action.action ?? 'action')} of ${o.action.instanceUuid}` };
    const id = serverIdOf(arg);
    if (id) return { subject: id, label: typeof o.server?.name === 'string' && o.server.name ? o.server.name : id };
  }
  if (typeof arg === 'string' && arg.trim()) return { subject: arg.trim(), label: arg.trim() };
  return undefined;
}

function field(arg: Arg, key: string): string | undefined {
  if (arg && typeof arg === 'object' && typeof (arg as Record<string, unknown>)[key] === 'string') return (arg as Record<string, string>)[key];
  return undefined;
}

/** The checks and migration actions: palette commands, report documents, target picker, progress. */
export function activateChecks(services: ChecksServices): vscode.Disposable {
  const { logger } = services;
  const docs = new ReportDocuments();
  const exec: HostExec = { run: (host, cmd, signal) => services.runOnHost(host, cmd, signal) };

  async function api(signal?: AbortSignal): Promise<{ api: CheckApi; client: OpenStackClient; cloud: string }> {
    const c = services.cloud();
    if (!c.name) throw new TroubleshooterError('CloudNotFound', 'No OpenStack cloud is configured.');
    const client = await c.client(signal);
    return { api: checkApiOf(client), client, cloud: c.name };
  }

  /** Runs gathering under a cancellable notification that names the host being worked on. */
  function withCheckProgress<T>(title: string, work: (ctx: GatherContext) => Promise<T>): Thenable<T> {
    return withCancellableProgress(title, (report, signal) =>
      work(
        gatherContext(exec, {
          signal,
          logger,
          deadlineMs: services.checkDeadlineMs?.() ?? 120_000,
          progress: (e) => report(`${e.host ? `${e.host}: ` : ''}${e.message}`),
        }),
      ),
    );
  }

  async function showReports(reports: CheckReport[]): Promise<{ uri: string; reports: CheckReport[] }> {
    const editor = await docs.show(reports);
    const worst = overallStatus(reports.flatMap((r) => r.findings));
    logger.info(`check: ${reports.map((r) => `${r.title}: ${r.status}`).join('; ')}`);
    void vscode.window.setStatusBarMessage(`${statusLabel(worst)} ${reports.length === 1 ? reports[0].title : `${reports.length} reports`}`, 10_000);
    return { uri: editor.document.uri.toString(), reports };
  }

  async function pickServer(a: CheckApi, title: string, filter?: (s: Server) => boolean): Promise<Server | undefined> {
    const servers = (await withCancellableProgress('Loading instances', (_r, signal) => a.listServers({ allProjects: true }, signal))).filter(filter ?? (() => true));
    if (servers.length === 0) {
      void vscode.window.showInformationMessage(`No instance to choose for "${title}".`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      servers.map((s) => ({ label: s.name || s.id, description: `${s.status}${s.host ? ` · ${s.host}` : ''}`, detail: s.id, server: s })),
      { title, placeHolder: 'Instance', matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.server;
  }

  async function serverFrom(arg: Arg, a: CheckApi, title: string, filter?: (s: Server) => boolean): Promise<Server | undefined> {
    const id = serverIdOf(arg);
    if (id) return withCancellableProgress(`Loading instance "${id}"`, (_r, signal) => a.getServer(id, signal));
    return pickServer(a, title, filter);
  }

  // ------------------------------------------------------------------ checks (src/core/checks/registry.ts)

  async function floatingIpFrom(arg: Arg, a: CheckApi, title: string): Promise<string | undefined> {
    let q = field(arg, 'address') ?? field(arg, 'floatingIp') ?? (typeof arg === 'string' ? arg : undefined);
    const node = arg as { fip?: { floatingIpAddress?: string } } | undefined;
    if (!q && node?.fip?.floatingIpAddress) q = node.fip.floatingIpAddress;
    if (!q) {
      const fips = await withCancellableProgress('Loading floating IPs', (_r, signal) => a.listFloatingIps({}, signal));
      const picked = await vscode.window.showQuickPick(
        fips.map((f) => ({ label: f.floatingIpAddress, description: f.fixedIpAddress ? `→ ${f.fixedIpAddress}` : 'not associated', detail: `router ${f.routerId ?? '-'} · ${f.status ?? ''}`, q: f.floatingIpAddress })),
        { title, placeHolder: 'Floating IP' },
      );
      if (!picked) return undefined;
      q = picked.q;
    }
    return q;
  }

  async function databaseHostFrom(arg: Arg, title: string): Promise<string | undefined> {
    const host = field(arg, 'host') ?? services.databaseHost?.();
    if (host) return host;
    return vscode.window.showInputBox({ title, prompt: 'Database host (OpenStack host name or SSH alias)', value: services.databaseHost?.(), placeHolder: 'e.g. controller (set openstack.checks.databaseHost to skip this question)' });
  }

  /** A check's inputs from the command's argument (tree node or `{ … }`), asking with a picker where it can. */
  async function inputsOf(def: CheckDefinition, arg: Arg, a: CheckApi | undefined): Promise<{ inputs: CheckInputs; labels: Record<string, string | undefined> } | undefined> {
    const inputs: CheckInputs = {};
    const labels: Record<string, string | undefined> = {};
    for (const input of def.inputs) {
      if (input.cliOnly) continue;
      let value: string | undefined;
      let label: string | undefined;
      if (input.kind === 'server') {
        const server = await serverFrom(arg, a!, def.title);
        if (!server) return undefined;
        value = server.id;
        label = server.name;
      } else if (input.kind === 'floating-ip') {
        value = label = await floatingIpFrom(arg, a!, def.title);
        if (!value) return undefined;
      } else if (input.kind === 'database-host') {
        value = label = await databaseHostFrom(arg, def.title);
        if (!value) return undefined;
      } else {
        value = label = field(arg, input.name);
      }
      inputs[input.name] = value;
      labels[input.name] = label;
    }
    return { inputs, labels };
  }

  async function runRegisteredCheck(def: CheckDefinition, arg?: Arg) {
    const a = def.needsCloud ? (await api()).api : undefined;
    const got = await inputsOf(def, arg, a);
    if (!got) return undefined;
    const reports = await withCheckProgress(def.progressTitle(got.labels), (ctx) => runCheck(def, a as CheckApi, ctx, got.inputs));
    if (reports.length === 0) throw new TroubleshooterError('NotFound', def.nothingToCheck?.(got.labels.server) ?? `Nothing to check for "${def.title}".`);
    return showReports(reports);
  }

  // ------------------------------------------------------------------ migrations

  /**
   * The target picker: every other compute host with its readiness summary (gathered in parallel), plus "let the
   * scheduler choose"; it explains live versus cold migration.
   */
  async function pickTarget(a: CheckApi, client: OpenStackClient, server: Server, kind: MigrationKind): Promise<{ host?: string } | undefined> {
    const canChoose = kind === 'live-migration' || mvAtLeast(client.compute.microversion, '2.56');
    const reports = canChoose
      ? await withCheckProgress(`Checking targets for "${server.name}"`, async (ctx) => (await gatherLiveMigration(a, ctx, { server: server.id, source: server.host ?? '' })).map(liveMigrationReport))
      : [];
    type Item = vscode.QuickPickItem & { host?: string; scheduler?: boolean };
    const items: Item[] = [
      { label: '$(sparkle) Let the scheduler choose', description: 'nova picks a host that passes its filters', scheduler: true, detail: MIGRATION_KIND_HELP[kind] },
      ...reports.map((r): Item => ({
        label: `${r.status === 'fail' ? '$(error)' : r.status === 'warn' ? '$(warning)' : '$(pass)'} ${r.subject.target}`,
        description: readinessSummary(r),
        detail: kind === 'live-migration' ? r.findings.filter((f) => f.status === 'fail').map((f) => f.summary).join(' ') || 'All readiness items pass or warn.' : 'Cold migration needs neither the libvirt transport nor the migration ports; the disks are copied while the instance is off.',
        host: r.subject.target,
      })),
    ];
    if (!canChoose) items[0].detail = `${MIGRATION_KIND_HELP[kind]} Choosing the target needs compute microversion 2.56 (the cloud speaks ${client.compute.microversion}).`;
    const picked = await vscode.window.showQuickPick(items, {
      title: `${kind === 'live-migration' ? 'Live-migrate' : 'Migrate (cold)'} "${server.name}" from ${server.host ?? '?'}`,
      placeHolder: kind === 'live-migration' ? 'Target host — live migration keeps the instance running' : 'Target host — cold migration stops and restarts the instance',
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (picked.host && reports.find((r) => r.subject.target === picked.host)?.status === 'fail' && kind === 'live-migration') {
      const go = await vscode.window.showWarningMessage(`The readiness check of "${picked.host}" fails: ${readinessSummary(reports.find((r) => r.subject.target === picked.host)!)}. Migrate anyway?`, { modal: true }, 'Migrate Anyway', 'Show Report');
      if (go === 'Show Report') {
        await showReports(reports.filter((r) => r.subject.target === picked.host));
        return undefined;
      }
      if (go !== 'Migrate Anyway') return undefined;
    }
    return { host: picked.host };
  }

  async function migrate(kind: MigrationKind, arg?: Arg): Promise<MigrationOutcome | undefined> {
    const { api: a, client, cloud } = await api();
    const server = await serverFrom(arg, a, kind === 'live-migration' ? 'Live-Migrate Instance' : 'Migrate Instance', (s) => s.status === 'ACTIVE' || (kind === 'migration' && s.status === 'SHUTOFF'));
    if (!server) return undefined;
    // An explicit { target } (scripts, tests) skips the picker; { target: null } lets the scheduler choose.
    const given = arg && typeof arg === 'object' && 'target' in arg ? { host: (arg as { target?: string | null }).target ?? undefined } : undefined;
    const choice = given ?? (await pickTarget(a, client, server, kind));
    if (!choice) return undefined;
    const verb = kind === 'live-migration' ? 'Live-migrating' : 'Migrating';
    const outcome = await withCancellableProgress(`${verb} "${server.name}"${choice.host ? ` to ${choice.host}` : ''}`, async (report, signal) => {
      const start = kind === 'live-migration' ? startLiveMigration : startColdMigration;
      const { requestId, startedAt } = await start(a, server.id, choice.host, signal);
      logger.info(`${kind} of ${server.id} to ${choice.host ?? '(scheduler)'} accepted, request ${requestId ?? '?'}`);
      let last = 0;
      return watchMigration(a, server.id, {
        kind,
        requestId,
        startedAt,
        fromHost: server.host,
        signal,
        // nova's events do not carry a failure inside libvirt's migration job: read the source's nova-compute.log
        hostLogs: gatherContext(exec, { signal, logger, deadlineMs: 30_000 }),
        onProgress: (p) => {
          const inc = p.percent !== undefined && p.percent > last ? p.percent - last : undefined;
          if (p.percent !== undefined) last = Math.max(last, p.percent);
          report(p.message, inc);
        },
      });
    });
    announce(outcome, cloud);
    return outcome;
  }

  /**
   * Tells the user how it ended. The notification's buttons are handled when clicked: the command itself returns
   * at once (a notification is never awaited, so scripts and tests get the outcome).
   */
  function announce(o: MigrationOutcome, cloud: string): void {
    const name = o.server.name;
    const secs = (o.durationMs / 1000).toFixed(1);
    const handle = (p: Thenable<string | undefined>, act: (pick: string | undefined) => unknown) => {
      p.then(act).then(undefined, (e: unknown) => logger.warn(`migration notification: ${e instanceof Error ? e.message : String(e)}`));
    };
    if (o.ok && o.needsConfirm) {
      handle(vscode.window.showInformationMessage(`"${name}" was migrated to ${o.toHost} in ${secs} s and waits in VERIFY_RESIZE.`, 'Confirm', 'Revert'), (pick) =>
        pick === 'Confirm' ? confirmOrRevert('confirm', { serverId: o.server.id }) : pick === 'Revert' ? confirmOrRevert('revert', { serverId: o.server.id }) : undefined,
      );
      return;
    }
    if (o.ok) {
      void vscode.window.showInformationMessage(`"${name}" moved from ${o.fromHost ?? '?'} to ${o.toHost} in ${secs} s.`);
      return;
    }
    const reason = o.failure?.summary ?? 'unknown reason';
    logger.error(`${o.kind} of ${o.server.id} failed: ${reason}${o.failure?.traceback ? `\n${o.failure.traceback}` : ''}`);
    const requestId = o.requestId ?? o.failure?.requestId;
    const actions = [...(services.diagnose ? ['Diagnose'] : []), 'Show Details', ...(requestId ? ['Open Correlated Logs'] : [])];
    handle(showFailureMessage('error', `${o.kind === 'live-migration' ? 'Live migration' : 'Migration'} of "${name}" failed: ${reason}`, ...actions), (pick) =>
      pick === 'Diagnose'
        ? executeCommand('openstack.diagnose', { serverId: o.server.id, name: o.server.name })
        : pick === 'Open Correlated Logs'
        ? executeCommand('openstack.logs.correlate', { requestId, cloud })
        : pick === 'Show Details'
          ? showReports([failureReport(o)])
          : undefined,
    );
  }

  /**
   * Diagnose: the failure signatures over an instance's (or a request's) evidence, shown as a report in the checks'
   * one shape. Returns `{ uri, reports, diagnosis }` for scripts and tests.
   */
  async function runDiagnosis(arg?: Arg) {
    if (!services.diagnose) throw new TroubleshooterError('Unsupported', 'Diagnosis is not available in this window.');
    let target = diagnoseSubjectOf(arg);
    if (!target) {
      const { api: a } = await api();
      const s = await pickServer(a, 'Diagnose an instance', () => true);
      if (!s) return undefined;
      target = { subject: s.id, label: s.name || s.id };
    }
    const { subject, label } = target;
    const diagnosis = await withCancellableProgress(`Diagnosing "${label}"`, (report, signal) => {
      report('reading the instance, its actions and migrations, the services, and the logs of its hosts…');
      return services.diagnose!(subject, signal);
    });
    const shown = await showReports([diagnosisReport(diagnosis)]);
    const first = diagnosis.findings[0];
    const qf = first?.fixes.find((f) => f.quickFix)?.quickFix;
    if (qf && services.sshTargetOf) {
      const open = `Open ${qf.file.split('/').pop()} on ${qf.host}`;
      void vscode.window.showWarningMessage(`${first.title}: ${first.cause.split(': ')[0]}.`, open).then((pick) => {
        if (pick === open) return vscode.commands.executeCommand('vscode.open', vscode.Uri.from({ scheme: 'openstack-sftp', authority: services.sshTargetOf!(qf.host), path: qf.file }));
        return undefined;
      }).then(undefined, (e: unknown) => logger.warn(`diagnosis notification: ${e instanceof Error ? e.message : String(e)}`));
    }
    void vscode.window.setStatusBarMessage(first ? `$(error) ${first.title}` : `$(pass) No known failure signature matched "${label}"`, 15_000);
    return { ...shown, diagnosis };
  }

  async function confirmOrRevert(which: 'confirm' | 'revert', arg?: Arg) {
    const { api: a } = await api();
    const server = await serverFrom(arg, a, which === 'confirm' ? 'Confirm Resize/Migration' : 'Revert Resize/Migration', (s) => s.status === 'VERIFY_RESIZE');
    if (!server) return undefined;
    if (server.status !== 'VERIFY_RESIZE') throw new TroubleshooterError('Conflict', `"${server.name}" is ${server.status}, not VERIFY_RESIZE: nothing to ${which}.`);
    const r = await withCancellableProgress(`${which === 'confirm' ? 'Confirming' : 'Reverting'} "${server.name}"`, (_r, signal) => (which === 'confirm' ? a.confirmResize(server.id, signal) : a.revertResize(server.id, signal)));
    void vscode.window.showInformationMessage(which === 'confirm' ? `Confirmed the migration of "${server.name}".` : `Reverting "${server.name}" to its source host.`);
    return r;
  }

  async function abortOrForce(which: 'abort' | 'force', arg?: Arg) {
    const { api: a } = await api();
    const server = await serverFrom(arg, a, which === 'abort' ? 'Abort Live Migration' : 'Force-Complete Live Migration', (s) => s.status === 'MIGRATING');
    if (!server) return undefined;
    const m = await withCancellableProgress(`Looking for the live migration of "${server.name}"`, (_r, signal) => runningMigration(a, server.id, signal));
    if (!m) throw new TroubleshooterError('NotFound', `"${server.name}" has no live migration in progress.`);
    const text = which === 'abort'
      ? `Abort the live migration of "${server.name}" (${m.sourceCompute} → ${m.destCompute}, ${m.status})? The instance stays on ${m.sourceCompute}.`
      : `Force the live migration of "${server.name}" to complete? The instance is paused until the copy finishes (or post-copy takes over).`;
    const ok = field(arg, 'confirm') === 'yes' ? 'Yes' : await vscode.window.showWarningMessage(text, { modal: true }, which === 'abort' ? 'Abort Migration' : 'Force Complete');
    if (!ok) return undefined;
    await withCancellableProgress(`${which === 'abort' ? 'Aborting' : 'Force-completing'} migration ${m.id} of "${server.name}"`, (_r, signal) =>
      which === 'abort' ? a.abortMigration(server.id, m.id, signal) : a.forceCompleteMigration(server.id, m.id, signal));
    void vscode.window.showInformationMessage(which === 'abort' ? `Asked nova to abort migration ${m.id} of "${server.name}".` : `Asked nova to force migration ${m.id} of "${server.name}" to complete.`);
    return m.id;
  }

  // In a report: the quick fix's file opens on its host (the config doctor's diagnostic and fix are there), a request
  // id opens that request's correlated logs.
  const links = vscode.languages.registerDocumentLinkProvider({ scheme: REPORT_SCHEME }, {
    provideDocumentLinks(doc) {
      const out: vscode.DocumentLink[] = [];
      for (let i = 0; i < Math.min(doc.lineCount, 20_000); i++) {
        const text = doc.lineAt(i).text;
        const q = QUICK_FIX_LINE.exec(text);
        if (q && services.sshTargetOf) {
          try {
            const start = text.indexOf(`\`${q[2]}\``);
            const link = new vscode.DocumentLink(new vscode.Range(i, start, i, start + q[2].length + 2), vscode.Uri.from({ scheme: 'openstack-sftp', authority: services.sshTargetOf(q[3]), path: q[2] }));
            link.tooltip = `Open ${q[2]} on ${q[3]}: the config doctor shows ${q[1]} there with its quick fix`;
            out.push(link);
          } catch {
            // a host without an ssh mapping: no link
          }
        }
        for (const m of text.matchAll(REQUEST_ID_IN_TEXT)) {
          const args = encodeURIComponent(JSON.stringify([{ requestId: m[0] }]));
          const link = new vscode.DocumentLink(new vscode.Range(i, m.index!, i, m.index! + m[0].length), vscode.Uri.parse(`command:openstack.logs.correlate?${args}`));
          link.tooltip = `Show every line of ${m[0]} across the cloud's hosts`;
          out.push(link);
        }
      }
      return out;
    },
  });

  return vscode.Disposable.from(
    links,
    docs,
    ...CHECKS.map((def) => registerCommand(def.command, logger, (arg?: Arg) => runRegisteredCheck(def, arg))),
    registerCommand('openstack.check.exportReport', logger, (arg?: { uri?: string; format?: 'md' | 'json'; to?: string } | vscode.Uri) => {
      if (arg instanceof vscode.Uri) return docs.export(arg);
      return docs.export(arg?.uri ? vscode.Uri.parse(arg.uri) : undefined, arg?.format, arg?.to ? vscode.Uri.file(arg.to) : undefined);
    }),
    registerCommand('openstack.diagnose', logger, (arg?: Arg) => runDiagnosis(arg)),
    registerCommand('openstack.server.liveMigrate', logger, (arg?: Arg) => migrate('live-migration', arg)),
    registerCommand('openstack.server.migrate', logger, (arg?: Arg) => migrate('migration', arg)),
    registerCommand('openstack.server.confirmResize', logger, (arg?: Arg) => confirmOrRevert('confirm', arg)),
    registerCommand('openstack.server.revertResize', logger, (arg?: Arg) => confirmOrRevert('revert', arg)),
    registerCommand('openstack.migration.abort', logger, (arg?: Arg) => abortOrForce('abort', arg)),
    registerCommand('openstack.migration.forceComplete', logger, (arg?: Arg) => abortOrForce('force', arg)),
  );
}

/** A failed migration as a report: the failing events, with their tracebacks (admins see them). */
export function failureReport(o: MigrationOutcome): CheckReport {
  const f = o.failure;
  const evidence = [
    `server ${o.server.name} (${o.server.id}): ${o.server.status}${o.server.taskState ? ` / ${o.server.taskState}` : ''} on ${o.server.host ?? '?'}`,
    ...(o.migration ? [`migration ${o.migration.id}: ${o.migration.status} (${o.migration.sourceCompute ?? '?'} → ${o.migration.destCompute ?? '?'})`] : []),
    ...(f?.errorEvents ?? []).map((e) => `${e.event}: ${e.result}${e.host ? ` on ${e.host}` : ''} (${e.startTime ?? '?'} → ${e.finishTime ?? '?'})${e.details ? ` — ${e.details}` : ''}`),
    ...(f?.fault ? [`fault: ${f.fault}`] : []),
    ...(f?.logEvidence ?? []).map((l) => `${l.host} ${l.file}: ${l.line}`),
  ];
  const findings = [
    finding('reason', 'Why it failed', 'fail', f?.summary ?? 'No reason recorded.', evidence, {
      text: `All log lines of this request across the hosts: run "OpenStack: Correlate Logs" with ${o.requestId ?? f?.requestId ?? 'the request id'}.`,
    }),
  ];
  if (f?.traceback) findings.push(finding('traceback', 'Traceback (admin)', 'fail', 'The traceback nova recorded for the failing event.', f.traceback.split('\n')));
  return {
    kind: 'live-migration',
    title: `${o.kind === 'live-migration' ? 'Live migration' : 'Migration'} of "${o.server.name}" failed`,
    subject: { server: `${o.server.name} (${o.server.id})`, request: o.requestId ?? f?.requestId ?? '-', from: o.fromHost ?? '-' },
    status: 'fail',
    findings,
    startedAt: new Date(Date.now() - o.durationMs).toISOString(),
    durationMs: o.durationMs,
    unreachable: [],
  };
}
