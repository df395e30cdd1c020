import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCancelled, isTroubleshooterError, type TroubleshooterError } from '../../../src/core/errors';
import { textCommand, type RemoteCommand } from '../../../src/core/remote/command';
import { lines, run, stream } from '../../../src/core/remote/exec';
import { MemoryLogger } from '../../../src/core/log';
import { fingerprintSha256, type HostKeyPromptRequest } from '../../../src/core/remote/known-hosts';
import type { SshPool } from '../../../src/core/remote/pool';
import { labHostKey, labSsh, variant } from './lab-ssh';

describe('ssh to the lab hosts (integration)', function () {
  this.timeout(120_000);
  const lab = labSsh();
  let tmp: string;
  const pools: { dispose(): void }[] = [];
  const loggers: MemoryLogger[] = [];
  const newPool = (o: Parameters<typeof lab.pool>[0] = {}) => {
    const p = lab.pool(o);
    pools.push(p.pool);
    loggers.push(p.logger);
    return p;
  };

  before(() => { tmp = mkdtempSync(join(tmpdir(), 'ost-ssh-it-')); });
  after(() => {
    for (const p of pools) p.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('key auth from the ssh config: runs a command on every lab host, logged once per call', async () => {
    const { pool, logger } = newPool();
    for (const h of ['controller', 'compute1', 'compute2', 'network1']) {
      const r = await run(pool, h, textCommand(['hostname']));
      assert.equal(r.value.trim(), h);
      assert.equal(r.exitCode, 0);
    }
    assert.match(logger.lines.join('\n'), /info > ssh connect compute1 root@198\.18\.0\.11:22 \(publickey .*id_ed25519\) \[\d+ms\]/);
    assert.equal(logger.lines.filter((l) => /> ssh compute1 hostname \[\d+ms\]$/.test(l)).length, 1);
    assert.equal(pool.size, 4);
  });

  it('agent auth through SSH_AUTH_SOCK (own ssh-agent with the lab key), also filtered under IdentitiesOnly', async () => {
    const sock = join(tmp, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        try { execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' }); break; } catch (e) {
          if ((e as { status?: number }).status === 1) break; // agent up, no identities
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      execFileSync('ssh-add', [lab.key], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const base = lab.resolver.resolve('compute1');
      // no key file at all: only the agent can authenticate
      const agentOnly = variant(base, { identityFiles: [join(tmp, 'no-such-key')], identitiesOnly: false, agentSocket: sock }, 'agent');
      const { pool, logger } = newPool();
      assert.equal((await run(pool, agentOnly, textCommand(['hostname']))).value.trim(), 'compute1');
      assert.match(logger.lines.join('\n'), /ssh connect compute1 .*\(agent\)/);
      // IdentitiesOnly yes + IdentityFile: the agent offers only that key (its .pub), and it is used first
      const filtered = variant(base, { agentSocket: sock }, 'agent-filtered');
      assert.equal((await run(pool, filtered, textCommand(['hostname']))).value.trim(), 'compute1');
      assert.equal(logger.lines.filter((l) => /ssh connect compute1 .*\(agent\)/.test(l)).length, 2);
    } finally {
      agent.kill();
    }
  });

  it('ProxyJump: reaches compute2 on its controller-only address through the pooled controller hop', async () => {
    const { pool, logger } = newPool();
    const r = await run(pool, 'compute2-jump', textCommand(['sh', '-c', 'hostname; ip -4 -o addr show']));
    assert.match(r.stdout, /^compute2\n/);
    assert.match(r.stdout, /inet 198\.19\.0\.2\//);
    assert.equal(pool.size, 2, 'the hop is a pooled connection too');
    assert.match(logger.lines.join('\n'), /ssh connect compute2-jump root@198\.19\.0\.2:22 via controller/);
    // the hop is real: compute2's sshd sees the session coming from the controller's side of the mgmt link
    const peer = await run(pool, 'compute2-jump', textCommand(['sh', '-c', 'echo "$SSH_CONNECTION"']));
    assert.match(peer.stdout, /^198\.19\.0\.1 \d+ 198\.19\.0\.2 22/);
    // a command on the controller reuses the hop connection
    await run(pool, 'controller', textCommand(['true']));
    assert.equal(pool.size, 2);
  });

  it('unknown host key: the prompt shows the OpenSSH fingerprint; consent appends, refusal fails and leaves the file alone', async () => {
    const kh = join(tmp, 'kh-unknown');
    writeFileSync(kh, readFileSync(lab.knownHosts, 'utf8').split('\n').filter((l) => !l.startsWith('compute1,')).join('\n'));
    const target = variant(lab.resolver.resolve('compute1'), { knownHostsFiles: [kh], strictHostKeyChecking: 'ask' }, 'kh');
    const expected = fingerprintSha256(Buffer.from(labHostKey(lab.knownHosts, 'compute1').b64, 'base64'));
    const before = readFileSync(kh, 'utf8');

    const asked: HostKeyPromptRequest[] = [];
    const refusing = newPool({ hostKeyPrompt: async (r) => { asked.push(r); return false; } }).pool;
    await assert.rejects(run(refusing, target, textCommand(['true'])), (e: TroubleshooterError) => {
      assert.equal(e.code, 'HostKeyUnknown');
      assert.ok(e.message.includes(expected), e.message);
      return true;
    });
    assert.equal(readFileSync(kh, 'utf8'), before);
    assert.equal(asked[0].fingerprint, expected);

    const consenting = newPool({ hostKeyPrompt: async (r) => { asked.push(r); return true; } }).pool;
    assert.equal((await run(consenting, target, textCommand(['hostname']))).value.trim(), 'compute1');
    assert.equal(asked.length, 2);
    assert.equal(asked[1].name, '198.18.0.11');
    assert.match(execFileSync('ssh-keygen', ['-F', '198.18.0.11', '-f', kh], { encoding: 'utf8' }), /ssh-ed25519/);
    // and plain OpenSSH accepts the file we wrote
    const ssh = execFileSync('ssh', ['-F', lab.configFile, '-o', `UserKnownHostsFile=${kh}`, 'compute1', 'hostname'], { encoding: 'utf8' });
    assert.equal(ssh.trim(), 'compute1');
  });

  it('no prompt and StrictHostKeyChecking yes (the lab config): unknown key → HostKeyUnknown', async () => {
    const kh = join(tmp, 'kh-empty');
    writeFileSync(kh, '');
    const target = variant(lab.resolver.resolve('compute1'), { knownHostsFiles: [kh] }, 'kh-strict');
    await assert.rejects(run(newPool({ hostKeyPrompt: async () => true }).pool, target, textCommand(['true'])),
      (e) => isTroubleshooterError(e, 'HostKeyUnknown') && /StrictHostKeyChecking is yes/.test(e.message));
  });

  it('changed host key is refused, naming the known_hosts file and line', async () => {
    const kh = join(tmp, 'kh-changed');
    const other = labHostKey(lab.knownHosts, 'controller');
    writeFileSync(kh, `# stale entry after a reinstall\n198.18.0.11 ${other.type} ${other.b64}\n`);
    const target = variant(lab.resolver.resolve('compute1'), { knownHostsFiles: [kh], strictHostKeyChecking: 'ask' }, 'kh-changed');
    let prompted = false;
    await assert.rejects(run(newPool({ hostKeyPrompt: async () => { prompted = true; return true; } }).pool, target, textCommand(['true'])),
      (e: TroubleshooterError) => {
        assert.equal(e.code, 'HostKeyMismatch');
        assert.ok(e.message.includes(`"${kh}" line 2`), e.message);
        assert.equal(e.details.line, 2);
        return true;
      });
    assert.equal(prompted, false, 'a changed key is never offered for acceptance');
  });

  it('fifty parallel commands to one host queue (8 channels: up to 6 shell workers, the rest for streams and SFTP) and all succeed', async () => {
    const { pool } = newPool();
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      run(pool, 'compute1', textCommand(['sh', '-c', `sleep 0.2; echo "$1"`, 'sh', String(i)]))));
    const elapsed = Date.now() - started;
    assert.deepEqual(results.map((r) => r.value.trim()), Array.from({ length: 50 }, (_, i) => String(i)));
    assert.equal(pool.size, 1, 'one connection');
    assert.ok(elapsed >= Math.ceil(50 / 8) * 200 * 0.9, `queued (${elapsed} ms for at least 7 waves of 200 ms)`);
    const conn = await pool.connection('compute1');
    assert.ok(conn.workers.length >= 1 && conn.workers.length <= 6, `${conn.workers.length} shell workers`);
  });

  it('shell workers: a job cannot read or end its worker, output framing is binary-safe, the worker is reused', async () => {
    const { pool, logger } = newPool();
    assert.equal((await run(pool, 'compute1', textCommand(['cat']))).stdout, '', 'stdin is /dev/null, not the worker\'s job stream');
    await assert.rejects(run(pool, 'compute1', textCommand(['exit', '3'])), (e) => isTroubleshooterError(e, 'CommandFailed'));
    await assert.rejects(run(pool, 'compute1', textCommand(['sh', '-c', 'kill -9 $PPID 2>/dev/null; exit 5'])), (e) => isTroubleshooterError(e, 'CommandFailed') || isTroubleshooterError(e, 'ConnectionLost'));
    const bin = await run(pool, 'compute1', textCommand(['printf', 'a\\000b E 0\\n']));
    assert.deepEqual([...bin.stdoutBytes], [0x61, 0, 0x62, 0x20, 0x45, 0x20, 0x30, 0x0a]);
    const err = await run(pool, 'compute1', { ...textCommand(['sh', '-c', 'printf partial >&2; echo out']), okExitCodes: [0] });
    assert.equal(err.stderr, 'partial');
    assert.equal(err.stdout, 'out\n');
    for (let i = 0; i < 5; i++) assert.equal((await run(pool, 'compute1', textCommand(['echo', String(i)]))).value, `${i}\n`);
    assert.equal(logger.lines.filter((l) => /ssh connect compute1/.test(l)).length, 1);
    const conn = await pool.connection('compute1');
    assert.ok(conn.workers.filter((w) => !w.dead).length <= 2, 'sequential commands reuse one worker');
  });

  it('sudo: -n works for root, and a password prompt becomes SudoPasswordRequired (real sudo on the host)', async () => {
    const { pool } = newPool();
    const asRoot = await run(pool, 'compute1', textCommand(['sudo', '-n', '--', 'id', '-u']));
    assert.equal(asRoot.value.trim(), '0');
    const sudoCmd: RemoteCommand<string> = { ...textCommand(['id', '-un']), sudo: true };
    assert.equal((await run(pool, 'compute1', sudoCmd)).value.trim(), 'root');
    // a user without sudo rights: sudo -n refuses with the real "a password is required"
    const nobody: RemoteCommand<string> = { ...textCommand(['su', '-s', '/bin/sh', 'nobody', '-c', 'sudo -n -- id -u']), sudo: true };
    await assert.rejects(run(pool, 'compute1', nobody), (e: TroubleshooterError) => {
      assert.equal(e.code, 'SudoPasswordRequired');
      assert.match(String(e.details.stderr), /a password is required/);
      assert.match(e.message, /^sudo on "compute1" needs a password/);
      return true;
    });
  });

  it('a failing command: CommandFailed with exit code and stderr; okExitCodes for grep', async () => {
    const { pool } = newPool();
    await assert.rejects(run(pool, 'compute1', textCommand(['ls', '/nonexistent-ost'])), (e: TroubleshooterError) =>
      e.code === 'CommandFailed' && e.details.exitCode === 2 && /No such file/.test(String(e.details.stderr)) && /"ls" failed on "compute1" with exit code 2/.test(e.message));
    const grep = await run(pool, 'compute1', { ...textCommand(['grep', '-F', 'no-such-line-ost', '/etc/hostname']), okExitCodes: [0, 1] });
    assert.equal(grep.exitCode, 1);
    await assert.rejects(run(pool, 'compute1', textCommand(['no-such-program-ost'])), (e) => isTroubleshooterError(e, 'CommandFailed') && e.details.exitCode === 127);
  });

  it('a command timeout ends the remote process too', async () => {
    const { pool } = newPool();
    const marker = `/tmp/ost-timeout-${process.pid}-${Date.now()}`;
    await assert.rejects(run(pool, 'compute1', { ...textCommand(['sh', '-c', `sleep 60; echo ${marker}`]), timeoutMs: 1000 }),
      (e) => isTroubleshooterError(e, 'Timeout'));
    await new Promise((r) => setTimeout(r, 500));
    const ps = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[s]leep 60; echo ${marker}`]), okExitCodes: [0, 1] });
    assert.equal(ps.stdout, '');
  });

  describe('streaming and cancel', () => {
    /** Every line of a stream on compute1. */
    const collectLines = async (pool: SshPool, argv: string[]) => {
      const out: string[] = [];
      for await (const l of lines(pool, 'compute1', argv)) out.push(l);
      return out;
    };

    it('without the watchdog, a quiet remote process survives a closed channel (the problem)', async () => {
      const { pool } = newPool();
      const marker = `ost-raw-${process.pid}-${Date.now()}`;
      const { channel } = await pool.exec('compute1', `sh -c 'echo started; while :; do sleep 1; done' ${marker}`);
      await new Promise((r) => channel.once('data', r));
      channel.close();
      await new Promise((r) => setTimeout(r, 1500));
      const ps = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[w]hile :; do sleep 1; done ${marker}`]), okExitCodes: [0, 1] });
      assert.match(ps.stdout, /\d+/, 'the orphan is still running');
      await run(pool, 'compute1', { ...textCommand(['pkill', '-f', `[w]hile :; do sleep 1; done ${marker}`]), okExitCodes: [0, 1] });
    });

    it('with the watchdog, cancel ends the same quiet process', async () => {
      const { pool } = newPool();
      const marker = `ost-wd-${process.pid}-${Date.now()}`;
      const ctrl = new AbortController();
      const done = stream(pool, 'compute1', ['sh', '-c', 'echo started; while :; do sleep 1; done', marker], { signal: ctrl.signal, onLine: () => ctrl.abort() });
      await assert.rejects(done, (e) => isCancelled(e));
      await new Promise((r) => setTimeout(r, 1000));
      const ps = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[w]hile :; do sleep 1; done ${marker}`]), okExitCodes: [0, 1] });
      assert.equal(ps.stdout, '');
    });

    it('cancel closes the channel AND ends the remote tail -F (checked in the host\'s process list)', async () => {
      const { pool, logger } = newPool();
      const file = `/tmp/ost-tail-${process.pid}-${Date.now()}.log`;
      await run(pool, 'compute1', textCommand(['sh', '-c', `printf 'one\\ntwo\\n' > ${file}`]));
      const ctrl = new AbortController();
      const got: string[] = [];
      const done: Promise<unknown> = stream(pool, 'compute1', ['tail', '-n', '+1', '-F', file], {
        signal: ctrl.signal,
        onLine: (l) => {
          got.push(l);
          if (got.length === 3) ctrl.abort();
        },
      });
      done.catch(() => undefined); // asserted below
      let running = '';
      for (let i = 0; i < 50 && !running; i++) {
        await new Promise((r) => setTimeout(r, 100));
        running = (await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `^tail -n \\+1 -F ${file}`]), okExitCodes: [0, 1] })).stdout;
      }
      assert.match(running, /\d+/, 'tail runs while streaming');
      await run(pool, 'compute1', textCommand(['sh', '-c', `echo three >> ${file}`]));
      await assert.rejects(done, (e) => isCancelled(e));
      assert.deepEqual(got, ['one', 'two', 'three']);
      await new Promise((r) => setTimeout(r, 500));
      const after = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[t]ail -n .1 -F ${file}`]), okExitCodes: [0, 1] });
      assert.equal(after.stdout, '', 'no remote process left');
      assert.match(logger.lines.join('\n'), /> ssh compute1 tail -n \+1 -F .* \(stream\) \[\d+ms\] failed: Streaming from "compute1" was cancelled\./);
    });

    it('breaking out of the async iterator ends the remote process too', async () => {
      const { pool } = newPool();
      const file = `/tmp/ost-tail-break-${process.pid}-${Date.now()}.log`;
      await run(pool, 'compute1', textCommand(['sh', '-c', `echo a > ${file}`]));
      for await (const l of lines(pool, 'compute1', ['tail', '-F', file])) {
        assert.equal(l, 'a');
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[t]ail -F ${file}`]), okExitCodes: [0, 1] });
      assert.equal(after.stdout, '');
    });

    it('streams run in a started shell worker (no new session per search), binary-safe, and cancel keeps the worker', async () => {
      const { pool } = newPool();
      const collect = (argv: string[]) => collectLines(pool, argv);
      // the job's parent is the worker's sh: the same one for consecutive streams
      const [first] = await collect(['sh', '-c', 'echo "$PPID"']);
      const [second] = await collect(['sh', '-c', 'echo "$PPID"']);
      assert.match(first, /^\d+$/);
      assert.equal(second, first, 'the second stream ran in the same started shell');
      // bytes a marker could be confused with, NUL, no final newline
      assert.deepEqual(await collect(['printf', 'x\\000y\\nE 0\\n E \\nlast']), ['x\0y', 'E 0', ' E ', 'last']);
      // cancel a tail -F in the worker: the tail ends, and the worker is used again afterwards
      const file = `/tmp/ost-wtail-${process.pid}-${Date.now()}.log`;
      await run(pool, 'compute1', textCommand(['sh', '-c', `echo one > ${file}`]));
      const ctrl = new AbortController();
      await assert.rejects(stream(pool, 'compute1', ['tail', '-n', '+1', '-F', file], { signal: ctrl.signal, onLine: () => ctrl.abort() }), (e) => isCancelled(e));
      let left = 'x';
      for (let i = 0; i < 20 && left; i++) {
        await new Promise((r) => setTimeout(r, 250));
        left = (await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[t]ail -n .1 -F ${file}`]), okExitCodes: [0, 1] })).stdout;
      }
      assert.equal(left, '', 'no tail left on the host');
      const [third] = await collect(['sh', '-c', 'echo "$PPID"']);
      assert.equal(third, first, 'the worker survived the cancel');
      await run(pool, 'compute1', textCommand(['rm', '-f', file]));
    });

    it('a cancel right after the start (before any output) ends the job at once and keeps the worker', async () => {
      const { pool } = newPool();
      const collect = (argv: string[]) => collectLines(pool, argv);
      const [before] = await collect(['sh', '-c', 'echo "$PPID"']);
      const marker = `ost-wearly-${process.pid}-${Date.now()}`;
      for (const delay of [0, 20, 200]) {
        const ctrl = new AbortController();
        const t0 = Date.now();
        const done = stream(pool, 'compute1', ['sh', '-c', 'sleep 2; echo late; while :; do sleep 1; done', marker], { signal: ctrl.signal, onLine: () => {} });
        setTimeout(() => ctrl.abort(), delay);
        await assert.rejects(done, (e) => isCancelled(e));
        // the worker is handed on once its job has ended (SIGTERM: milliseconds), well before the 5 s grace that
        // would discard it; a stream started meanwhile would get a worker of its own
        const conn = await pool.connection('compute1');
        for (let i = 0; i < 40 && conn.workers.some((w) => w.busy && !w.dead); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(Date.now() - t0 < 4500, `cancel after ${delay} ms: the worker was busy for ${Date.now() - t0} ms`);
        const [again] = await collect(['sh', '-c', 'echo "$PPID"']);
        assert.equal(again, before, `cancel after ${delay} ms: the same worker runs the next stream`);
        const ps = await run(pool, 'compute1', { ...textCommand(['pgrep', '-f', `[w]hile :; do sleep 1; done ${marker}`]), okExitCodes: [0, 1] });
        assert.equal(ps.stdout, '', `cancel after ${delay} ms: nothing left on the host`);
      }
    });

    it('a lost connection ends a streamed job in a worker (its watchdog sees EOF)', async () => {
      const { pool } = newPool();
      const marker = `ost-wlost-${process.pid}-${Date.now()}`;
      const it = lines(pool, 'compute1', ['sh', '-c', 'echo started; while :; do sleep 1; done', marker]);
      assert.equal((await it.next()).value, 'started');
      const conn = await pool.connection('compute1');
      assert.ok(conn.workers.some((w) => w.streaming), 'the stream runs in a shell worker');
      conn.client.end(); // the transport goes away under the stream
      await assert.rejects((async () => { for (;;) { if ((await it.next()).done) return; } })(), (e) => isTroubleshooterError(e, 'ConnectionLost'));
      const { pool: other } = newPool();
      let left = 'x';
      for (let i = 0; i < 20 && left; i++) {
        await new Promise((r) => setTimeout(r, 250));
        left = (await run(other, 'compute1', { ...textCommand(['pgrep', '-f', `[w]hile :; do sleep 1; done ${marker}`]), okExitCodes: [0, 1] })).stdout;
      }
      assert.equal(left, '', 'no orphan left on the host');
    });

    it('long streams never starve short commands: one worker stays for run(), further streams use channels', async () => {
      const { pool } = newPool({ shellWorkers: 2 });
      const ctrl = new AbortController();
      const started: string[] = [];
      const streams = [0, 1].map((i) => stream(pool, 'compute1', ['sh', '-c', 'echo "$PPID"; while :; do sleep 1; done', `ost-starve-${i}`], {
        signal: ctrl.signal,
        onLine: (l) => { started.push(l); },
      }).catch((e: unknown) => { if (!isCancelled(e)) throw e; }));
      for (let i = 0; i < 100 && started.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(started.length, 2, 'both streams run');
      const conn = await pool.connection('compute1');
      assert.equal(conn.workers.filter((w) => w.streaming && !w.dead).length, 1, 'one stream in a worker, the other in a channel');
      const t0 = Date.now();
      assert.equal((await run(pool, 'compute1', { ...textCommand(['echo', 'short']), timeoutMs: 15_000 })).value, 'short\n');
      assert.ok(Date.now() - t0 < 15_000);
      ctrl.abort();
      await Promise.all(streams);
    });

    it('backpressure: a slow consumer pauses the channel and still gets every line in order', async () => {
      const { pool } = newPool();
      let n = 0;
      let last = 0;
      for await (const l of lines(pool, 'compute1', ['seq', '1', '20000'], { highWaterMark: 50 })) {
        const v = Number(l);
        assert.equal(v, last + 1);
        last = v;
        if (++n % 2000 === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(last, 20000);
    });
  });

  it('idle connections close and the next call reconnects transparently', async () => {
    const { pool, logger } = newPool({ idleCloseMs: 400 });
    await run(pool, 'compute1', textCommand(['true']));
    assert.equal(pool.size, 1);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(pool.size, 0);
    await run(pool, 'compute1', textCommand(['true']));
    assert.equal(logger.lines.filter((l) => /ssh connect compute1/.test(l)).length, 2);
  });

  it('never logs key material', () => {
    const body = readFileSync(lab.key, 'utf8').split('\n').filter((l) => !l.startsWith('-----') && l.length > 20);
    const all = loggers.flatMap((l) => l.lines).join('\n');
    assert.ok(all.length > 0);
    for (const b of body) assert.ok(!all.includes(b.slice(0, 20)));
  });
});
