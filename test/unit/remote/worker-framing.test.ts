import assert from 'node:assert/strict';
import { EndMarkerFramer } from '../../../src/core/remote/worker';

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
