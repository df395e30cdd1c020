import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseText } from '../../../src/core/logs/entries';
import { MergedLog, kWayMerge, renderDocument, renderEntry, sortStable } from '../../../src/core/logs/merge';
import { UTC_CLOCK, type LogEntry } from '../../../src/core/logs/types';
import { sharedFixtures } from '../../support/lab';

const golden = sharedFixtures('real-logs', 'os-log-merger-golden');

/** os-log-merger prints `<original timestamp> [ALIAS] <rest>` and pads continuation lines with 40 spaces. */
function goldenToOriginal(text: string): string[] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.startsWith(' '.repeat(40)) ? l.slice(40) : l.replace(/^(.*?) \[[^\]]+\] /, '$1 ')));
}

function mergeFiles(files: string[]): string[] {
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  // Year-less syslog lines take the year of the dated logs next to them (os-log-merger: the file's mtime year).
  const dated = texts.map((t) => /^(\d{4})-\d\d-\d\d /m.exec(t)).find(Boolean);
  const refMs = dated ? Date.UTC(Number(dated[1]), 6, 1) : Date.now();
  const sources = files.map((f, i) => sortStable(parseText(texts[i], 'h', 'svc', f, { clock: UTC_CLOCK, refMs })));
  return [...kWayMerge(sources)].flatMap((e) => e.lines);
}

describe('logs/merge: the os-log-merger golden data merges in the same order', () => {
  before(function () {
    if (!golden) this.skip(); // ../shared/fixtures absent in this clone
  });

  it('01-simple: two oslo logs (no-alias.log and alias.log)', () => {
    const inDir = join(golden!, '01-simple', 'in');
    const got = mergeFiles([join(inDir, 'metadata-agent.log'), join(inDir, 'l3-agent.log')]);
    for (const out of ['no-alias.log', 'alias.log']) {
      assert.deepEqual(got, goldenToOriginal(readFileSync(join(golden!, '01-simple', 'out', out), 'utf8')), out);
    }
  });

  it('02-var-log-messages: oslo with multi-line bodies and year-less syslog (mixed.log)', () => {
    const inDir = join(golden!, '02-var-log-messages', 'in');
    const got = mergeFiles([join(inDir, 'var_log_messages'), join(inDir, 'nova-api.log')]);
    assert.deepEqual(got, goldenToOriginal(readFileSync(join(golden!, '02-var-log-messages', 'out', 'mixed.log'), 'utf8')));
  });

  it('02-var-log-messages: plus syslog with microseconds (mixed_ms.log)', () => {
    const inDir = join(golden!, '02-var-log-messages', 'in');
    const got = mergeFiles([join(inDir, 'var_log_messages'), join(inDir, 'var_log_messages_ms'), join(inDir, 'nova-api.log')]);
    assert.deepEqual(got, goldenToOriginal(readFileSync(join(golden!, '02-var-log-messages', 'out', 'mixed_ms.log'), 'utf8')));
  });
});

function entry(ts: number, host: string, text: string): LogEntry {
  return { ts, host, service: 'svc', file: '/f', format: 'oslo', lines: [text] };
}

describe('logs/merge: k-way merge, bounded buffer, rendering', () => {
  it('equal timestamps have one order, whatever order the sources come in: time, host, file, byte offset', () => {
    const a = [entry(1, 'a', 'a1'), entry(5, 'a', 'a5'), entry(5, 'a', 'a5b')];
    const b = [entry(0, 'b', 'b0'), entry(5, 'b', 'b5'), entry(9, 'b', 'b9')];
    assert.deepEqual([...kWayMerge([a, b])].map((e) => e.lines[0]), ['b0', 'a1', 'a5', 'a5b', 'b5', 'b9']);
    assert.deepEqual([...kWayMerge([b, a])].map((e) => e.lines[0]), ['b0', 'a1', 'a5', 'a5b', 'b5', 'b9']);
  });

  // The records of the failed integration run ("the OpenSSH fallback runner finds the same lines"): two hosts, the
  // same millisecond; plus two files of one host and two records of one file at the same time.
  const tie = Date.parse('2026-11-25T19:33:32.141Z') * 1000;
  const records: LogEntry[] = [
    { ts: tie, host: 'compute2', service: 'nova-compute', file: '/var/log/nova/nova-compute.log', offset: 900, format: 'oslo', lines: ['c2 compute 900'] },
    { ts: tie, host: 'compute1', service: 'nova-compute', file: '/var/log/nova/nova-compute.log', offset: 4096, format: 'oslo', lines: ['c1 compute 4096'] },
    { ts: tie, host: 'compute1', service: 'nova-compute', file: '/var/log/nova/nova-compute.log', offset: 120, format: 'oslo', lines: ['c1 compute 120'] },
    { ts: tie, host: 'compute1', service: 'libvirtd', file: '/var/log/libvirt/libvirtd.log', offset: 7, format: 'libvirt', lines: ['c1 libvirtd 7'] },
    { ts: tie - 1, host: 'controller', service: 'nova-api', file: '/var/log/nova/nova-api.log', offset: 1, format: 'oslo', lines: ['ctl api earlier'] },
    { ts: tie, host: 'controller', service: 'nova-conductor', file: '/var/log/nova/nova-conductor.log', lineNo: 3, format: 'oslo', lines: ['ctl conductor 3'] },
  ];
  const expected = ['ctl api earlier', 'c1 libvirtd 7', 'c1 compute 120', 'c1 compute 4096', 'c2 compute 900', 'ctl conductor 3'];
  const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

  it('equal-timestamp records of several hosts and files come out the same for every arrival order (merge, sort, view)', () => {
    let n = 0;
    for (const order of permutations(records)) {
      n++;
      // as the k-way merge of one-record sources, as one sorted batch, and inserted into the view one by one
      assert.deepEqual([...kWayMerge(order.map((e) => [e]))].map((e) => e.lines[0]), expected, 'kWayMerge');
      assert.deepEqual(sortStable(order).map((e) => e.lines[0]), expected, 'sortStable');
      const m = new MergedLog();
      for (const e of order) m.add(e);
      assert.deepEqual(m.all().map((e) => e.lines[0]), expected, 'MergedLog');
    }
    assert.equal(n, 720);
  });

  it('records equal in time, host, file and position (follow mode has no position) keep their source order', () => {
    const x = entry(5, 'h', 'first');
    const y = entry(5, 'h', 'second');
    assert.deepEqual(sortStable([x, y]).map((e) => e.lines[0]), ['first', 'second']);
    assert.deepEqual([...kWayMerge([[x], [y]])].map((e) => e.lines[0]), ['first', 'second']);
    const m = new MergedLog();
    m.add(x);
    m.add(y);
    assert.deepEqual(m.all().map((e) => e.lines[0]), ['first', 'second']);
  });

  it('MergedLog keeps time order as entries arrive from any host and drops the oldest when full', () => {
    const m = new MergedLog(3);
    for (const [ts, t] of [[10, 'x'], [5, 'y'], [7, 'z'], [7, 'w'], [1, 'old']] as const) m.add(entry(ts, 'h', t));
    assert.deepEqual(m.all().map((e) => e.lines[0]), ['z', 'w', 'x']);
    assert.equal(m.dropped, 2);
  });

  it('prefixes every line with host and service, continuation lines with +', () => {
    const e: LogEntry = { ...entry(1, 'compute1', 'ERROR boom'), service: 'nova-compute' };
    e.lines.push('Traceback (most recent call last):');
    const other = { ...entry(2, 'controller', 'INFO ok'), service: 'nova-api' };
    assert.equal(renderDocument([e, other]), 'compute1   nova-compute | ERROR boom\ncompute1   nova-compute + Traceback (most recent call last):\ncontroller nova-api     | INFO ok\n');
    assert.deepEqual(renderEntry(other), ['controller nova-api | INFO ok']);
  });
});
