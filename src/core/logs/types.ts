/**
 * The data model of correlated logs. A `LogEntry` is one logical log record: its first line plus the continuation
 * lines (traceback, multi-line body) that belong to it. Entries from every host and file are merged by `ts`.
 */

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'AUDIT' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Which grammar a line matched. */
export type LogFormat =
  | 'oslo' // 2026-11-25 19:33:15.822 8170 INFO nova.api… [None req-… …] msg
  | 'apache' // [Wed Nov 25 19:33:14.123456 2026] [wsgi:error] [pid 1:tid 2] [remote …] msg
  | 'libvirt' // 2026-11-25 19:50:01.123+0000: 1234: info : msg  (also qemu logs' libvirt lines)
  | 'iso' // 2026-11-25T19:50:01.216429Z qemu-system-x86_64: msg (qemu), generic ISO-8601 with zone
  | 'journal' // journalctl -o short-iso-precise / -o json
  | 'syslog' // Nov 25 19:33:14 host prog[pid]: msg
  | 'plain'; // 2026-11-25 20:13:45.241178 msg  (Apache `ErrorLogFormat "%{cu}t %M"`, Debian's WSGI vhosts)

export interface LogEntry {
  /** Epoch microseconds (UTC). Sub-millisecond order is kept where the format has it. NaN never appears. */
  ts: number;
  host: string;
  /** nova-compute, neutron-server, httpd, libvirtd, qemu… */
  service: string;
  /** Path of the file on its host (as the host sees it), or `journal:<unit>` for journald. */
  file: string;
  /** 1-based line number of the first line in the file, when known (whole files read offline). */
  lineNo?: number;
  /** Byte offset of the first line in the file, when known (the host search's grep -b). */
  offset?: number;
  format: LogFormat;
  level?: LogLevel;
  /** The request id of the service that logged the line (oslo `request_id`). */
  requestId?: string;
  /** The global request id (oslo `global_request_id`): nova's id in neutron/placement/glance lines. */
  globalRequestId?: string;
  /** `[instance: <uuid>]` */
  instance?: string;
  /** The raw text: first line, then continuation lines. Already redacted. */
  lines: string[];
  /** True when a line was longer than the display limit and was cut. */
  truncated?: boolean;
}

/** A host's clock: how naive local timestamps in its logs become UTC. */
export interface HostClock {
  /** IANA zone (`Europe/Berlin`) when the host told us; handles DST across the window. */
  zone?: string;
  /** Fixed offset east of UTC in minutes (`date +%z`), used when `zone` is absent or unknown to this runtime. */
  offsetMinutes: number;
  /** Zone abbreviation (`CET`), for display only. */
  abbreviation?: string;
}

export const UTC_CLOCK: HostClock = { offsetMinutes: 0, zone: 'UTC', abbreviation: 'UTC' };

/** A non-fatal problem with one file or host, shown inline (never a secret). */
export interface LogWarning {
  host: string;
  file?: string;
  message: string;
}
