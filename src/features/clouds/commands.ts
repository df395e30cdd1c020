import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { TroubleshooterError } from '../../core/errors';
import { readRegularFileSync } from '../../core/local-file';
import type { Logger } from '../../core/log';
import { registerCommand } from '../../platform/commands';
import type { Secrets } from '../../platform/secrets';
import type { CloudSession } from './cloud-session';
import { addCloudEntry, backupPathOf, readCloudEntry, removeCloudEntry, validateCloudName } from './clouds-file';
import type { CloudNode } from './clouds-view';
import { cloudSecretKey, credentialSecretKey, parseOpenrc } from './openrc';

/** Cloud commands. Each takes an optional CloudNode and falls back to a picker (palette). */
export function registerCloudCommands(session: CloudSession, secrets: Secrets, logger: Logger, refresh: () => void): vscode.Disposable {
  const cancelled = (what: string) => new TroubleshooterError('Cancelled', `${what} was cancelled.`);

  async function pickCloud(title: string, node?: CloudNode | string): Promise<string> {
    if (typeof node === 'string') return node;
    if (node?.name) return node.name;
    const active = session.activeCloud;
    const items = session.listClouds().map((name) => ({ label: name, description: name === active ? 'active' : undefined }));
    if (!items.length) throw new TroubleshooterError('CloudNotFound', 'No cloud is configured.');
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Cloud' });
    if (!picked) throw cancelled(title);
    return picked.label;
  }

  async function chooseTargetFile(): Promise<string> {
    const inUse = session.cloudsFile();
    const userFile = join(homedir(), '.config', 'openstack', 'clouds.yaml');
    const items: (vscode.QuickPickItem & { path?: string })[] = [];
    if (inUse) items.push({ label: inUse, description: 'the clouds.yaml in use', path: inUse });
    if (inUse !== userFile) items.push({ label: userFile, description: inUse ? 'your user clouds.yaml' : 'create it', path: userFile });
    items.push({ label: 'Choose a file…' });
    const picked = await vscode.window.showQuickPick(items, { title: 'Write the cloud entry into', placeHolder: 'clouds.yaml' });
    if (!picked) throw cancelled('Adding a cloud');
    if (picked.path) return picked.path;
    const uri = await vscode.window.showSaveDialog({ title: 'clouds.yaml to write', filters: { YAML: ['yaml', 'yml'] }, defaultUri: vscode.Uri.file(userFile) });
    if (!uri) throw cancelled('Adding a cloud');
    return uri.fsPath;
  }

  async function ask(prompt: string, o: { value?: string; password?: boolean; optional?: boolean; validate?: (v: string) => string | undefined } = {}): Promise<string> {
    const v = await vscode.window.showInputBox({
      title: 'Add Cloud',
      prompt,
      value: o.value,
      password: o.password,
      ignoreFocusOut: true,
      validateInput: (x) => (!x && !o.optional ? 'Required.' : x ? o.validate?.(x) : undefined),
    });
    if (v === undefined) throw cancelled('Adding a cloud');
    return v;
  }

  async function addCloud(): Promise<void> {
    const how = await vscode.window.showQuickPick(
      [
        { label: 'Enter the details', id: 'form' },
        { label: 'Import an openrc file…', id: 'openrc', detail: 'Reads the OS_* variables (the file is not run); the password goes to secret storage.' },
      ],
      { title: 'Add Cloud' },
    );
    if (!how) return;
    let entry: Record<string, unknown>;
    let password: string | undefined;
    let suggested = 'mycloud';
    if (how.id === 'openrc') {
      const files = await vscode.window.showOpenDialog({ title: 'openrc file', canSelectMany: false });
      if (!files?.length) return;
      const parsed = parseOpenrc(readRegularFileSync(files[0].fsPath, { maxBytes: 1024 * 1024 }).bytes.toString('utf8'));
      const auth = parsed.entry.auth as Record<string, string>;
      if (!auth.auth_url) throw new TroubleshooterError('ConfigInvalid', `No OS_AUTH_URL in "${files[0].fsPath}".`, { subject: files[0].fsPath });
      entry = parsed.entry;
      password = parsed.password ?? (await ask(`Password of "${auth.username ?? auth.user_id ?? 'the user'}" (kept in secret storage)`, { password: true }));
      suggested = auth.project_name ?? suggested;
    } else {
      const authUrl = await ask('Keystone URL (auth_url)', { value: 'https://', validate: (v) => (/^https?:\/\/[^\s/]+/.test(v) ? undefined : 'An http(s) URL.') });
      const username = await ask('User name');
      password = await ask(`Password of "${username}" (kept in secret storage, not in clouds.yaml)`, { password: true });
      const project = await ask('Project name');
      const domain = await ask('User and project domain', { value: 'Default' });
      const region = await ask('Region (empty: the catalog default)', { optional: true });
      entry = {
        auth: { auth_url: authUrl, username, project_name: project, user_domain_name: domain, project_domain_name: domain },
        ...(region ? { region_name: region } : {}),
        identity_api_version: 3,
      };
      suggested = project;
    }
    const name = await ask('Name of the cloud in clouds.yaml', { value: suggested.replace(/[^A-Za-z0-9._-]/g, '-'), validate: validateCloudName });
    const file = await chooseTargetFile();
    addCloudEntry(file, name, entry);
    const secretKey = credentialSecretKey(entry.auth as Record<string, unknown>, 'password');
    if (password && secretKey) await secrets.store(secretKey, password);
    logger.info(`Added cloud "${name}" to "${file}".`);
    if (!session.cloudsFile() || session.cloudsFile() !== file) {
      void vscode.window.showInformationMessage(`Added cloud "${name}" to "${file}". That file is not the one in use: point "openstack.cloudsYamlPath" at it to use it.`);
    }
    await session.switchTo(name);
    refresh();
  }

  async function removeCloud(node?: CloudNode): Promise<void> {
    const name = await pickCloud('Remove Cloud', node);
    const file = session.cloudsFile();
    const answer = await vscode.window.showWarningMessage(
      `Remove cloud "${name}"${file ? ` from "${file}" (the file as it was is kept as "${backupPathOf(file)}")` : ''} and forget its stored password?`,
      { modal: true },
      'Remove',
    );
    if (answer !== 'Remove') return;
    const auth = file ? (readCloudEntry(file, name)?.auth as Record<string, unknown> | undefined) : undefined;
    const removed = file ? removeCloudEntry(file, name) : false;
    for (const field of ['password', 'application_credential_secret'] as const) {
      const key = auth && credentialSecretKey(auth, field);
      if (key) await secrets.delete(key);
    }
    await secrets.delete(cloudSecretKey(name)); // a secret stored before the keys were by auth_url and user
    await session.forget(name);
    if (removed) logger.info(`Removed cloud "${name}" from "${file}" (previous file kept as "${backupPathOf(file!)}").`);
    else void vscode.window.showInformationMessage(`Cloud "${name}" is not in a clouds.yaml (it may come from OS_* variables); only its stored password was forgotten.`);
    session.reset();
    refresh();
  }

  async function openConfig(): Promise<void> {
    const file = session.cloudsFile();
    if (file) {
      await vscode.window.showTextDocument(vscode.Uri.file(file));
      return;
    }
    const create = await vscode.window.showInformationMessage('No clouds.yaml was found. Add a cloud to create one?', 'Add Cloud');
    if (create) await addCloud();
  }

  return vscode.Disposable.from(
    registerCommand('openstack.clouds.add', logger, addCloud),
    registerCommand('openstack.clouds.switch', logger, async (node?: CloudNode | string) => {
      const name = await pickCloud('Switch Cloud', node);
      await session.switchTo(name);
      refresh();
    }),
    registerCommand('openstack.clouds.remove', logger, removeCloud),
    registerCommand('openstack.clouds.openConfig', logger, openConfig),
    registerCommand('openstack.clouds.refresh', logger, () => {
      session.reset();
      refresh();
    }),
  );
}
