import type { StepKind } from './types';

/**
 * The records that make steps, as data. Each pattern names the logger (oslo logger name, or `libvirt` for
 * libvirtd's own lines) it belongs to, a fixed needle checked before the regex, the step kind and the record's role
 * in that step, and the real message it was written against (`example`, the message after the context bracket and
 * instance tag). Where the example comes from:
 * - `lab`: this project's lab (Debian's nova 26 / neutron / placement, libvirt with real guests), captured into
 *   test/fixtures/timeline/lab (see its README); the unit test checks the example is in those files, verbatim;
 * - `shared`: the shared real logs (RHEL-OSP Juno/Kilo live migration, ../shared/fixtures/real-logs);
 * - `nova`: the format string in nova's source, for records neither capture holds (a guest that shuts down when
 *   asked: "Instance shutdown successfully after N seconds."); no test record. A stop and a start of the lab's guest
 *   are in test/fixtures/timeline/lab-stop-start (`lab` examples too).
 *
 * Roles:
 * - `start` opens the step, `end` closes it (outcome ok), `fail` closes it failed;
 * - `point` joins the open step of the same kind on the same host, or starts one;
 * - `span` states its own duration (group `seconds`): the step runs from `ts - seconds` to `ts`;
 * - `progress` is a point with `seconds` elapsed since the step began and `percent` remaining (memory copy).
 * Groups the label can use: `host` (the host the record names), `seconds`, `percent`, `method`, `path`, `status`.
 */

export type PatternRole = 'start' | 'end' | 'fail' | 'point' | 'span' | 'progress';

export interface StepPattern {
  kind: StepKind;
  role: PatternRole;
  /** Logger name prefix (oslo), or `libvirt`. */
  logger: string;
  needle: string;
  re?: RegExp;
  /** The step's label; `{host}`, `{seconds}`, `{percent}`, `{method}`, `{path}`, `{status}` are filled from the groups. */
  label: string;
  /** The step belongs to the host the record names (`host` group) rather than the host that logged it. */
  onNamedHost?: boolean;
  /** Every record starts its own step (API calls, allocations, lifecycle events). */
  single?: boolean;
  /** Records of this pattern join an open step at most this many seconds after its last record (default: BuildOptions). */
  gapS?: number;
  example: string;
  from: 'lab' | 'shared' | 'nova';
}

export const STEP_PATTERNS: readonly StepPattern[] = [
  // ── API (nova-api's access line: only calls that change something; GETs are polling) ──
  {
    kind: 'api', role: 'span', logger: 'nova.osapi_compute.wsgi', needle: '" status: ', single: true,
    re: /"(?<method>POST|PUT|DELETE|PATCH) (?<path>\S+) HTTP\/[\d.]+" status: (?<status>\d{3}) len: \d+ time: (?<seconds>[\d.]+)/,
    label: '{method} {path} → {status}',
    example: '198.18.0.1 "POST /v2.1/servers HTTP/1.1" status: 202 len: 866 time: 1.5961993', from: 'lab',
  },
  {
    kind: 'lm-request', role: 'point', logger: 'nova.compute.api', single: true, needle: 'Going to try to live migrate instance',
    re: /Going to try to live migrate instance to (?<host>\S+)/,
    label: 'Live migration requested to {host}',
    example: 'Going to try to live migrate instance to hp-ms-01-c29.moonshot1.lab.eng.rdu.redhat.com live_migrate /usr/lib/python2.7/site-packages/nova/compute/api.py:3170', from: 'shared',
  },
  // ── scheduling ──
  {
    kind: 'schedule', role: 'end', logger: 'nova.scheduler.host_manager', needle: 'Host filter forcing available hosts to',
    re: /forcing available hosts to (?<host>\S+)/, label: 'Scheduled to {host}',
    example: 'Host filter forcing available hosts to compute1', from: 'lab',
  },
  {
    kind: 'schedule', role: 'end', logger: 'nova.scheduler.host_manager', needle: 'Host filter only checking host',
    re: /only checking host (?<host>\S+)/, label: 'Scheduled to {host}',
    example: 'Host filter only checking host compute1 and node compute1', from: 'lab',
  },
  {
    kind: 'schedule', role: 'fail', logger: 'nova.scheduler.manager', needle: 'Got no allocation candidates from the Placement API',
    label: 'No allocation candidates',
    example: 'Got no allocation candidates from the Placement API. This could be due to insufficient resources or a temporary occurrence as compute nodes start up.', from: 'lab',
  },
  {
    kind: 'schedule', role: 'fail', logger: 'nova.scheduler.utils', needle: 'No valid host was found',
    re: /Failed to (?<method>compute_task_\w+)/, label: 'No valid host',
    example: 'Failed to compute_task_build_instances: No valid host was found. ', from: 'lab',
  },
  {
    kind: 'schedule', role: 'start', logger: 'placement.requestlog', needle: '"GET /allocation_candidates',
    label: 'Scheduling',
    example: '198.18.0.10 "GET /allocation_candidates?in_tree=83c0655b-8acc-4fe4-8cfa-2b09caef2034&limit=1000&resources=DISK_GB%3A1%2CMEMORY_MB%3A96%2CVCPU%3A1&root_required=%21COMPUTE_STATUS_DISABLED" status: 200 len: 1849 microversion: 1.36', from: 'lab',
  },
  // ── claim ──
  {
    kind: 'claim', role: 'point', logger: 'placement.requestlog', needle: '"PUT /allocations/', single: true,
    label: 'Resources allocated',
    example: '198.18.0.10 "PUT /allocations/d5eaf75f-c9ad-4e0a-a381-44018b86fe74" status: 204 len: 0 microversion: 1.36', from: 'lab',
  },
  {
    kind: 'claim', role: 'end', logger: 'nova.compute.claims', needle: 'Claim successful on node',
    re: /Claim successful on node (?<host>\S+)/, label: 'Claimed on {host}',
    example: 'Claim successful on node compute1', from: 'lab',
  },
  // ── block devices, spawn, build ──
  {
    kind: 'block-devices', role: 'point', logger: 'nova.virt.libvirt.driver', needle: 'Ignoring supplied device name',
    label: 'Block devices',
    example: "Ignoring supplied device name: /dev/vda. Libvirt can't honour user-supplied dev names", from: 'lab',
  },
  {
    kind: 'block-devices', role: 'end', logger: 'nova.virt.libvirt.driver', needle: 'Creating image(s)',
    label: 'Block devices and image',
    example: 'Creating image(s)', from: 'lab',
  },
  {
    kind: 'spawn', role: 'span', logger: 'nova.compute.manager', needle: 'seconds to spawn the instance',
    re: /Took (?<seconds>[\d.]+) seconds to spawn the instance/, label: 'Spawning on the hypervisor',
    example: 'Took 13.41 seconds to spawn the instance on the hypervisor.', from: 'lab',
  },
  {
    kind: 'active', role: 'point', logger: 'nova.virt.libvirt.driver', needle: 'Instance spawned successfully',
    label: 'Instance spawned',
    example: 'Instance spawned successfully.', from: 'lab',
  },
  {
    kind: 'build', role: 'span', logger: 'nova.compute.manager', needle: 'seconds to build instance',
    re: /Took (?<seconds>[\d.]+) seconds to build instance/, label: 'Build on the compute',
    example: 'Took 14.05 seconds to build instance.', from: 'lab',
  },
  // ── network ──
  {
    kind: 'network', role: 'point', logger: 'os_vif', needle: 'Successfully plugged vif',
    label: 'VIF plugged',
    example: "Successfully plugged vif VIFBridge(active=False,address=fa:16:3e:40:71:25,bridge_name='brqe2a5327d-2e',has_traffic_filtering=True,id=cd4041d0-f940-4398-9004-fff0e95d5713,network=Network(e2a5327d-2e9a-4467-8903-4f9c9818078f),plugin='linux_bridge',port_profile=<?>,preserve_on_delete=False,vif_name='tapcd4041d0-f9')", from: 'lab',
  },
  {
    kind: 'network', role: 'point', logger: 'os_vif', needle: 'Successfully unplugged vif',
    label: 'VIF unplugged',
    example: "Successfully unplugged vif VIFBridge(active=False,address=fa:16:3e:c4:7d:8f,bridge_name='brqe2a5327d-2e',has_traffic_filtering=True,id=b96d1a2b-e334-4e51-8478-b3fa4c95dacf,network=Network(e2a5327d-2e9a-4467-8903-4f9c9818078f),plugin='linux_bridge',port_profile=<?>,preserve_on_delete=False,vif_name='tapb96d1a2b-e3')", from: 'lab',
  },
  {
    kind: 'network', role: 'point', logger: 'nova.api.openstack.compute.server_external_events', needle: 'Creating event network-', gapS: 5,
    re: /Creating event (?<method>network-[\w-]+):\S+ for instance \S+ on (?<host>\S+)/, label: 'Neutron: {method}',
    example: 'Creating event network-vif-plugged:cd4041d0-f940-4398-9004-fff0e95d5713 for instance d5eaf75f-c9ad-4e0a-a381-44018b86fe74 on compute1', from: 'lab',
  },
  {
    kind: 'network', role: 'point', logger: 'neutron.notifiers.nova', needle: 'Nova event matching', gapS: 5,
    re: /'name': '(?<method>network-[\w-]+)'/, label: 'Neutron: {method}',
    example: "Nova event matching ['req-91ff4298-7ddf-4be5-9aaa-90ea09f29dc8'] response: {'server_uuid': '7c089e49-693a-409c-8c0b-a0b7fbe609ac', 'name': 'network-vif-deleted', 'tag': 'b96d1a2b-e334-4e51-8478-b3fa4c95dacf', 'status': 'completed', 'code': 200}", from: 'lab',
  },
  // ── libvirt lifecycle events as nova sees them ──
  {
    kind: 'lifecycle', role: 'point', logger: 'nova.compute.manager', needle: '(Lifecycle Event)', single: true,
    re: /VM (?<method>\w+) \(Lifecycle Event\)/, label: 'VM {method}',
    example: 'VM Resumed (Lifecycle Event)', from: 'lab',
  },
  // ── live migration ──
  {
    kind: 'lm-pre', role: 'span', logger: 'nova.compute.manager', needle: 'for pre_live_migration on destination host', onNamedHost: true,
    re: /Took (?<seconds>[\d.]+) seconds for pre_live_migration on destination host (?<host>[^\s.]+(?:\.[^\s.]+)*)\.?$/, label: 'Pre-live-migration on {host}',
    example: 'Took 1.09 seconds for pre_live_migration on destination host compute2.', from: 'lab',
  },
  {
    kind: 'lm-copy', role: 'progress', logger: 'nova.virt.libvirt.driver', needle: 'Migration running for', gapS: 90,
    re: /Migration running for (?<seconds>\d+) secs, memory (?<percent>\d+)% remaining/, label: 'Memory copy',
    example: 'Migration running for 0 secs, memory 90% remaining (bytes processed=9847563, remaining=99147776, total=109912064); disk 100% remaining (bytes processed=0, remaining=0, total=0).', from: 'lab',
  },
  {
    kind: 'lm-copy', role: 'point', logger: 'nova.virt.libvirt.migration', needle: 'Increasing downtime to',
    label: 'Memory copy',
    example: 'Increasing downtime to 50 ms after 0 sec elapsed time', from: 'lab',
  },
  {
    kind: 'lm-copy', role: 'end', logger: 'nova.virt.libvirt.driver', needle: 'Migration operation has completed',
    label: 'Memory copy',
    example: 'Migration operation has completed', from: 'lab',
  },
  {
    kind: 'lm-copy', role: 'fail', logger: 'nova.virt.libvirt.driver', needle: 'Live Migration failure:',
    label: 'Memory copy',
    example: "Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused: libvirt.libvirtError: unable to connect to server at 'compute2:16509': Connection refused", from: 'lab',
  },
  {
    kind: 'lm-copy', role: 'fail', logger: 'nova.virt.libvirt.driver', needle: 'Migration operation has aborted',
    label: 'Memory copy',
    example: 'Migration operation has aborted', from: 'lab',
  },
  {
    kind: 'lm-post', role: 'start', logger: 'nova.compute.manager', needle: '_post_live_migration() is started',
    label: 'Post-migration',
    example: '_post_live_migration() is started..', from: 'lab',
  },
  {
    kind: 'lm-post', role: 'point', logger: 'nova.compute.manager', needle: 'Post operation of migration started',
    label: 'Post-migration',
    example: 'Post operation of migration started', from: 'lab',
  },
  {
    kind: 'lm-post', role: 'end', logger: 'nova.compute.manager', needle: 'finished successfully',
    re: /Migrating instance to (?<host>\S+) finished successfully/, label: 'Post-migration: now on {host}',
    example: 'Migrating instance to compute1 finished successfully.', from: 'lab',
  },
  {
    kind: 'lm-rollback', role: 'point', logger: 'nova.compute.manager', needle: 'Swapping old allocation on',
    label: 'Rollback: allocation back to the source',
    example: "Swapping old allocation on dict_keys(['83c0655b-8acc-4fe4-8cfa-2b09caef2034']) held by migration b9058850-4808-4ba4-a2e8-e5563c0726ec for instance", from: 'lab',
  },
  // ── cleanup ──
  {
    kind: 'cleanup', role: 'start', logger: 'nova.virt.libvirt.driver', needle: 'Deleting instance files',
    label: 'Instance files deleted',
    example: 'Deleting instance files /var/lib/nova/instances/d5eaf75f-c9ad-4e0a-a381-44018b86fe74_del', from: 'lab',
  },
  {
    kind: 'cleanup', role: 'end', logger: 'nova.virt.libvirt.driver', needle: 'complete',
    re: /^Deletion of \S+ complete/, label: 'Instance files deleted',
    example: 'Deletion of /var/lib/nova/instances/d5eaf75f-c9ad-4e0a-a381-44018b86fe74_del complete', from: 'lab',
  },
  {
    kind: 'cleanup', role: 'point', logger: 'nova.scheduler.client.report', needle: 'Deleted allocation for migration',
    label: 'Allocation of the migration deleted',
    example: 'Deleted allocation for migration f88e5ade-21dd-4340-b0b5-cf3b01a33346', from: 'lab',
  },
  {
    kind: 'cleanup', role: 'point', logger: 'nova.virt.libvirt.driver', needle: 'Instance destroyed successfully',
    label: 'Guest destroyed',
    example: 'Instance destroyed successfully.', from: 'lab',
  },
  // ── stop / start / delete ──
  {
    kind: 'stop', role: 'start', logger: 'nova.compute.manager', needle: 'Stopping instance; current vm_state',
    label: 'Stopping',
    example: 'Stopping instance; current vm_state: active, current task_state: powering-off, current DB power_state: 1, current VM power_state: 1', from: 'nova',
  },
  {
    // a guest that ignores the ACPI power button (the lab's busybox guest; many minimal images): nova waits
    // [DEFAULT] shutdown_timeout (60 s) and then destroys it
    kind: 'stop', role: 'span', logger: 'nova.virt.libvirt.driver', needle: 'Instance failed to shutdown in',
    re: /Instance failed to shutdown in (?<seconds>\d+) seconds/, label: 'Graceful shutdown timed out ({seconds} s)',
    example: 'Instance failed to shutdown in 60 seconds.', from: 'lab',
  },
  {
    // power on: the libvirt driver starts the guest through its hard-reboot path (record without request context)
    kind: 'start', role: 'point', logger: 'nova.virt.libvirt.driver', needle: 'Instance rebooted successfully',
    label: 'Guest started',
    example: 'Instance rebooted successfully.', from: 'lab',
  },
  {
    kind: 'stop', role: 'end', logger: 'nova.virt.libvirt.driver', needle: 'Instance shutdown successfully after',
    label: 'Stopping',
    example: 'Instance shutdown successfully after 2 seconds.', from: 'nova',
  },
  {
    kind: 'delete', role: 'start', logger: 'nova.compute.manager', needle: 'Terminating instance',
    label: 'Deleting',
    example: 'Terminating instance', from: 'lab',
  },
  {
    kind: 'delete', role: 'span', logger: 'nova.compute.manager', needle: 'to destroy the instance on the hypervisor',
    re: /Took (?<seconds>[\d.]+) seconds to destroy the instance/, label: 'Deleting',
    example: 'Took 1.87 seconds to destroy the instance on the hypervisor.', from: 'lab',
  },
  {
    kind: 'network', role: 'span', logger: 'nova.compute.manager', needle: 'to deallocate network for instance',
    re: /Took (?<seconds>[\d.]+) seconds to deallocate network/, label: 'Network deallocated',
    example: 'Took 0.27 seconds to deallocate network for instance.', from: 'lab',
  },
  {
    kind: 'delete', role: 'end', logger: 'nova.scheduler.client.report', needle: 'Deleted allocations for instance',
    label: 'Deleting',
    example: 'Deleted allocations for instance 7c089e49-693a-409c-8c0b-a0b7fbe609ac', from: 'lab',
  },
];

/** Human names of the step kinds, in the order a build or a migration goes through them. */
export const STEP_KIND_NAMES: Record<StepKind, string> = {
  api: 'API request',
  'lm-request': 'Live migration requested',
  schedule: 'Scheduling',
  claim: 'Claim',
  'lm-precheck': 'Pre-checks',
  'lm-pre': 'Pre-live-migration',
  'lm-copy': 'Memory copy',
  'lm-post': 'Post-migration',
  'lm-rollback': 'Rollback',
  network: 'Network',
  'block-devices': 'Block devices',
  spawn: 'Spawning',
  build: 'Build',
  active: 'Active',
  lifecycle: 'Lifecycle',
  cleanup: 'Cleanup',
  stop: 'Stop',
  start: 'Start',
  delete: 'Delete',
  error: 'Error',
};
