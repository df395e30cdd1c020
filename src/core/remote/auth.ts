import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { OpenSSHAgent, utils, type ParsedKey } from 'ssh2';
import { TroubleshooterError } from '../errors';
import { readRegularFile } from '../local-file';

/**
 * Passphrases for encrypted private keys. The extension implements it over SecretStorage (ask once, keep it
 * there, forget it when it stops working); the CLI asks on its TTY or returns undefined (then auth fails
 * with a clear message). The core never stores a passphrase anywhere but in memory of the parsed key.
 */
export interface PassphraseProvider {
  /** The passphrase for `keyFile`, or undefined when the user declines. `retry`: the previous one was wrong. */
  get(req: { keyFile: string; alias: string; retry: boolean }): Promise<string | undefined>;
  /** Called after a passphrase was tried: ok → keep it; not ok → forget it. */
  settle?(keyFile: string, ok: boolean): Promise<void> | void;
}

const ENCRYPTED = /encrypted|passphrase|bad decrypt/i;

/** Parsed private keys, by path + content hash, so a reconnect never asks for the passphrase again. */
export class KeyCache {
  private readonly keys = new Map<string, ParsedKey>();

  /**
   * Loads a private key; asks `passphrase` when it is encrypted (3 tries). Returns undefined for a missing
   * or unparseable file (OpenSSH skips those too); throws AuthFailed when a passphrase is needed and not given.
   * `pause` is called around prompts so connect deadlines do not run while the user types.
   */
  async load(file: string, alias: string, passphrase: PassphraseProvider | undefined,
    pause: <T>(p: () => Promise<T>) => Promise<T>): Promise<ParsedKey | undefined> {
    if (!existsSync(file)) return undefined;
    let data: Buffer;
    try {
      data = (await readRegularFile(file, { maxBytes: 1024 * 1024 })).bytes; // a key is a few KiB
    } catch {
      return undefined; // like OpenSSH: an unreadable identity file is skipped
    }
    const cacheKey = `${file}\0${createHash('sha256').update(data).digest('hex')}`;
    const cached = this.keys.get(cacheKey);
    if (cached) return cached;
    let parsed = first(utils.parseKey(data));
    if (parsed instanceof Error) {
      if (!ENCRYPTED.test(parsed.message)) return undefined;
      if (!passphrase) {
        throw new TroubleshooterError('AuthFailed',
          `Key "${file}" is encrypted and no passphrase prompt is available; add it to ssh-agent (ssh-add) first.`, { subject: alias, keyFile: file });
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        const pass = await pause(() => passphrase.get({ keyFile: file, alias, retry: attempt > 0 }));
        if (pass === undefined) {
          throw new TroubleshooterError('AuthFailed', `No passphrase was given for key "${file}".`, { subject: alias, keyFile: file });
        }
        parsed = first(utils.parseKey(data, pass));
        const ok = !(parsed instanceof Error);
        await passphrase.settle?.(file, ok);
        if (ok) break;
      }
      if (parsed instanceof Error) {
        throw new TroubleshooterError('AuthFailed', `Wrong passphrase for key "${file}".`, { subject: alias, keyFile: file });
      }
    }
    if (!parsed.isPrivateKey()) return undefined;
    this.keys.set(cacheKey, parsed);
    return parsed;
  }
}

function first(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(k) ? k[0] : k;
}

/**
 * An agent that offers only the identities whose public key is one of `allowed` (IdentitiesOnly=yes with an
 * agent: OpenSSH uses the agent's copy of the configured keys only).
 */
export class FilteredAgent extends OpenSSHAgent {
  constructor(socketPath: string, private readonly allowed: Set<string>) {
    super(socketPath);
  }

  override getIdentities(cb: Parameters<OpenSSHAgent['getIdentities']>[0]): void {
    super.getIdentities((err, keys) => {
      if (err || !keys) return cb(err, keys);
      cb(err, keys.filter((k) => 'getPublicSSH' in k && this.allowed.has(k.getPublicSSH().toString('base64'))));
    });
  }
}

/** Public key blobs (base64) of identity files, read from `<file>.pub`, for FilteredAgent. */
export async function publicKeysOf(identityFiles: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of identityFiles) {
    try {
      const text = (await readRegularFile(`${f}.pub`, { maxBytes: 64 * 1024 })).bytes.toString('utf8');
      const b64 = text.trim().split(/\s+/)[1];
      if (b64) out.add(b64);
    } catch {
      // no .pub: that key cannot be matched in the agent
    }
  }
  return out;
}

/**
 * A passphrase prompt on the controlling terminal (the CLI). Returns undefined without a TTY, so the
 * caller fails with "Key … is encrypted …" instead of hanging.
 */
export function ttyPassphraseProvider(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): PassphraseProvider {
  return {
    async get({ keyFile, retry }) {
      if (!input.isTTY) return undefined;
      output.write(`${retry ? 'Wrong passphrase. ' : ''}Enter passphrase for key "${keyFile}": `);
      input.setRawMode(true);
      input.resume();
      try {
        return await new Promise<string | undefined>((resolve) => {
          let buf = '';
          const onData = (d: Buffer) => {
            for (const ch of d.toString('utf8')) {
              if (ch === '\r' || ch === '\n') { done(buf); return; }
              if (ch === '\u0003' || ch === '\u0004') { done(undefined); return; }
              if (ch === '\u007f') buf = buf.slice(0, -1);
              else buf += ch;
            }
          };
          const done = (v: string | undefined) => {
            input.off('data', onData);
            output.write('\n');
            resolve(v);
          };
          input.on('data', onData);
        });
      } finally {
        input.setRawMode(false);
        input.pause();
      }
    },
  };
}

/**
 * The CLI's host-key question on the controlling terminal: shows the fingerprint like ssh does and accepts only
 * a typed "yes". Without a TTY it refuses (the connection fails with HostKeyUnknown, never a silent accept).
 */
export function ttyHostKeyPrompt(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr) {
  return async (req: { alias: string; name: string; keyType: string; fingerprint: string; knownHostsFile: string }): Promise<boolean> => {
    if (!input.isTTY) return false;
    output.write(`The authenticity of host "${req.alias}" (${req.name}) can't be established.\n`
      + `${req.keyType} key fingerprint is ${req.fingerprint}.\n`
      + `Add it to "${req.knownHostsFile}" and continue connecting (yes/no)? `);
    input.resume();
    try {
      const answer = await new Promise<string>((resolve) => input.once('data', (d: Buffer) => resolve(d.toString('utf8').trim())));
      return answer === 'yes';
    } finally {
      input.pause();
    }
  };
}
