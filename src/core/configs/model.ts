import type { RemoteCommand } from '../remote/command';

/**
 * The config doctor's vocabulary. Positions are 0-based line and character (UTF-16 code units, like VS Code and
 * JavaScript strings); a range's end is exclusive. Rules are pure: text in, findings with exact ranges and edits out.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** Replace `range` with `newText` (an insertion has start = end). */
export interface TextEdit {
  range: Range;
  newText: string;
}

/**
 * Changes to one file. `path` absent means the document the finding is about. Either plain text edits, or a
 * systemd setting to set in a (possibly not yet existing) unit drop-in on the same host — computed against the
 * drop-in's current text when the fix is applied (see `resolveFileEdit`).
 */
export type FileEdit =
  | { path?: string; edits: TextEdit[]; unitSetting?: undefined }
  | { path: string; unitSetting: { section: string; key: string; value: string }; edits?: undefined };

/**
 * A command the user should run on the host (never run without confirmation): the argv and sudo of a
 * `RemoteCommand` (core/remote/command.ts), without a parser (its output is shown, not read), plus why.
 */
export interface HostCommand extends Pick<RemoteCommand<unknown>, 'argv' | 'sudo'> {
  /** Why, one sentence. */
  description: string;
}

export interface Fix {
  /** Code-action title, a verb phrase: `Set listen_tcp = 1`. */
  title: string;
  /** The preferred fix for the finding (VS Code shows it first, `--fix` applies only preferred ones). */
  preferred?: boolean;
  files: FileEdit[];
  /** What to run after the files changed (daemon-reload, restart, enable a socket…). */
  commands?: HostCommand[];
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

export type ConfigKind = 'libvirtd' | 'option-file' | 'limits' | 'systemd-unit';

export interface Finding {
  /** Stable id, `<area>/<name>`, e.g. `libvirt/tcp-disabled`. Also what the ignore marker names. */
  code: string;
  severity: Severity;
  /** What is wrong and why it matters, in one or two sentences. */
  message: string;
  range: Range;
  /** Where to read more (upstream documentation). */
  docUrl: string;
  /** Quick fixes; the first preferred one is "the fix". */
  fixes: Fix[];
  /** Commands that fix it where no file edit can (socket activation…), shown with the finding. */
  commands?: HostCommand[];
  /** Other places that explain this finding (the include file that wins…). */
  related?: { path: string; range: Range; message: string }[];
}

/** The marker a user writes on a line (or the line above) to silence a finding: `# openstack-troubleshooter: ignore <code>`. */
export const IGNORE_MARKER = 'openstack-troubleshooter: ignore';

export function pos(line: number, character: number): Position {
  return { line, character };
}

export function range(line: number, start: number, end: number, endLine = line): Range {
  return { start: { line, character: start }, end: { line: endLine, character: end } };
}
