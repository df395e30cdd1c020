import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { labEnvOrSkip } from './lab';

export const EXTENSION_ID = 'openstack-troubleshooter.openstack-troubleshooter';

/** The activated extension's API (what the suites drive and read). */
export async function extensionApi(): Promise<Partial<ExtensionApi>> {
  return (await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate()) ?? {};
}

/**
 * For suites that drive the clouds and the explorer against the lab: the lab's `.lab/env` and the extension's API,
 * or the suite is skipped with the reason printed.
 */
export async function labAndExplorerApi(ctx: Mocha.Context): Promise<{ env: Record<string, string>; api: ExtensionApi }> {
  const env = labEnvOrSkip(ctx);
  const a = await extensionApi();
  if (!a.clouds || !a.cloudsUi || !a.explorer) {
    console.log('    (skipped: activate() does not expose { clouds, cloudsUi, explorer })');
    ctx.skip();
  }
  return { env, api: a as ExtensionApi };
}

/** Any tree data provider of ours, read as VS Code reads it. */
export type Provider<T> = { getChildren(n?: T): vscode.ProviderResult<T[]>; getTreeItem(n: T): vscode.TreeItem | Thenable<vscode.TreeItem> };

export interface Row<T> {
  node: T;
  item: vscode.TreeItem;
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  id: string;
}

/** The children of `n` (the root when undefined) as the user sees them: label, description, tooltip, contextValue. */
export async function rows<T>(p: Provider<T>, n?: T): Promise<Row<T>[]> {
  const kids = (await p.getChildren(n)) ?? [];
  const out: Row<T>[] = [];
  for (const node of kids) {
    const item = await p.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
    out.push({ node, item, label, description: String(item.description ?? ''), tooltip, contextValue: String(item.contextValue ?? ''), id: String(item.id ?? '') });
  }
  return out;
}

/** The row labelled `label` under `n`, or a failure listing what is there. */
export async function rowOf<T>(p: Provider<T>, n: T | undefined, label: string): Promise<Row<T>> {
  const list = await rows(p, n);
  const hit = list.find((r) => r.label === label);
  assert.ok(hit, `no row "${label}"; rows: ${list.map((r) => r.label).join(', ')}`);
  return hit;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sets a user setting and waits until this extension host sees it (its change event has fired by then). */
export async function setUserSetting(key: string, value: unknown): Promise<void> {
  const [section, ...rest] = key.split('.');
  const name = rest.join('.');
  await vscode.workspace.getConfiguration(section).update(name, value, vscode.ConfigurationTarget.Global);
  await until(`setting "${key}"`, () => JSON.stringify(vscode.workspace.getConfiguration(section).inspect(name)?.globalValue) === JSON.stringify(value));
}
