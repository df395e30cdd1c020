import type { Signature } from './types';

/**
 * The built-in failure signatures. Each message pattern is nova's / neutron's / libvirt's own text, as the services
 * on the lab (Debian's OpenStack Zed) or the shared real logs wrote it; `provenOn` names the test that causes the
 * failure for real and diagnoses it. Named groups bind variables; `{name}` uses one.
 *
 * Services are named as the log correlation names them (src/core/logs/sources.ts): nova-api, nova-conductor,
 * nova-scheduler, nova-compute, placement-api, neutron-server, libvirtd…
 */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LIBVIRT_DOCS = 'https://libvirt.org/remote.html#transports';
const LIVE_MIGRATION_DOCS = 'https://docs.openstack.org/nova/latest/admin/configuring-migrations.html';
const SCHEDULER_DOCS = 'https://docs.openstack.org/nova/latest/admin/scheduling.html';
const SERVICES_DOCS = 'https://docs.openstack.org/nova/latest/admin/services.html';

/** nova-conductor's line when a migration's pre-checks fail (logger nova.scheduler.utils, WARNING). */
const MIGRATE_TASK_FAILED = '^Failed to compute_task_migrate_server: ';

export const BUILTIN_SIGNATURES: Signature[] = [
  {
    id: 'live-migration-target-libvirtd-refused',
    title: "Live migration: the target's libvirtd refuses the connection",
    priority: 100,
    supersedes: ['live-migration-libvirt-failure'],
    when: [
      {
        source: 'log',
        label: "nova-compute on the source (libvirt's migration job)",
        service: '^nova-compute$',
        level: ['ERROR'],
        message: `^Live Migration failure: unable to connect to server at '(?<target>[^':]+):(?<port>\\d+)': Connection refused`,
        host: '(?<source>.+)',
      },
      { source: 'migration', optional: true, label: 'the migration record', type: 'live-migration', status: '^(failed|error)$', dest_compute: '^{target}$' },
      {
        source: 'file',
        optional: true,
        label: "libvirtd.conf on the target (libvirtd listens on TCP only with listen_tcp = 1, or libvirtd-tcp.socket)",
        host: '{target}',
        path: '/etc/libvirt/libvirtd.conf',
        line: '^\\s*(listen_tcp|listen_tls|tcp_port|listen_addr)\\s*=',
      },
    ],
    cause:
      "{target}'s libvirtd does not listen on TCP port {port}: the source's libvirt ({source}) could not open the migration " +
      "connection, so nova aborted the live migration and the instance stayed on {source}. nova's instance-action events still say " +
      'Success; the reason is only in nova-compute.log on the source.',
    fixes: [
      {
        text: 'Let libvirtd on {target} listen on TCP (listen_tcp = 1 in libvirtd.conf, with --listen or the libvirtd-tcp.socket), then restart libvirtd there.',
        quickFix: { host: '{target}', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' },
        commands: [{ host: '{target}', command: 'systemctl restart libvirtd' }],
        links: [LIBVIRT_DOCS, LIVE_MIGRATION_DOCS],
      },
      { text: 'Run the live-migration readiness check again, then the migration.', check: { kind: 'live-migration', subject: { target: '{target}' } } },
    ],
    provenOn: [
      'lab: test/integration/diagnose/lab-diagnose.test.ts (seed vm1 compute1 → compute2)',
      'lab: test/integration/checks/lab-checks.test.ts (a test server: the diagnosis, its fix applied, the readiness check then passes and the same migration succeeds)',
    ],
  },
  {
    id: 'live-migration-libvirt-failure',
    title: "Live migration: libvirt's migration job failed",
    priority: 50,
    when: [
      {
        source: 'log',
        label: 'nova-compute on the source',
        service: '^nova-compute$',
        level: ['ERROR'],
        message: '^Live Migration failure: (?<reason>.+?)(?:: libvirt\\.libvirtError: .*)?$',
        host: '(?<source>.+)',
      },
      { source: 'migration', optional: true, label: 'the migration record', type: 'live-migration', status: '^(failed|error)$' },
    ],
    cause: "libvirt's migration job on {source} failed: {reason}. nova aborted the live migration; the instance stayed on {source}.",
    fixes: [{ text: "Read libvirtd's log on both hosts around this time, and run the live-migration readiness check.", check: { kind: 'live-migration' }, links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (same failure, generic reading)'],
  },
  {
    id: 'migration-to-current-host',
    title: 'Migration refused: the destination is the host the instance is on',
    priority: 90,
    supersedes: ['migration-precheck-failed', 'instance-action-error'],
    when: [
      {
        source: 'log',
        label: "nova-conductor's pre-check",
        message: `${MIGRATE_TASK_FAILED}Unable to migrate instance \\((?<instance>${UUID})\\) to current host \\((?<host>[^)]+)\\)`,
      },
    ],
    cause: 'The migration named {host} as its destination, and the instance already runs there; nova-conductor refused it before any host was contacted.',
    fixes: [{ text: 'Choose another destination host, or let the scheduler choose (no host).', commands: [{ command: 'openstack server migrate --live-migration <server>' }], links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts', 'real logs: ../shared/fixtures/real-logs/live-migration-two-computes (nova-conductor)'],
  },
  {
    id: 'migration-to-current-host-scheduler',
    title: 'Migration found no host: the requested destination is the host the instance is on',
    priority: 92,
    supersedes: ['no-valid-host', 'migration-precheck-failed', 'instance-action-error'],
    when: [
      { source: 'log', label: "nova-scheduler: the requested destination", service: '^nova-scheduler$', message: '^Host filter only checking host (?<target>\\S+) and node', request_id: '^(?<req>req-[0-9a-f-]{36})$' },
      { source: 'log', label: 'nova-scheduler: the hosts a move never goes to (the instance\'s own)', service: '^nova-scheduler$', request_id: '^{req}$', message: '^Host filter ignoring hosts: (?:.*, )?{target}(?:,|$)' },
      { source: 'log', optional: true, label: 'nova-conductor', request_id: '^{req}$', message: 'No valid host was found' },
    ],
    cause:
      'The migration asked for host {target}, and the instance is already on {target}: the scheduler leaves the source host out of every move, so no host ' +
      'was left and nova said "No valid host was found. There are not enough hosts available."',
    fixes: [{ text: 'Choose another destination host, or let the scheduler choose (no host).', commands: [{ command: 'openstack server migrate --live-migration <server>' }], links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (live migration to the host the instance is on, compute microversion 2.30+)'],
  },
  {
    id: 'migration-target-service-unavailable',
    title: "Migration refused: the destination's compute service is disabled or down",
    priority: 90,
    supersedes: ['migration-precheck-failed', 'instance-action-error'],
    when: [
      {
        source: 'log',
        label: "nova-conductor's pre-check",
        message: `(?:${MIGRATE_TASK_FAILED})?Compute service of (?<target>\\S+) is unavailable at this time`,
      },
      { source: 'service', optional: true, label: "the destination's compute service", binary: '^nova-compute$', host: '^{target}$' },
    ],
    cause:
      "nova-conductor refused the migration to {target}: its nova-compute service is disabled, forced down or not reporting (pre-check, before any host was contacted). " +
      'See the service line for which.',
    fixes: [
      { text: 'If {target} should take instances, enable its compute service (and find out first why it was disabled or down).', commands: [{ command: 'openstack compute service set --enable {target} nova-compute' }], links: [SERVICES_DOCS] },
      { text: 'Or choose another destination.' },
    ],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (live migration to the disabled bulk1)', 'real logs: ../shared/fixtures/real-logs/live-migration-two-computes'],
  },
  {
    id: 'migration-not-shared-storage',
    title: 'Live migration refused: no shared storage and no block migration',
    priority: 90,
    supersedes: ['migration-precheck-failed', 'instance-action-error'],
    when: [{ source: 'log', label: "the pre-check's result", message: `(?:${MIGRATE_TASK_FAILED})?(?<host>\\S+) is not on shared storage: (?<reason>Live migration can ?not be used without shared storage[^.]*)` }],
    cause:
      '{host} does not share the instance directory with the other host, and the live migration did not ask for block migration: "{reason}". ' +
      "The destination's pre-checks refused it before anything was copied.",
    fixes: [{ text: 'Live-migrate with block migration (the disks are copied over the migration connection), or put the instances directory on shared storage.', commands: [{ command: 'openstack server migrate --live-migration --block-migration <server>' }], links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (block_migration false)', 'real logs: ../shared/fixtures/real-logs/live-migration-two-computes'],
  },
  {
    id: 'migration-hypervisor-type-mismatch',
    title: 'Migration refused: the destination runs another hypervisor type',
    priority: 90,
    supersedes: ['migration-precheck-failed', 'instance-action-error'],
    when: [
      { source: 'log', label: "nova-conductor's pre-check", message: `(?:${MIGRATE_TASK_FAILED})?The supplied hypervisor type of ?(?<given>\\S*) is invalid` },
      { source: 'server', label: 'the instance', host: '^(?<host>.+)$' },
      { source: 'hypervisor', label: "the source's hypervisor", service_host: '^{host}$', hypervisor_type: '^(?<sourcetype>.+)$' },
      { source: 'hypervisor', optional: true, label: 'hosts of another hypervisor type (not a possible destination)', hypervisor_type: '^(?!{sourcetype}$)(?<othertype>.+)$' },
    ],
    cause:
      'The destination is not a {sourcetype} host like {host}: nova live-migrates only between hosts of the same hypervisor type, and its pre-check ' +
      'refused the request before contacting either host (nova\'s message, "The supplied hypervisor type of is invalid", names neither).',
    fixes: [{ text: 'Choose a destination whose hypervisor type is {sourcetype} (openstack hypervisor list shows the types).', commands: [{ command: 'openstack hypervisor list --long' }], links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (forced live migration from a QEMU host to the fake-driver bulk1)'],
  },
  {
    id: 'migration-precheck-failed',
    title: "Migration refused by nova's pre-checks",
    priority: 40,
    supersedes: ['instance-action-error'],
    // "No valid host" is the scheduler's answer, read by the no-valid-host signatures
    when: [{ source: 'log', label: "nova-conductor's pre-check", message: `${MIGRATE_TASK_FAILED}(?!No valid host)(?<reason>.+)$` }],
    cause: 'nova refused the migration in its pre-checks: {reason}',
    fixes: [{ text: 'Run the live-migration readiness check for this server and destination.', check: { kind: 'live-migration' }, links: [LIVE_MIGRATION_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (any of the specific pre-check failures, generic reading)', 'real logs: ../shared/fixtures/real-logs/live-migration-two-computes'],
  },
  {
    id: 'requested-host-disabled',
    title: 'No valid host: the requested host is disabled',
    priority: 95,
    supersedes: ['no-allocation-candidates', 'no-valid-host', 'instance-action-error'],
    when: [
      { source: 'log', label: "nova-scheduler's answer", service: '^nova-scheduler$', message: '^Got no allocation candidates from the Placement API', request_id: '^(?<req>req-[0-9a-f-]{36})$' },
      {
        source: 'log',
        label: "placement's query (in_tree: the requested host; !COMPUTE_STATUS_DISABLED: no disabled host)",
        service: '^placement',
        global_request_id: '^{req}$',
        message: `"GET /allocation_candidates\\?[^"]*in_tree=(?<rp>${UUID})[^"]*"`,
      },
      { source: 'hypervisor', label: 'the requested host (its compute node is the resource provider)', id: '^{rp}$', service_host: '^(?<target>.+)$' },
      { source: 'service', label: "the requested host's compute service", binary: '^nova-compute$', host: '^{target}$', status: '^disabled$', disabled_reason: '^(?<reason>.*)$' },
    ],
    cause:
      'The request named host {target}, and its nova-compute service is disabled ("{reason}"). nova asks placement for hosts without the ' +
      'COMPUTE_STATUS_DISABLED trait, so placement returned no candidate and the scheduler said "No valid host was found".',
    fixes: [
      { text: 'Enable the compute service of {target} if it should take instances again (find out first why it was disabled).', commands: [{ command: 'openstack compute service set --enable {target} nova-compute' }], links: [SERVICES_DOCS] },
      { text: 'Or name another host, or none.' },
    ],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (seed vm3: migration to the disabled compute2)'],
  },
  {
    id: 'no-allocation-candidates',
    title: 'No valid host: no compute host has the resources',
    priority: 80,
    supersedes: ['no-valid-host', 'instance-action-error'],
    when: [
      { source: 'log', label: "nova-scheduler's answer", service: '^nova-scheduler$', message: '^Got no allocation candidates from the Placement API', request_id: '^(?<req>req-[0-9a-f-]{36})$' },
      { source: 'log', label: "placement's query", service: '^placement', global_request_id: '^{req}$', message: '"GET /allocation_candidates\\?[^"]*resources=(?<q_resources>[^&"]+)' },
    ],
    cause:
      'Placement found no compute host with {resources} free (after allocation ratios and reserved amounts, among enabled hosts), so the scheduler ' +
      'said "No valid host was found". This is a capacity answer, not a filter: no scheduler filter ran.',
    fixes: [
      {
        text: 'Compare the request with what the hosts have free; use a smaller flavor, free capacity, or raise the allocation ratio.',
        commands: [{ command: 'openstack resource provider list' }, { command: 'openstack resource provider usage show <provider-uuid>' }],
        links: [SCHEDULER_DOCS, 'https://docs.openstack.org/nova/latest/admin/troubleshooting/affinity-policy-violated.html'],
      },
    ],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (seed vm-huge)'],
  },
  {
    id: 'no-valid-host-filter',
    title: 'No valid host: a scheduler filter removed every host',
    priority: 85,
    supersedes: ['no-valid-host', 'instance-action-error'],
    when: [
      {
        source: 'log',
        label: "nova-scheduler's filter results",
        service: '^nova-scheduler$',
        message: `^Filtering removed all hosts for the request with instance ID '(?<instance>${UUID})'\\. Filter results: .*?'(?<filter>\\w+): \\(start: (?<start>\\d+), end: 0\\)'`,
      },
    ],
    cause: "The scheduler's {filter} removed all {start} host(s) left for instance {instance} (placement had candidates; the filter refused them), so nova said \"No valid host was found\".",
    fixes: [{ text: "Compare what the request asks {filter} for (flavor extra specs, image properties, server group, aggregate metadata) with the hosts.", links: [SCHEDULER_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (flavor extra spec no host has)'],
  },
  {
    id: 'no-valid-host',
    title: 'No valid host was found',
    priority: 10,
    supersedes: ['instance-action-error'],
    when: [{ source: 'log', label: 'nova-conductor', level: ['ERROR', 'WARNING'], message: 'No valid host was found\\.? ?(?<reason>.*)$' }],
    cause: 'The scheduler found no host for the request{reason}. The scheduler\'s and placement\'s lines of this request say why; none of the more precise signatures matched them.',
    fixes: [{ text: "Read nova-scheduler's lines for this request (filter results at INFO, placement queries in placement-api's log).", links: [SCHEDULER_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (seed vm-huge, generic reading)'],
  },
  {
    id: 'libvirt-connection-lost',
    title: "libvirtd on the instance's host stopped: nova disabled the compute service",
    priority: 95,
    supersedes: ['compute-service-down'],
    when: [
      { source: 'server', label: 'the instance', host: '^(?<host>.+)$' },
      { source: 'service', label: "the host's compute service", binary: '^nova-compute$', host: '^{host}$', status: '^disabled$', disabled_reason: '^(?<reason>AUTO: Connection to libvirt lost.*)$' },
      { source: 'log', optional: true, hostLevel: true, label: 'nova-compute on the host', service: '^nova-compute$', host: '^{host}$', message: 'Connection to libvirt lost|Connection event .* reason .*libvirt' },
    ],
    cause:
      'nova-compute on {host} lost its connection to libvirtd and disabled its own service ("{reason}"): libvirtd there stopped or restarted. ' +
      'Until it is back, the instance cannot be managed and the host takes no new instances; nova enables the service again by itself when the connection returns.',
    fixes: [
      { text: 'Start libvirtd on {host} (and find out why it stopped: its journal).', commands: [{ host: '{host}', command: 'systemctl start libvirtd' }, { host: '{host}', command: 'journalctl -u libvirtd -n 50' }] },
      { text: 'If the service stays disabled with an AUTO reason after libvirtd is back, enable it.', commands: [{ command: 'openstack compute service set --enable {host} nova-compute' }], links: [SERVICES_DOCS] },
    ],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (libvirtd stopped on compute2)'],
  },
  {
    id: 'compute-service-down',
    title: "The instance's compute service is down",
    priority: 60,
    when: [
      { source: 'server', label: 'the instance', host: '^(?<host>.+)$' },
      { source: 'service', label: "the host's compute service", binary: '^nova-compute$', host: '^{host}$', state: '^down$' },
    ],
    cause: "nova-compute on {host} has not reported to the database for longer than service_down_time: it is stopped, hung, or cannot reach the message queue or the database. The instance cannot be managed until it is back.",
    fixes: [{ text: 'Look at nova-compute on {host}: is it running, and what does its log say last (AMQP / database errors)?', commands: [{ host: '{host}', command: 'systemctl status nova-compute' }, { host: '{host}', command: 'tail -n 50 /var/log/nova/nova-compute.log' }], links: [SERVICES_DOCS] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (nova-compute stopped on compute2)'],
  },
  {
    id: 'amqp-unreachable',
    title: 'RabbitMQ unreachable from a service',
    priority: 70,
    when: [{ source: 'log', hostLevel: true, label: 'oslo.messaging', level: ['ERROR', 'WARNING'], message: '^AMQP server on (?<amqp>\\S+) is unreachable: (?<reason>.+?)\\. Trying again in', host: '(?<host>.+)' }],
    cause: '{host} cannot reach RabbitMQ at {amqp} ({reason}): RPC calls and casts to and from its services fail or wait, so operations that involve it hang or time out.',
    fixes: [{ text: 'Check RabbitMQ at {amqp} (running, listening, cluster state) and the network path from {host}; the services reconnect by themselves.', commands: [{ command: 'rabbitmqctl cluster_status' }, { host: '{host}', command: 'nc -zv <rabbit-host> 5672' }], links: ['https://www.rabbitmq.com/docs/troubleshooting-networking'] }],
    provenOn: ['real logs: ../shared/fixtures/real-logs/live-migration-two-computes (RabbitMQ shut down under the services)'],
  },
  {
    id: 'database-connection-failed',
    title: 'A service cannot connect to the database',
    priority: 60,
    when: [{ source: 'log', hostLevel: true, label: 'oslo.db', level: ['ERROR', 'WARNING'], message: '^SQL connection failed\\. (?<left>-?\\d+) attempts left', host: '(?<host>.+)', service: '(?<service>.+)' }],
    cause: '{service} on {host} could not connect to its database and is retrying: operations that touch the database fail meanwhile.',
    fixes: [{ text: 'Check the database server (running, max_connections reached?, network) and the connection URL in the service configuration.', check: { kind: 'mysql-limits' } }],
    provenOn: ['real logs: ../shared/fixtures/real-logs/live-migration-two-computes'],
  },
  {
    id: 'port-binding-failed',
    title: "Port binding failed: the host's L2 agent was dead",
    priority: 85,
    supersedes: ['instance-action-error', 'no-valid-host'],
    when: [
      { source: 'log', label: 'nova-compute', service: '^nova-compute$', level: ['ERROR'], message: `Binding failed for port (?<port>${UUID}), please check neutron logs`, host: '^(?<host>.+)$' },
      {
        source: 'log',
        label: 'neutron-server (ML2): the agent it refused',
        service: '^neutron',
        level: ['WARNING', 'ERROR'],
        message: "^Refusing to bind port {port} to dead agent: .*'agent_type': '(?<agent>[^']+)'.*'host': '(?<agenthost>[^']+)'",
      },
      { source: 'log', optional: true, label: 'neutron-server (ML2)', service: '^neutron', message: '^Failed to bind port {port} on host (?<bindhost>\\S+) for vnic_type (?<vnic>\\S+)' },
      { source: 'agent', optional: true, label: 'that agent now', host: '^{agenthost}$', agent_type: '^{agent}$' },
    ],
    cause:
      "neutron could not bind port {port} for the instance on {host}: the {agent} on {agenthost} was dead (no heartbeat within agent_down_time), " +
      'so ML2 refused it and nova aborted the build. See the agent line for its state now.',
    fixes: [{ text: 'Start the {agent} on {agenthost} and check it reports alive; then build or move the instance again.', commands: [{ host: '{agenthost}', command: 'systemctl restart neutron-linuxbridge-agent   # or neutron-openvswitch-agent' }, { command: 'openstack network agent list --host {agenthost}' }] }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts (linuxbridge agent stopped on compute2, a server booted there)'],
  },
  {
    id: 'instance-action-error',
    title: 'An instance action step failed',
    priority: 0,
    when: [{ source: 'event', label: "the instance action's event", result: '^Error$', event: '(?<event>.+)', traceback: '(?<exception>[\\w.]+(?:Error|Exception|Invalid\\w*|NotFound|Unavailable|Failed|Host)\\b[^\\n]*)\\s*$' }],
    cause: 'The step {event} of the instance action failed: {exception}',
    fixes: [{ text: 'The traceback is in the instance action; the service lines of its request id are in the correlated log.' }],
    provenOn: ['lab: test/integration/diagnose/lab-diagnose.test.ts'],
  },
];
