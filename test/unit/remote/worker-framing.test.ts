import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { toCommandLine } from '../../../src/core/remote/command';
import { EndMarkerFramer, jobLine } from '../../../src/core/remote/worker';

/** The stdout framing of streamed shell-worker jobs: the job's bytes pass through, the end marker is cut off. */
describe('shell worker stream framing', () => {
  const marker = Buffer.from('0123456789abcdef0123456789abcdef E ');
  const job = Buffer.concat([Buffer.from('line one\n'), Buffer.from([0, 0xff, 0x0a]), Buffer.from('E 0\n0123 E \nno newline')]);
  const wire = Buffer.concat([job, marker, Buffer.from('137\n')]);

  it('passes every byte before the marker and reads the exit code, however the wire is chunked', () => {
    for (let a = 0; a <= wire.length; a++) {
      for (const b of [a, Math.min(wire.length, a + 1), Math.min(wire.length, a + 7), wire.length]) {
        const got: Buffer[] = [];
        const f = new EndMarkerFramer(marker, (x) => got.push(Buffer.from(x)));
        for (const chunk of [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]) if (chunk.length) f.push(chunk);
        assert.deepEqual(Buffer.concat(got), job, `split at ${a}/${b}`);
        assert.equal(f.code, 137);
      }
    }
  });

  it('holds back only a possible start of the marker: a complete line is never delayed', () => {
    const got: string[] = [];
    const f = new EndMarkerFramer(marker, (x) => got.push(x.toString()));
    f.push(Buffer.from('2026-11-25 10:00:00.000 1 INFO x [req-1] follow line\n'));
    assert.deepEqual(got, ['2026-11-25 10:00:00.000 1 INFO x [req-1] follow line\n']);
    f.push(Buffer.from('partial 0123'));
    assert.deepEqual(got.slice(1), ['partial '], 'the bytes that may begin the marker wait');
    f.push(Buffer.from('x'));
    assert.deepEqual(got.slice(2), ['0123x'], 'and pass once they cannot');
    assert.equal(f.code, undefined);
  });
});

describe('shell worker job line: a job does not outlive its channel', () => {
  it('EOF on the worker\'s stdin (connection dropped) ends a running collected job, in its own session', async function () {
    this.timeout(15_000);
    // the worker is `exec sh` reading jobs from the channel; here a local sh reading a pipe
    const worker = spawn('sh', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const nonce = 'n0nce0123456789abcdef';
    let err = '';
    const pid = await new Promise<number>((resolve) => {
      worker.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = new RegExp(`${nonce} P (\\d+)`).exec(err);
        if (m) resolve(Number(m[1]));
      });
      worker.stdin.write(jobLine(nonce, toCommandLine(['sleep', '30']), true));
    });
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(alive(), 'the job runs');
    // the connection drops: sshd closes the channel, the worker sees EOF on stdin
    worker.stdin.end();
    const t0 = Date.now();
    while (alive() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!alive(), 'the job was ended');
    worker.kill();
  });
});
