import type { RemoteCommand } from '../../remote/command';
import { invalidArgument } from '../../remote/validate';
import { script } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): systemd unit states and properties. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- systemd

export interface UnitStates {
  /** False when the host does not run systemd (no /run/systemd/system). */
  systemd: boolean;
  /** unit → active | inactive | failed | activating | unknown … */
  states: Record<string, string>;
}

const UNIT = /^[A-Za-z0-9@._:-]+\.(?:service|socket)$/;

/** `systemctl is-active <units>` when systemd runs; prints "@@nosystemd" otherwise. */
export function unitStates(units: string[]): RemoteCommand<UnitStates> {
  for (const u of units) if (!UNIT.test(u)) invalidArgument('systemd unit', u);
  return {
    argv: script('if [ -d /run/systemd/system ]; then systemctl is-active "$@"; true; else echo @@nosystemd; fi', units),
    timeoutMs: 15_000,
    parse: (s) => parseUnitStates(s, units),
  };
}

export function parseUnitStates(stdout: string, units: string[]): UnitStates {
  if (stdout.includes('@@nosystemd')) return { systemd: false, states: {} };
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const states: Record<string, string> = {};
  units.forEach((u, i) => (states[u] = lines[i] ?? 'unknown'));
  return { systemd: true, states };
}

/** `systemctl show -p LimitNOFILE -p DropInPaths -p FragmentPath <unit>`, or no systemd. */
export function unitShow(unit: string, props: string[]): RemoteCommand<{ systemd: boolean; props: Record<string, string> }> {
  if (!UNIT.test(unit)) invalidArgument('systemd unit', unit);
  for (const p of props) if (!/^[A-Za-z]+$/.test(p)) invalidArgument('systemd property', p);
  return {
    argv: script('if [ -d /run/systemd/system ]; then u=$1; shift; for p; do systemctl show -p "$p" "$u"; done; else echo @@nosystemd; fi', [unit, ...props]),
    timeoutMs: 15_000,
    parse: (s) => {
      if (s.includes('@@nosystemd')) return { systemd: false, props: {} };
      const out: Record<string, string> = {};
      for (const line of s.split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      return { systemd: true, props: out };
    },
  };
}
