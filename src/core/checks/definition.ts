import type { GatherContext } from './gather';
import type { CheckApi } from './ports';
import type { CheckKind, CheckReport, Finding } from './types';

/**
 * The one shape of a check, which the extension (src/features/checks), the CLI (src/cli/commands/check.ts) and the
 * manifest-parity test all iterate through ./registry.ts: what it needs (inputs), how it gathers facts, the pure
 * evaluation of the facts and the report. Adding a check: docs/CONVENTIONS.md, "Adding a check".
 */

/**
 * What a check needs to know. Each face fills the same record: the CLI from its arguments, the extension from the
 * command's argument (a tree node or `{ … }`) or, for the kinds it can offer, a picker.
 */
export interface CheckInput {
  /** Key in `CheckInputs`. */
  name: string;
  /**
   * `server`: an instance (the extension picks one); `floating-ip`: an address or id (picked from the floating IPs);
   * `database-host`: a host the extension asks for (prefilled from settings); `host`: an OpenStack host name taken
   * from the command's argument only.
   */
  kind: 'server' | 'floating-ip' | 'database-host' | 'host';
  /** CLI: the first positional argument, or an option (`--target`). */
  cli: 'positional' | `--${string}`;
  /** The word of the CLI usage: `<server>`, `[--target HOST]`. */
  metavar: string;
  /** A CLI option that may repeat (the value is a list). */
  many?: boolean;
  /** Without it (and without `unless`) the check cannot run: the CLI prints its usage, the extension asks. */
  required?: boolean;
  /** Required unless this other input is given. */
  unless?: string;
  /** CLI default when the option is absent. */
  cliDefault?: string;
  /** The extension does not read this input from a command argument (it is a CLI refinement only). */
  cliOnly?: boolean;
}

export type CheckInputs = Record<string, string | string[] | undefined>;

/** The command id the extension registers for a check (and package.json contributes). */
export type CheckCommandId = `openstack.check.${string}`;

export interface CheckDefinition<F = unknown> {
  id: CheckKind;
  /** The palette title, also the title of its pickers: "Check VXLAN Port Consistency". */
  title: string;
  command: CheckCommandId;
  /** False: it talks to hosts only (no cloud needed; `api` is not used). */
  needsCloud: boolean;
  inputs: readonly CheckInput[];
  /** The progress notification while it runs; `labels` are the inputs as a user knows them (server name, …). */
  progressTitle(labels: Record<string, string | undefined>): string;
  /** Facts of each subject (live migration: one per target). Failures of single facts become skipped items. */
  gather(api: CheckApi, ctx: GatherContext, inputs: CheckInputs): Promise<F[]>;
  /** Pure: facts → findings. */
  evaluate(facts: F): Finding[];
  /** Pure: facts → the report (its findings are `evaluate(facts)`). */
  report(facts: F): CheckReport;
  /** The message when `gather` finds nothing to check; `label` names the subject when the face knows it. */
  nothingToCheck?(label?: string): string;
}

/** The value of an input as one string (the last one of a list). */
export function inputText(inputs: CheckInputs, name: string): string | undefined {
  const v = inputs[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** The value of an input as a list (empty when absent). */
export function inputList(inputs: CheckInputs, name: string): string[] {
  const v = inputs[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Whether every required input is there (an input with `unless` is satisfied by the other one). */
export function inputsComplete(def: Pick<CheckDefinition, 'inputs'>, inputs: CheckInputs): boolean {
  return def.inputs.every((i) => {
    if (!i.required) return true;
    const has = (n: string) => inputList(inputs, n).some(Boolean);
    return has(i.name) || (i.unless !== undefined && has(i.unless));
  });
}

/** `check live-migration <server> [--target HOST]… [--source HOST]`: the CLI usage line of a check. */
export function cliUsageOf(def: Pick<CheckDefinition, 'id' | 'inputs'>): string {
  const words = def.inputs.map((i) => (i.cli === 'positional' ? `<${i.metavar}>` : `[${i.cli} ${i.metavar}]${i.many ? '…' : ''}`));
  return ['check', def.id, ...words].join(' ');
}

/** Gathers and reports: one report per subject. */
export async function runCheck<F>(def: CheckDefinition<F>, api: CheckApi, ctx: GatherContext, inputs: CheckInputs): Promise<CheckReport[]> {
  return (await def.gather(api, ctx, inputs)).map((f) => def.report(f));
}
