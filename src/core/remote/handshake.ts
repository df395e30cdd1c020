import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type AnyAuthMethod, type ConnectConfig } from 'ssh2';
import { TroubleshooterError } from '../errors';
import type { Logger } from '../log';
import { FilteredAgent, publicKeysOf, type KeyCache, type PassphraseProvider } from './auth';
import { PooledConnection } from './connection';
import { classifySshError } from './errors';
import { knownKeyTypes, verifyHostKey, type HostKeyPrompt } from './known-hosts';
import type { SshTarget } from './ssh-config';

/**
 * The SSH handshake of one pooled connection (pool.ts `connect` calls it, after opening the ProxyJump tunnel):
 * host key check against known_hosts (prompting when allowed), authentication in OpenSSH's order, and a connect
 * deadline that pauses while a prompt is open. The resulting connection is registered in the pool's map and evicted
 * through the pool when it errors or closes.
 */
export interface HandshakeContext {
  log: Logger;
  keys: KeyCache;
  passphrase?: PassphraseProvider;
  hostKeyPrompt?: HostKeyPrompt;
  connectTimeoutMs: number;
  promptTimeoutMs: number;
  keepaliveIntervalMs: number;
  maxChannels: number;
  /** The pool's live connections by target key. */
  conns: Map<string, PooledConnection>;
  evict(conn: PooledConnection, reason?: TroubleshooterError): void;
}

/** A host key algorithm list with the types known for the host first (OpenSSH orders HostKeyAlgorithms so). */
const HOST_KEY_ALGS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) {
    if (t === 'ssh-rsa') first.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else if (HOST_KEY_ALGS.includes(t)) first.push(t);
  }
  return [...new Set([...first, ...HOST_KEY_ALGS])];
}

export function handshake(ctx: HandshakeContext, target: SshTarget, sock: Duplex | undefined, hop: PooledConnection | undefined): Promise<PooledConnection> {
  return new Promise<PooledConnection>((resolve, reject) => {
    const client = new Client();
    const timeoutMs = target.connectTimeoutMs || ctx.connectTimeoutMs;
    let settled = false;
    let failure: TroubleshooterError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let remaining = timeoutMs;
    let armedAt = 0;
    // how far it got, for a timeout that says where it stalled
    let tcpConnected = false;
    let handshaken = false;
    /** ssh2 sets `_remoteVer` when the server's identification line ("SSH-2.0-…") has arrived; no event says so. */
    const sawBanner = () => (client as unknown as { _remoteVer?: string })._remoteVer !== undefined;
    const stalled = (): string => {
      const s = Math.round(timeoutMs / 1000);
      if (!tcpConnected) return `Connecting to "${target.alias}" did not finish within ${s} s.`;
      if (!sawBanner()) return `"${target.alias}" accepted the connection but sent no SSH banner within ${s} s (a frozen host or something that is not sshd).`;
      if (!handshaken) return `"${target.alias}" sent its SSH banner but stalled in the key exchange; no handshake within ${s} s.`;
      return `Logging in to "${target.alias}" did not finish within ${s} s (the server stalled during authentication).`;
    };
    const arm = () => {
      armedAt = Date.now();
      timer = setTimeout(() => fail(new TroubleshooterError('Timeout', stalled(), { subject: target.alias })), remaining);
    };
    const disarm = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      remaining = Math.max(1, remaining - (Date.now() - armedAt));
    };
    /** Prompts stop the connect clock (a user reading a fingerprint is not a slow server). */
    const pause = async <T>(p: () => Promise<T>): Promise<T> => {
      disarm();
      const backstop = setTimeout(() => fail(new TroubleshooterError('Timeout', `No answer to the prompt for "${target.alias}".`, { subject: target.alias })), ctx.promptTimeoutMs);
      try {
        return await p();
      } finally {
        clearTimeout(backstop);
        if (!settled) arm();
      }
    };
    const fail = (e: TroubleshooterError) => {
      failure ??= e;
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (hop) hop.active--;
      try { client.end(); } catch { /* closed */ }
      setTimeout(() => client.destroy(), 200).unref();
      reject(e);
    };
    arm();
    // A transport of our own (a ProxyCommand's stdio) that fails says why at once, even before ssh2 listens to it.
    sock?.once('error', (e: Error) => {
      if (!settled) fail(e instanceof TroubleshooterError ? e : new TroubleshooterError('ConnectionLost', `The transport to "${target.alias}" failed: ${e.message}.`, { subject: target.alias }, { cause: e }));
    });

    // Authentication, in OpenSSH's order: agent (filtered under IdentitiesOnly), then identity files.
    const methods: (() => Promise<[AnyAuthMethod, string] | undefined>)[] = [];
    let tried = 'none';
    const agentSock = target.agentSocket;
    if (agentSock && existsSync(agentSock)) {
      methods.push(async () => {
        if (!target.identitiesOnly) return [{ type: 'agent', username: target.user, agent: agentSock }, 'agent'];
        const allowed = await publicKeysOf(target.identityFiles);
        return allowed.size > 0 ? [{ type: 'agent', username: target.user, agent: new FilteredAgent(agentSock, allowed) }, 'agent'] : undefined;
      });
    }
    for (const file of target.identityFiles) {
      methods.push(async () => {
        const key = await ctx.keys.load(file, target.alias, ctx.passphrase, pause);
        return key ? [{ type: 'publickey', username: target.user, key }, `publickey ${file}`] : undefined;
      });
    }
    const authHandler = (_left: unknown, _partial: unknown, next: (m: AnyAuthMethod | false) => void) => {
      void (async () => {
        while (methods.length > 0) {
          const m = await methods.shift()!();
          if (m) {
            tried = m[1];
            return next(m[0]);
          }
        }
        next(false);
      })().catch((e: unknown) => {
        fail(classifySshError(e, { subject: target.alias, phase: 'authentication' }));
        next(false);
      });
    };

    const policy = {
      alias: target.alias,
      hostName: target.hostName,
      port: target.port,
      hostKeyAlias: target.hostKeyAlias,
      knownHostsFiles: target.knownHostsFiles,
      globalKnownHostsFiles: target.globalKnownHostsFiles,
      strictHostKeyChecking: target.strictHostKeyChecking,
      hashKnownHosts: target.hashKnownHosts,
    };
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      verifyHostKey(policy, key, ctx.hostKeyPrompt ? (req) => pause(() => ctx.hostKeyPrompt!(req)) : undefined)
        .then((d) => {
          if (d.status === 'added') ctx.log.warn(`ssh ${target.alias}: host key ${d.fingerprint} added to "${d.file}"`);
          verify(true);
        })
        .catch((e: unknown) => {
          fail(classifySshError(e, { subject: target.alias, phase: 'host key check' }));
          verify(false);
        });
    };

    client.once('connect', () => { tcpConnected = true; });
    client.once('handshake', () => { handshaken = true; });
    client.once('ready', () => {
      if (settled) { client.end(); return; }
      settled = true;
      if (timer) clearTimeout(timer);
      const conn = new PooledConnection(target, client, tried, ctx.maxChannels);
      ctx.conns.set(target.key, conn);
      client.on('close', () => {
        if (hop) hop.active--;
        ctx.evict(conn, conn.closeReason ?? new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost.`, { subject: target.alias }));
      });
      resolve(conn);
    });
    client.on('error', (e) => {
      const err = classifySshError(failure ?? e, { subject: target.alias, phase: 'connect' });
      if (!settled) fail(err);
      else {
        const live = ctx.conns.get(target.key);
        if (live && live.client === client) {
          live.closeReason = err;
          ctx.evict(live, err);
        }
      }
    });
    client.once('close', () => {
      if (!settled) fail(failure ?? new TroubleshooterError('ConnectionLost', `"${target.alias}" closed the connection during the handshake.`, { subject: target.alias }));
    });

    void knownKeyTypes(policy).catch(() => []).then((types) => {
      if (settled) return;
      const cfg: ConnectConfig = {
        host: target.hostName,
        port: target.port,
        username: target.user,
        sock: sock as ConnectConfig['sock'],
        readyTimeout: 0, // our own deadline (paused during prompts) applies
        keepaliveInterval: target.serverAliveIntervalMs || ctx.keepaliveIntervalMs,
        keepaliveCountMax: target.serverAliveCountMax,
        hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
        authHandler: authHandler as ConnectConfig['authHandler'],
        algorithms: { serverHostKey: hostKeyAlgorithms(types) as never },
      };
      try {
        client.connect(cfg);
      } catch (e) {
        fail(classifySshError(e, { subject: target.alias, phase: 'connect' }));
      }
    });
  });
}
