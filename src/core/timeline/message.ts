import type { LogEntry } from '../logs/types';

/** The parts of a record's first line a step pattern looks at. */
export interface RecordMessage {
  /** oslo logger name (`nova.compute.manager`), `libvirt` for libvirtd/qemu's libvirt lines, else the service. */
  logger: string;
  /** The message after the level, logger, context bracket and instance tag. */
  text: string;
}

const OSLO_LEVEL = / (?:TRACE|DEBUG|INFO|AUDIT|WARNING|WARN|ERROR|CRITICAL) (\S+) ?/;
const LIBVIRT_HEAD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}: (?:\d+: \w+ : )?/;

/**
 * Splits the first line of a record. oslo (file or journald): `<ts> <pid> LEVEL logger [context] [instance: u] msg`;
 * libvirt: `<ts>+0000: pid: level : msg`; anything else: the whole line, logged by its service.
 */
export function messageOf(e: LogEntry): RecordMessage {
  const line = e.lines[0] ?? '';
  if (e.format === 'libvirt') {
    const m = LIBVIRT_HEAD.exec(line);
    return { logger: 'libvirt', text: m ? line.slice(m[0].length) : line };
  }
  if (e.format === 'oslo' || e.format === 'journal') {
    const m = OSLO_LEVEL.exec(line);
    if (m) {
      let rest = line.slice(m.index + m[0].length);
      if (rest.startsWith('[') && !rest.startsWith('[instance: ')) {
        const end = rest.indexOf('] ');
        if (end > 0) rest = rest.slice(end + 2);
        else if (rest.endsWith(']')) rest = '';
      }
      if (rest.startsWith('[instance: ')) {
        const end = rest.indexOf('] ');
        if (end > 0) rest = rest.slice(end + 2);
      }
      return { logger: m[1], text: rest };
    }
  }
  return { logger: e.service, text: line };
}
