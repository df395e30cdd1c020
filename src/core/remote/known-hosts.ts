import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TroubleshooterError } from '../errors';
import { readRegularFile } from '../local-file';

/**
 * known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed (`|1|salt|hash`)
 * host patterns, comma lists, `*`/`?` wildcards, `!` negation, `[host]:port` for non-22 ports, and the
 * `@revoked` / `@cert-authority` markers. Unknown keys are only accepted through an explicit prompt (or the
 * user's own `StrictHostKeyChecking accept-new|no`); a changed key is always refused with file and line.
 */

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (for a hashed entry: empty). */
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The key blob (base64-decoded). */
  key: Buffer;
}

/** Parses one known_hosts file; malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length < 8 || keyTypeOf(key) !== keyType) return;
    const entry: KnownHostEntry = { file, line: i + 1, marker, patterns: [], keyType, key };
    const h = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(hosts);
    if (h) entry.hashed = { salt: Buffer.from(h[1], 'base64'), hash: Buffer.from(h[2], 'base64') };
    else if (hosts.startsWith('|')) return;
    else entry.patterns = hosts.split(',').filter(Boolean);
    out.push(entry);
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\[\]]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(text);
}

/** True when the entry's host field matches `name` (negations win; hashed entries compare HMAC-SHA1). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return mac.equals(entry.hashed.hash);
  }
  let positive = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) positive = true;
  }
  return positive;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`…). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > 64 || blob.length < 4 + len) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` + base64 of the SHA-256 of the key blob, without padding. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A hashed host field as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

export interface HostKeyPromptRequest {
  /** The alias the user knows ("compute1"). */
  alias: string;
  /** The name looked up in known_hosts (`host` or `[host]:port`, or HostKeyAlias). */
  name: string;
  keyType: string;
  /** `SHA256:…` exactly as `ssh` and `ssh-keygen -lf` print it. */
  fingerprint: string;
  /** Where the key will be written on consent. */
  knownHostsFile: string;
}

/**
 * Asks the user whether to trust an unknown host key. Resolve true to accept (the key is appended to
 * `knownHostsFile`), false to refuse. The extension shows a modal with the fingerprint; the CLI asks on a TTY.
 */
export type HostKeyPrompt = (req: HostKeyPromptRequest) => Promise<boolean>;

export interface HostKeyPolicy {
  alias: string;
  hostName: string;
  port: number;
  hostKeyAlias?: string;
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'ask' | 'accept-new' | 'no';
  hashKnownHosts: boolean;
}

export type HostKeyDecision = { status: 'known'; entry: KnownHostEntry } | { status: 'added'; file: string; fingerprint: string };

async function loadFiles(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = (await readRegularFile(f, { maxBytes: 64 * 1024 * 1024 })).bytes.toString('utf8');
    } catch {
      continue;
    }
    all.push(...parseKnownHosts(text, f));
  }
  return all;
}

/** Key types known for this host, to prefer them in the handshake (as OpenSSH orders HostKeyAlgorithms). */
export async function knownKeyTypes(policy: HostKeyPolicy): Promise<string[]> {
  const name = policy.hostKeyAlias ?? knownHostName(policy.hostName, policy.port);
  const entries = await loadFiles([...policy.knownHostsFiles, ...policy.globalKnownHostsFiles]);
  return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType))];
}

/**
 * Checks a server's host key. Resolves when the key is known (or was accepted and appended); throws
 * HostKeyRevoked, HostKeyMismatch (naming file and line) or HostKeyUnknown otherwise.
 */
export async function verifyHostKey(policy: HostKeyPolicy, key: Buffer, prompt?: HostKeyPrompt): Promise<HostKeyDecision> {
  const name = policy.hostKeyAlias ?? knownHostName(policy.hostName, policy.port);
  const keyType = keyTypeOf(key);
  const fingerprint = fingerprintSha256(key);
  const subject = policy.alias;
  const entries = (await loadFiles([...policy.knownHostsFiles, ...policy.globalKnownHostsFiles]));

  // As OpenSSH loads host keys: only the lines whose pattern matches this host count, @revoked ones included.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key) && entryMatches(e, name));
  if (revoked) {
    throw new TroubleshooterError('HostKeyRevoked', `Host key of "${subject}" is marked @revoked in "${revoked.file}" line ${revoked.line}.`,
      { subject, file: revoked.file, line: revoked.line, fingerprint });
  }
  const forHost = entries.filter((e) => !e.marker && entryMatches(e, name));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  // OpenSSH 9.2 (proven by test/differential/host-key-decisions.test.ts): any key known for the host that is not
  // this one is a changed key, of the same type or not (a server offering another type could be a downgrade).
  const changed = forHost.find((e) => e.keyType === keyType) ?? forHost[0];
  if (changed) {
    throw new TroubleshooterError('HostKeyMismatch',
      `Host key of "${subject}" changed (${fingerprint}); it does not match "${changed.file}" line ${changed.line}.`,
      { subject, file: changed.file, line: changed.line, fingerprint, keyType });
  }
  // Nothing for [host]:port: ssh accepts the very same key recorded under the bare host name (a different one there
  // does not count as changed).
  if (!policy.hostKeyAlias && policy.port !== 22) {
    const bare = entries.find((e) => !e.marker && entryMatches(e, knownHostName(policy.hostName, 22)) && e.key.equals(key));
    if (bare) return { status: 'known', entry: bare };
  }
  const caKnown = entries.some((e) => e.marker === 'cert-authority' && entryMatches(e, name));
  const target = policy.knownHostsFiles[0];
  const unknown = (why: string) => new TroubleshooterError('HostKeyUnknown',
    `Host key of "${subject}" is not in known_hosts (${keyType} ${fingerprint})${why}.`,
    { subject, fingerprint, keyType, name, certAuthorityKnown: caKnown });

  if (!target) throw unknown('; UserKnownHostsFile is none');
  let accept: boolean;
  switch (policy.strictHostKeyChecking) {
    case 'yes':
      throw unknown(' and StrictHostKeyChecking is yes');
    case 'accept-new':
    case 'no':
      accept = true; // the user's own ssh config says so, as OpenSSH does
      break;
    case 'ask':
    default:
      if (!prompt) throw unknown('; verify it with "ssh-keyscan" or connect once with ssh');
      accept = await prompt({ alias: subject, name, keyType, fingerprint, knownHostsFile: target });
      if (!accept) throw unknown('; it was not accepted');
  }
  await appendKnownHost(target, name, key, policy.hashKnownHosts);
  return { status: 'added', file: target, fingerprint };
}

/** Appends `name keytype base64` (hashed when asked) to a known_hosts file, creating it 0600 in a 0700 folder. */
export async function appendKnownHost(file: string, name: string, key: Buffer, hash: boolean): Promise<void> {
  const host = hash ? hashHostName(name) : name;
  const fresh = !existsSync(file);
  if (fresh) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  if (!fresh) {
    const cur = (await readRegularFile(file, { maxBytes: 64 * 1024 * 1024 })).bytes;
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  }
  await appendFile(file, `${prefix}${host} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
  if (fresh) await chmod(file, 0o600);
}
