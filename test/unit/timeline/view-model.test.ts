import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { correlate } from '../../../src/core/logs/correlate';
import { parseQueryKey } from '../../../src/core/logs/keys';
import { offlineHosts } from '../../../src/core/logs/offline';
import { buildTimeline } from '../../../src/core/timeline/build';
import { timelineViewModel } from '../../../src/core/timeline/view-model';

const lab = join(__dirname, '..', '..', 'fixtures', 'timeline', 'lab');

describe('timeline: what the webview is given', function () {
  this.timeout(30_000);

  it('the failed live migration: steps on their lanes, the failing one flagged with its ERROR record to reveal, errors marked first', async () => {
    const r = await correlate([parseQueryKey('d5eaf75f-c9ad-4e0a-a381-44018b86fe74')], offlineHosts(lab));
    const t = buildTimeline(r.entries);
    const m = timelineViewModel(t, r.entries, { title: 'vm1', following: true });
    assert.equal(m.following, true);
    assert.equal(m.headline.endsWith('FAILED at "Memory copy" (compute1 nova-compute)'), true, m.headline);
    const failing = m.steps.filter((s) => s.failing);
    assert.equal(failing.length, 1);
    const f = failing[0];
    assert.equal(m.lanes[f.lane].id, 'compute1 nova-compute');
    assert.equal(r.entries[f.record!].level, 'ERROR', 'a click shows the error, not the first record');
    assert.match(f.tip!, /Live Migration failure/);
    // the destination's preparation is drawn on the destination's lane, though the source logged it
    const pre = m.steps.find((s) => s.kind === 'lm-pre')!;
    assert.equal(m.lanes[pre.lane].id, 'compute2 nova-compute');
    assert.equal(pre.duration, '1.09 s');
    // marks: errors before warnings, each on its record's lane
    const firstWarning = m.marks.findIndex((x) => x.level === 'WARNING');
    assert.ok(m.marks.slice(0, firstWarning).every((x) => x.level === 'ERROR') && firstWarning > 0);
    for (const x of m.marks) assert.equal(m.lanes[x.lane].id, `${r.entries[x.record].host} ${r.entries[x.record].service}`);
    // records no step explains are drawn as bands, one per lane
    assert.equal(new Set(m.bands.map((b) => b.lane)).size, m.bands.length);
    assert.ok(JSON.stringify(m).length < 200_000, 'a small message');
  });
});
