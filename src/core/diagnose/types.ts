/**
 * Diagnosis: from a failure to its cause, its evidence and its fix. A *signature* is data: conditions on the evidence
 * of one failure (log records, instance faults, instance-action events, migrations, compute services, hypervisors,
 * network agents, lines of a host's file), a cause in an operator's words, and fixes. The engine (./engine.ts) binds
 * the named groups of each condition's patterns and substitutes them into the cause, the fixes and later conditions,
 * so "the target host" found in one record can be looked up in the service list or in that host's libvirtd.conf.
 *
 * Users add their own signatures in the same format (a YAML or JSON file: ./user-signatures.ts).
 */

import type { LogEntry } from '../logs/types';
import type { ComputeService, Hypervisor, InstanceAction, Migration, NetworkAgent, Server } from '../openstack/types';

/** A regular expression as text (JavaScript syntax, named groups `(?<name>…)` bind variables; `{name}` substitutes one). */
export type Pattern = string;

interface ConditionBase {
  /** Evidence kept when present, but the signature still matches without it (e.g. the config line that explains it). */
  optional?: boolean;
  /** Short label of this piece of evidence in the report ("nova-compute on the source", "libvirtd.conf on the target"). */
  label?: string;
}

/** A log record (the first line of an oslo/apache/libvirt record; continuation lines with `text`). */
export interface LogCondition extends ConditionBase {
  source: 'log';
  /** Service name as the correlation names it: nova-compute, nova-scheduler, placement-api, httpd… */
  service?: Pattern;
  /** Any of these levels (default: any). */
  level?: string[];
  /** oslo logger name, e.g. `nova\.virt\.libvirt\.driver`. */
  logger?: Pattern;
  /** Matched against the message: the first line after the oslo context / apache prefix. */
  message: Pattern;
  /** Host name pattern (the correlation's host). */
  host?: Pattern;
  /**
   * Also match the hosts' recent errors that are not part of the instance's or request's records (nova-compute's
   * newest ERROR/WARNING lines on the hosts it ran on): for host-level failures (AMQP, database, libvirt lost), never
   * for a failure of one instance — those lines belong to every instance of the host.
   */
  hostLevel?: boolean;
  /** The service's own request id (oslo `request_id`). */
  request_id?: Pattern;
  /** The caller's id in neutron/placement/glance lines (oslo `global_request_id`): ties them to nova's request. */
  global_request_id?: Pattern;
}

export interface FaultCondition extends ConditionBase {
  source: 'fault';
  message: Pattern;
  details?: Pattern;
}

export interface EventCondition extends ConditionBase {
  source: 'event';
  action?: Pattern;
  event?: Pattern;
  result?: Pattern;
  traceback?: Pattern;
  /** The action's message (e.g. "Error"). */
  actionMessage?: Pattern;
}

export interface MigrationCondition extends ConditionBase {
  source: 'migration';
  status?: Pattern;
  type?: Pattern;
  source_compute?: Pattern;
  dest_compute?: Pattern;
}

export interface ServiceCondition extends ConditionBase {
  source: 'service';
  binary?: Pattern;
  host?: Pattern;
  /** enabled / disabled */
  status?: Pattern;
  /** up / down */
  state?: Pattern;
  disabled_reason?: Pattern;
}

export interface HypervisorCondition extends ConditionBase {
  source: 'hypervisor';
  /** The hypervisor's id (the compute node's UUID from 2.53: placement's resource provider). */
  id?: Pattern;
  hypervisor_hostname?: Pattern;
  /** QEMU, fake, ironic… */
  hypervisor_type?: Pattern;
  /** The compute service's host. */
  service_host?: Pattern;
  status?: Pattern;
  state?: Pattern;
}

export interface AgentCondition extends ConditionBase {
  source: 'agent';
  agent_type?: Pattern;
  binary?: Pattern;
  host?: Pattern;
  /** "true" / "false" */
  alive?: Pattern;
  admin_state_up?: Pattern;
}

/** The instance diagnosed (its host binds the host of later conditions). */
export interface ServerCondition extends ConditionBase {
  source: 'server';
  id?: Pattern;
  name?: Pattern;
  status?: Pattern;
  /** The compute service host (admin). */
  host?: Pattern;
  task_state?: Pattern;
  vm_state?: Pattern;
}

/** Lines of a file on a host (read over SSH, or from `<dir>/<host>/<path>` offline). */
export interface FileCondition extends ConditionBase {
  source: 'file';
  host: Pattern;
  path: string;
  /** Matched against each line; the newest matching line binds. */
  line: Pattern;
}

export type Condition =
  | LogCondition
  | FaultCondition
  | ServerCondition
  | EventCondition
  | MigrationCondition
  | ServiceCondition
  | HypervisorCondition
  | AgentCondition
  | FileCondition;

export type ConditionSource = Condition['source'];

export interface FixTemplate {
  /** What to do, with `{var}` substitutions. */
  text: string;
  commands?: { host?: string; command: string }[];
  /** The config doctor's rule that fixes it (`libvirt/tcp-disabled`) in `file` on `host`. */
  quickFix?: { host: string; file: string; rule: string };
  /** A check to run again afterwards (registry id), with its subject. */
  check?: { kind: string; subject?: Record<string, string> };
  links?: string[];
}

export interface Signature {
  /** Stable id, kebab-case: "libvirt-migration-target-refused". */
  id: string;
  /** Short title: "Live migration: the target's libvirtd refuses the connection". */
  title: string;
  /** All must hold (optional ones add evidence only). Earlier conditions bind variables for later ones. */
  when: Condition[];
  /** The conclusion in an operator's words, with `{var}` substitutions. */
  cause: string;
  fixes: FixTemplate[];
  /** Where it was proven: "lab: test/integration/diagnose/…", "real logs: …". Shown in the catalogue, not the report. */
  provenOn?: string[];
  /** When several signatures match the same records, the higher one is reported first (default 0). */
  priority?: number;
  /** Signatures that this one makes redundant when both match (they say the same thing less precisely). */
  supersedes?: string[];
  /** Where it came from: "built-in" or the user's file. */
  origin?: string;
}

/** One thing the conclusion rests on. */
export interface EvidenceItem {
  source: ConditionSource;
  label?: string;
  /** A line for humans: the log line, "compute2 nova-compute: disabled (AUTO: …)", "libvirtd.conf:12 listen_tcp = 0". */
  text: string;
  host?: string;
  service?: string;
  /** File on the host (logs and config files). */
  file?: string;
  lineNo?: number;
  /** Epoch microseconds of a log record. */
  ts?: number;
  /** The request the record belongs to: the caller's (global) id where the line has one, else its own. */
  requestId?: string;
}

/** What the engine sees. Everything optional: offline diagnosis has only `records`. */
export interface Evidence {
  /** What is diagnosed: an instance, a request id, a folder of logs. */
  subject: { kind: 'instance' | 'request' | 'logs'; id: string; name?: string };
  records: LogEntry[];
  /** Those of `records` read as a host's recent errors, not found by the instance's or request's ids. */
  hostRecords?: ReadonlySet<LogEntry>;
  server?: Server;
  /** With their events (tracebacks when admin). */
  actions?: InstanceAction[];
  migrations?: Migration[];
  services?: ComputeService[];
  hypervisors?: Hypervisor[];
  agents?: NetworkAgent[];
  /**
   * Sources read only when a signature gets to a condition on them (the hypervisor list costs nova-api more than the
   * whole log search of an instance): the engine calls each at most once and stores what it returns.
   */
  lazy?: { hypervisors?: () => Promise<Hypervisor[] | undefined>; agents?: () => Promise<NetworkAgent[] | undefined> };
  /** Reads lines of a file on a host; undefined when the host or file cannot be read (said in `notes`). */
  readFile?: (host: string, path: string) => Promise<string[] | undefined>;
  /** What could not be gathered ("compute2: unreachable"), shown with the result. */
  notes: string[];
}

export interface DiagnosisFinding {
  signature: string;
  title: string;
  cause: string;
  evidence: EvidenceItem[];
  fixes: FixTemplate[];
  vars: Record<string, string>;
  origin: string;
}

export interface Diagnosis {
  subject: Evidence['subject'];
  findings: DiagnosisFinding[];
  /** What was looked at, in words ("412 log records from 4 hosts (…)", "3 instance actions", …). */
  lookedAt: string[];
  notes: string[];
  signaturesTried: number;
  startedAt: string;
  durationMs: number;
}
