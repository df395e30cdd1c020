/**
 * A request's story: the steps derived from the correlated log entries of one request or instance
 * (src/core/timeline/build.ts), as plain data that the CLI prints, the log document summarises and the timeline
 * webview draws. Times are epoch microseconds (UTC), like `LogEntry.ts`. Record references are indices into the
 * entries the timeline was built from.
 */

export type StepKind =
  | 'api' // an API call that changes something (POST/PUT/DELETE/PATCH), with its status and duration
  | 'schedule' // the scheduler's choice of host (allocation candidates, host filter)
  | 'claim' // resources claimed on the host (placement allocation, the compute's claim)
  | 'network' // ports: vif plugged/unplugged, neutron's network-vif-* events
  | 'block-devices' // image and block devices prepared
  | 'spawn' // the guest created on the hypervisor
  | 'build' // the whole build on the compute (nova's "Took N seconds to build instance")
  | 'active' // the instance came up
  | 'lifecycle' // libvirt lifecycle events nova saw (VM Started/Paused/Resumed/Stopped)
  | 'lm-request' // live migration asked for (nova-api)
  | 'lm-precheck' // live migration: from the accepted request to the destination's preparation (derived)
  | 'lm-pre' // live migration: pre_live_migration on the destination
  | 'lm-copy' // live migration: memory copy (with progress)
  | 'lm-post' // live migration: post-migration on source and destination
  | 'lm-rollback' // live migration: rollback after a failure
  | 'cleanup' // instance files, allocations of the migration
  | 'stop'
  | 'start'
  | 'delete'
  | 'error'; // an ERROR/CRITICAL record that no step explains

export type StepOutcome = 'ok' | 'failed' | 'unknown';

export interface TimelineStep {
  /** Stable within one build: `<kind>#<n>`. */
  id: string;
  kind: StepKind;
  label: string;
  /** What the records add: the chosen host, `→ 202`, `memory 0% remaining`… */
  detail?: string;
  startUs: number;
  /** Equal to `startUs` for a point event. */
  endUs: number;
  host: string;
  service: string;
  outcome: StepOutcome;
  /** True when the start or end is derived (a gap between steps, a duration a record states) rather than logged. */
  derived?: boolean;
  /** Indices of the entries that make this step, in time order. */
  records: number[];
  /** Memory copy progress: remaining percent over time. */
  progress?: { ts: number; remainingPercent: number }[];
  warnings: number;
  errors: number;
}

/** Records no pattern knows, grouped by where they were logged: they still appear, counted. */
export interface RecordGroup {
  host: string;
  service: string;
  count: number;
  firstUs: number;
  lastUs: number;
  warnings: number;
  errors: number;
  /** The message of the first record (shortened). */
  sample: string;
  records: number[];
}

/** One host × service that logged records of the request: a lane of the timeline. */
export interface Lane {
  id: string;
  host: string;
  service: string;
  count: number;
}

/**
 * A request crossing from one service to another: the same request id first seen in a new lane (an RPC cast or
 * call between nova services, or an HTTP call whose service logs the caller's id as its own), or a service's own id logged with the caller's global id (`[req-G req-L …]`).
 */
export interface Hop {
  ts: number;
  fromLane?: string;
  toLane: string;
  fromId: string;
  toId: string;
  kind: 'same-id' | 'global-local';
  /** The entry where the request arrived. */
  record: number;
}

/** A marked record (warning or error) on a lane. */
export interface Mark {
  ts: number;
  lane: string;
  level: 'WARNING' | 'ERROR';
  record: number;
}

export interface Timeline {
  steps: TimelineStep[];
  lanes: Lane[];
  groups: RecordGroup[];
  hops: Hop[];
  marks: Mark[];
  startUs: number;
  endUs: number;
  outcome: StepOutcome;
  /** The first failed step (by start), when any. */
  failingStep?: string;
  /** Entries the timeline was built from. */
  records: number;
}
