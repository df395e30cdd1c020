import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isTroubleshooterError } from '../../../src/core/errors';
import { runLocal } from '../../../src/core/local-run';
import { MemoryLogger } from '../../../src/core/log';
import { runLocalProbe } from '../../../src/core/configs/restart-pending';
import { localCommandRunner } from '../../../src/core/configs/apply-to-hosts';

/** Running (a zombie nobody reaps, as under a container's init, counts as ended). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('runLocal: the one local runner', () => {
  it('runs argv without a shell, returns exit code, stdout and stderr, and logs the call once', async () => {
    const log = new MemoryLogger();
    const r = await runLocal(['sh', '-c', 'printf "%s" "$1"; echo oops >&2; exit 3', 'sh', 'a b;$(x)'], { timeoutMs: 10_000, logger: log });
    assert.deepEqual(r, { exitCode: 3, stdout: 'a b;$(x)', stderr: 'oops\n' });
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0], /^info > local sh -c .* \[\d+ms\]$/);
  });

  it('cancel ends the whole process group (a script\'s background child too) with Cancelled', async () => {
    const ctrl = new AbortController();
    let childPid = 0;
    const p = runLocal(['sh', '-c', 'sleep 30 & echo $!; wait'], {
      timeoutMs: 10_000, signal: ctrl.signal,
      onStdout: (c) => {
        childPid = Number(c.toString().trim());
        ctrl.abort();
      },
    });
    await assert.rejects(p, (e: unknown) => isTroubleshooterError(e, 'Cancelled'));
    for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(childPid > 0 && !alive(childPid), `sleep ${childPid} outlived the cancel`);
  });

  it('a deadline gives Timeout; a missing program CommandFailed', async () => {
    await assert.rejects(runLocal(['sleep', '5'], { timeoutMs: 100 }), (e: unknown) => isTroubleshooterError(e, 'Timeout'));
    await assert.rejects(runLocal(['/nonexistent/program'], { timeoutMs: 5000 }), (e: unknown) => isTroubleshooterError(e, 'CommandFailed'));
  });

  it('the config doctor\'s local probe and host-command runner go through it', async () => {
    assert.equal(await runLocalProbe({ argv: ['echo', '42'], timeoutMs: 5000, parse: (s) => Number(s.trim()) }), 42);
    await assert.rejects(runLocalProbe({ argv: ['false'], timeoutMs: 5000, parse: (s) => s }), (e: unknown) => isTroubleshooterError(e, 'CommandFailed'));
    assert.equal(await runLocalProbe({ argv: ['false'], timeoutMs: 5000, okExitCodes: [0, 1], parse: () => 'ok' }), 'ok');
    const r = await localCommandRunner.run('local', { argv: ['sh', '-c', 'echo out; echo " err " >&2; exit 2'], description: 'test' });
    assert.deepEqual(r, { exitCode: 2, stdout: 'out\n', stderr: 'err' });
  });
});
