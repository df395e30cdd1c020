import * as vscode from 'vscode';

const INDEX_KEY = 'openstack.secrets.index';

/**
 * Secrets (cloud passwords, key passphrases, application-credential secrets) live only in SecretStorage.
 * An index of the keys we stored lets "Forget stored credentials" remove them all.
 */
export class Secrets {
  constructor(private readonly storage: vscode.SecretStorage, private readonly state: vscode.Memento) {}

  get(key: string): Thenable<string | undefined> {
    return this.storage.get(key);
  }

  async store(key: string, value: string): Promise<void> {
    await this.storage.store(key, value);
    const index = new Set(this.state.get<string[]>(INDEX_KEY, []));
    index.add(key);
    await this.state.update(INDEX_KEY, [...index]);
  }

  async delete(key: string): Promise<void> {
    await this.storage.delete(key);
    const index = new Set(this.state.get<string[]>(INDEX_KEY, []));
    index.delete(key);
    await this.state.update(INDEX_KEY, [...index]);
  }

  /** Removes every stored secret; returns how many. */
  async forgetAll(): Promise<number> {
    const keys = this.state.get<string[]>(INDEX_KEY, []);
    for (const k of keys) await this.storage.delete(k);
    await this.state.update(INDEX_KEY, []);
    return keys.length;
  }
}
