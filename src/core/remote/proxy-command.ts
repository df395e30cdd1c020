import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { TroubleshooterError } from '../errors';
import { logCall, nullLogger, type Logger } from '../log';
import type { SshTarget } from './ssh-config';

/**
 * ProxyCommand as OpenSSH runs it (sshconnect.c `ssh_proxy_connect`): the command line from the user's own ssh
 * config, its `%` tokens expanded, run as `exec <command>` by the user's shell (`$SHELL`, else /bin/sh), and its
 * stdin/stdout become the SSH transport (ssh2's `sock`). stderr is kept (its end) for the error message.
 *
 * Why a shell here although we never build shell strings from input elsewhere: the command is the user's own, written
 * for a shell (`ProxyCommand ssh -W %h:%p gw`, `sh -c "…"`, pipes); running it any other way would not be what ssh
 * does. The risk is in the substituted values: `%h`, `%n`, `%r` can come from a host map fed by the OpenStack API (a
 * hypervisor's name). OpenSSH pastes them raw; we paste them raw too (so quoting the user wrote keeps its meaning),
 * but only after checking that they hold nothing a shell treats specially: a host name or address, a user name, a
 * port number. A value that fails is refused (InvalidInput), never quoted differently from what ssh would run.
 *
 * Lifetime: the process is the connection. It is ended (SIGTERM to its process group) when the transport is
 * destroyed (the handshake's deadline, a failed connect, `pool.dispose()`), and 2 s after its stdin was closed when a
 * connection ends normally (eviction, idle close). Not `runLocal`: that runs a command to completion; this process is a
 * two-way byte stream for as long as the connection lives, so it has no deadline of its own (the connect has one).
 */

const SAFE_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]?$/;
const SAFE_USER = /^[A-Za-z0-9._][A-Za-z0-9._@-]*$/;

function safe(kind: 'host' | 'user', value: string, alias: string): string {
  if ((kind === 'host' ? SAFE_HOST : SAFE_USER).test(value) && value.length <= 253) return value;
  throw new TroubleshooterError('InvalidInput',
    `The ${kind === 'host' ? 'host name' : 'user name'} for the ProxyCommand of "${alias}" has characters a shell would interpret: "${value}".`, { subject: alias });
}

/**
 * The ProxyCommand line as OpenSSH 9.2 expands it: `%h` (the HostName), `%p`, `%r`, `%n` (the name typed), `%k`
 * (HostKeyAlias, else the name typed), `%%`, and `${VAR}` from the environment; any other token is refused (ssh
 * refuses it too: "unknown key"). Values pasted into the line are checked first (see the header).
 */
export function expandProxyCommand(target: Pick<SshTarget, 'alias' | 'hostName' | 'port' | 'user' | 'proxyCommand' | 'hostKeyAlias'>, env: NodeJS.ProcessEnv = process.env): string {
  const cmd = target.proxyCommand;
  if (!cmd) throw new TroubleshooterError('InvalidInput', `"${target.alias}" has no ProxyCommand.`, { subject: target.alias });
  return cmd.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|%(.)/g, (m, name: string | undefined, c: string | undefined) => {
    if (name !== undefined) {
      const v = env[name];
      if (v === undefined) throw new TroubleshooterError('ConfigInvalid', `Environment variable "${name}" used in the ProxyCommand of "${target.alias}" is not set.`, { subject: target.alias });
      return v;
    }
    switch (c) {
      case '%': return '%';
      case 'h': return safe('host', target.hostName, target.alias);
      case 'n': return safe('host', target.alias, target.alias);
      case 'k': return safe('host', target.hostKeyAlias ?? target.alias, target.alias);
      case 'p': return String(target.port);
      case 'r': return safe('user', target.user, target.alias);
      default:
        throw new TroubleshooterError('ConfigInvalid', `Unknown token "${m}" in the ProxyCommand of "${target.alias}" (ssh accepts %h %p %r %n %k %%).`, { subject: target.alias });
    }
  });
}

export interface ProxyCommandOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * Starts the ProxyCommand of a target and returns its stdio as one Duplex for ssh2's `sock`. Destroying the Duplex
 * ends the process; the process exiting (or failing to start) ends the Duplex with an error naming the command's
 * exit code and the end of its stderr. The caller's connect deadline covers the whole handshake over it.
 */
export function spawnProxyCommand(target: SshTarget, o: ProxyCommandOptions): Duplex {
  const env = o.env ?? process.env;
  const line = expandProxyCommand(target, env);
  const shell = env.SHELL || '/bin/sh';
  const started = performance.now();
  const what = `proxy ${target.alias}: ${line}`;
  const child = spawn(shell, ['-c', `exec ${line}`], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
  let stderr = '';
  let ended = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  };
  const sock = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (!child.stdin.writable) return cb(new TroubleshooterError('ConnectionLost', `The ProxyCommand of "${target.alias}" has ended.`, { subject: target.alias }));
      child.stdin.write(chunk, (e) => cb(e ?? null));
    },
    final(cb) {
      // The session is over: EOF first (`ssh -W` and nc leave on it), the process group a moment later if it stays.
      child.stdin.end();
      setTimeout(kill, 2000).unref();
      cb();
    },
    destroy(err, cb) {
      kill();
      cb(err);
    },
  });
  child.stdout.on('data', (d: Buffer) => {
    if (!sock.push(d)) child.stdout.pause();
  });
  // EOF is passed on when the process has exited (so a failing proxy's exit code and stderr come first), or half a
  // second after its stdout closed while it lives on.
  let eofTimer: NodeJS.Timeout | undefined;
  child.stdout.on('end', () => {
    eofTimer = setTimeout(() => {
      if (!ended) sock.push(null);
    }, 500);
    eofTimer.unref();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  child.stdin.on('error', () => { /* the exit handler reports why */ });
  child.on('error', (e) => {
    if (ended) return;
    ended = true;
    const err = new TroubleshooterError('HostUnreachable', `Cannot start the ProxyCommand of "${target.alias}" with "${shell}": ${e.message}.`, { subject: target.alias }, { cause: e });
    logCall(o.logger ?? nullLogger, what, started, err);
    sock.destroy(err);
  });
  child.on('close', (code, signal) => { // after its stdout and stderr have ended: no byte is cut off
    if (eofTimer) clearTimeout(eofTimer);
    if (ended) return;
    ended = true;
    const tail = stderr.trim().split('\n').slice(-3).join(' / ');
    if (code === 0 && signal === null) {
      logCall(o.logger ?? nullLogger, what, started);
      sock.push(null);
      return;
    }
    const err = new TroubleshooterError('HostUnreachable',
      `The ProxyCommand of "${target.alias}" exited (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}.`, { subject: target.alias });
    logCall(o.logger ?? nullLogger, what, started, err);
    sock.destroy(err);
  });
  if (o.signal) {
    if (o.signal.aborted) sock.destroy(new TroubleshooterError('Cancelled', `Connecting to "${target.alias}" was cancelled.`, { subject: target.alias }));
    else o.signal.addEventListener('abort', () => sock.destroy(new TroubleshooterError('Cancelled', `Connecting to "${target.alias}" was cancelled.`, { subject: target.alias })), { once: true });
  }
  return sock;
}
