import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { followLogs } from '../../../src/core/logs/follow';
import { PoolHostRunner } from '../../../src/core/logs/pool-host-runner';
import { PACKAGED_DIRS } from '../../../src/core/logs/sources';
import type { LogEntry } from '../../../src/core/logs/types';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { ensureLab } from '../../support/lab';

/**
 * Follow mode on a real lab host (compute1's sshd, its own /var/log) picks up a log file created after the follow
 * started — a new service log or a file rotated in under a new name — without a reconnect, and shows each line once.
 * No OpenStack call: a request id of our own, written by us into the new file, removed afterwards.
 */
describe('logs: follow picks up new log files on a lab host (integration)', function () {
  this.timeout(120_000);
  let pool: SshPool;
  let runner: PoolHostRunner;
  const file = `/var/log/nova/ost-follow-new-${process.pid}-${Date.now()}.log`;
  const id = `req-${randomUUID()}`;

  before(() => {
    const env = ensureLab();
    const resolver = new SshConfigResolver({ configFile: env.LAB_SSH_CONFIG, env: {} });
    pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
    runner = new PoolHostRunner(pool, 'compute1');
  });
  after(async () => {
    await runner.run(['rm', '-f', file], { timeoutMs: 20_000 }).catch(() => {});
    pool.dispose();
  });

  const append = (text: string) => {
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 23);
    const line = `${stamp} 4242 INFO nova.compute.manager [None ${id} - - - - - -] ${text}`;
    return runner.run(['sh', '-c', 'printf "%s\\n" "$1" >> "$2"', 'sh', line, file], { timeoutMs: 20_000 });
  };

  it('a file created in /var/log/nova after the follow started: its matching lines arrive, once each', async () => {
    const ctrl = new AbortController();
    const got: LogEntry[] = [];
    const count = (text: string) => got.filter((e) => e.lines[0].includes(text)).length;
    const errors: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`lines not seen within 60 s; got ${JSON.stringify(got.map((e) => e.lines[0]))}; ${errors.join('; ')}`)), 60_000);
        let created = false;
        followLogs([{ runner }], [{ kind: 'request', value: id }], {
          signal: ctrl.signal,
          onEntries: (es) => {
            got.push(...es);
            if (count('first line of a new file') === 1 && count('appended later') === 0) append('appended later').catch(reject);
            if (count('appended later') >= 1) {
              clearTimeout(timer);
              resolve();
            }
          },
          onEvent: (e) => {
            if (e.type === 'host-error') errors.push(e.message);
            if (e.type !== 'following' || created) return;
            created = true;
            // created over ssh while the follow runs: no tail had this name when it started
            append('first line of a new file').catch(reject);
          },
        }).catch(reject);
      });
      // two more rescans (every 5 s): nothing may come twice
      await new Promise((r) => setTimeout(r, 11_000));
      assert.equal(count('first line of a new file'), 1);
      assert.equal(count('appended later'), 1);
      const e = got.find((x) => x.lines[0].includes('first line of a new file'))!;
      assert.equal(e.host, 'compute1');
      assert.equal(e.file, file);
      assert.equal(e.requestId, id);
      assert.deepEqual(errors, [], 'no reconnect was needed');
    } finally {
      ctrl.abort();
    }
    await new Promise((r) => setTimeout(r, 1500));
    // the lab hosts share this machine's process table, and other runs' follows may pick up our file too: look for the
    // processes of this follow by its key (the script's arguments, each grep's -e)
    const ps = await runner.run(['ps', '-eo', 'args'], { timeoutMs: 20_000 });
    assert.deepEqual(ps.stdout.split('\n').filter((l) => l.includes(id)), [], 'no process of this follow is left on compute1');
  });
  it('a log folder created after the follow started (a service installed later): its new log is followed too', async () => {
    // a folder the lab's compute1 does not have, from the list every host is searched for
    const probe = await runner.run(['sh', '-c', 'for d; do [ -e "$d" ] || { echo "$d"; exit 0; }; done', 'sh', ...PACKAGED_DIRS], { timeoutMs: 20_000 });
    const dir = probe.stdout.trim();
    assert.ok(dir, 'compute1 has every packaged log folder; nothing to create');
    const late = `${dir}/ost-late-${process.pid}.log`;
    const lateId = `req-${randomUUID()}`;
    const ctrl = new AbortController();
    const got: LogEntry[] = [];
    let created = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the line in ${late} was not seen within 30 s`)), 30_000);
        followLogs([{ runner }], [{ kind: 'request', value: lateId }], {
          signal: ctrl.signal,
          onEntries: (es) => {
            got.push(...es);
            if (got.some((e) => e.file === late)) {
              clearTimeout(timer);
              resolve();
            }
          },
          onEvent: (e) => {
            if (e.type !== 'following' || created) return;
            created = true;
            const stamp = new Date().toISOString().replace('T', ' ').slice(0, 23);
            runner.run(['sh', '-c', 'mkdir -p "$1" && printf "%s\\n" "$3" >> "$2"', 'sh', dir, late, `${stamp} 4242 INFO glance.api [None ${lateId} - - - - - -] in a folder made after the start`], { timeoutMs: 20_000 }).catch(reject);
          },
        }).catch(reject);
      });
      const e = got.find((x) => x.file === late)!;
      assert.equal(e.requestId, lateId);
      assert.equal(got.filter((x) => x.file === late).length, 1);
    } finally {
      ctrl.abort();
      if (created) await runner.run(['rm', '-rf', '--', dir], { timeoutMs: 20_000 }).catch(() => {});
    }
  });
});
