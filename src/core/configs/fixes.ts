import type { FileEdit, Fix, HostCommand, TextEdit } from './model';
import { parseUnitFile } from './systemd-unit';
import { appendLines, applyTextEdits, documentEol, insertAfterLine, splitLines } from './text';

/** Where the extension puts the database service's open-files limit. */
export function dropInPath(service: string): string {
  const unit = service.endsWith('.service') ? service : `${service}.service`;
  return `/etc/systemd/system/${unit}.d/limits.conf`;
}

export function daemonReloadAndRestart(service: string): HostCommand[] {
  const unit = service.replace(/\.service$/, '');
  return [
    { argv: ['systemctl', 'daemon-reload'], sudo: true, description: 'Make systemd read the new drop-in.' },
    { argv: ['systemctl', 'restart', unit], sudo: true, description: `Restart ${unit} so it starts with the new limit.` },
  ];
}

/**
 * A drop-in value never lowers the service's current limit (MariaDB's own unit ships LimitNOFILE=32768) and never
 * exceeds what the host can grant (a higher LimitNOFILE makes systemd fail to start the service).
 */
export function dropInNofile(wanted: number, currentServiceNofile: number | undefined, ceiling?: number): number {
  const v = currentServiceNofile !== undefined && Number.isFinite(currentServiceNofile) ? Math.max(wanted, currentServiceNofile) : wanted;
  return ceiling !== undefined && Number.isFinite(ceiling) && ceiling > 0 ? Math.min(v, ceiling) : v;
}

/** The fix that actually raises a systemd service's open-files limit: a `[Service] LimitNOFILE=` drop-in. */
export function limitNofileDropInFix(service: string, nofile: number, preferred = true): Fix {
  const path = dropInPath(service);
  return {
    title: `Create ${path} with LimitNOFILE=${nofile}`,
    preferred,
    files: [{ path, unitSetting: { section: 'Service', key: 'LimitNOFILE', value: String(nofile) } }],
    commands: daemonReloadAndRestart(service),
  };
}

/**
 * Sets `key=value` in `section` of a unit drop-in's text (undefined: the file does not exist yet). Replaces the
 * last assignment in that section (the one systemd uses), else adds it after the section header, else appends
 * the section.
 */
export function setUnitValue(existing: string | undefined, section: string, key: string, value: string): string {
  if (existing === undefined || existing.trim() === '') return `[${section}]\n${key}=${value}\n`;
  const unit = parseUnitFile(existing);
  const eol = documentEol(existing);
  const lines = splitLines(existing);
  const inSection = unit.entries.filter((e) => e.section === section && e.key === key);
  const last = inSection[inSection.length - 1];
  let edit: TextEdit;
  if (last) edit = { range: last.valueRange, newText: value };
  else {
    const header = [...unit.sections].reverse().find((s) => s.name === section);
    edit = header ? insertAfterLine(lines, header.line, [`${key}=${value}`], eol) : appendLines(existing, ['', `[${section}]`, `${key}=${value}`], eol);
  }
  return applyTextEdits(existing, [edit]);
}

/** The new text of a file after one FileEdit, given its current text (undefined when it does not exist). */
export function resolveFileEdit(edit: FileEdit, existing: string | undefined): string {
  if (edit.unitSetting) return setUnitValue(existing, edit.unitSetting.section, edit.unitSetting.key, edit.unitSetting.value);
  return applyTextEdits(existing ?? '', edit.edits);
}
