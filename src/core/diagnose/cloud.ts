import { TroubleshooterError } from '../errors';
import type { Logger } from '../log';
import type { LogHost } from '../logs/correlate';
import { parseQueryKey, type CorrelationKey } from '../logs/keys';
import { PoolHostRunner } from '../logs/pool-host-runner';
import { planInstanceLogs, planRequestLogs, type HostMapping, type LogPlan } from '../journeys/log-plan';
import type { OpenStackClient } from '../openstack/client';
import type { Server } from '../openstack/types';
import type { SshPool } from '../remote/pool';
import { diagnose } from './engine';
import { gatherEvidence } from './gather';
import type { Diagnosis, Evidence, Signature } from './types';

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

/** A request id, an instance uuid, or a server name. */
export function subjectKey(text: string): CorrelationKey | { kind: 'name'; value: string } {
  const t = text.trim();
  if (/^req-/i.test(t)) return parseQueryKey(t);
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t)) return parseQueryKey(t);
  if (!t || t.length > 255 || /[\0\n]/.test(t)) throw new TroubleshooterError('InvalidInput', `Not a server name, instance UUID or request id: "${t.slice(0, 80)}".`);
  return { kind: 'name', value: t };
}

export interface CloudDiagnoseOptions {
  client: OpenStackClient;
  pool: SshPool;
  mapping: HostMapping;
  signatures: readonly Signature[];
  signal?: AbortSignal;
  log?: Logger;
  sinceMs?: number;
}

/**
 * The whole diagnosis of a server or request on a cloud: the log plan's hosts (as the log correlation finds them),
 * the evidence, the signatures. Host names in the evidence are OpenStack's (API endpoints: their ssh alias).
 */
export async function gatherOnCloud(subject: string, o: Omit<CloudDiagnoseOptions, 'signatures'>): Promise<Evidence> {
  const key = subjectKey(subject);
  const plan: LogPlan & { server?: Server } =
    key.kind === 'request'
      ? await planRequestLogs(o.client, key.value, o.mapping, o.signal)
      : await planInstanceLogs(o.client, key.kind === 'instance' ? key.value : (await o.client.compute.findServer(key.value, { allProjects: true, signal: o.signal })).data.id, o.mapping, o.signal);
  const hostFor = (name: string): LogHost | undefined => {
    try {
      const alias = o.mapping.mapHost(name);
      return o.mapping.known?.(alias) === false ? undefined : { runner: new PoolHostRunner(o.pool, name, alias) };
    } catch {
      return undefined;
    }
  };
  const hosts: LogHost[] = plan.hosts.map((h) => ({ runner: new PoolHostRunner(o.pool, IP.test(h.openstackHost) ? h.alias : h.openstackHost, h.alias) }));
  const ev = await gatherEvidence(key, { client: o.client, server: plan.server, hosts, hostFor, keys: plan.keys, signal: o.signal, log: o.log, sinceMs: o.sinceMs ?? plan.sinceMs });
  ev.notes.unshift(...plan.notes);
  return ev;
}

/** Gathering and matching; `durationMs` is the whole of it (what the user waited). */
export async function diagnoseOnCloud(subject: string, o: CloudDiagnoseOptions): Promise<Diagnosis> {
  const t0 = performance.now();
  const d = await diagnose(await gatherOnCloud(subject, o), o.signatures);
  return { ...d, durationMs: Math.round(performance.now() - t0) };
}
