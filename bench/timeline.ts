/**
 * The request timeline for 10,000 records: building the steps (src/core/timeline/build.ts), the webview's model
 * (view-model.ts, serialised as the message posted), and the first paint of the real webview script
 * (media/timeline/timeline.js + .css) in Chromium, against a baseline measured in the same run: rendering the
 * correlated document of the same records (renderDocument), which every update of the document already pays.
 *
 * Records: the lab captures (test/fixtures/timeline/lab, every record of every file, parsed as the offline
 * correlation parses them) replayed with shifted timestamps until there are BENCH_RECORDS (default 10 000), then
 * merged by time — real messages, in the lab's real mix (mostly access lines no step explains).
 *
 * Goal (issue 14): built and first painted in < 500 ms. Writes bench/results/timeline.json.
 *   npx tsx bench/timeline.ts        (Chromium from CHROMIUM_PATH or /usr/bin/chromium; without it, no paint time)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseText } from '../src/core/logs/entries';
import { renderDocument, sortStable } from '../src/core/logs/merge';
import { serviceOf } from '../src/core/logs/sources';
import type { LogEntry } from '../src/core/logs/types';
import { UTC_CLOCK } from '../src/core/logs/types';
import { buildTimeline } from '../src/core/timeline/build';
import { timelineViewModel } from '../src/core/timeline/view-model';

const repoRoot = resolve(__dirname, '..');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

function records(): LogEntry[] {
  const lab = join(repoRoot, 'test', 'fixtures', 'timeline', 'lab');
  const base: LogEntry[] = [];
  for (const f of filesUnder(lab)) {
    const rel = relative(lab, f).split('/');
    const host = rel[0];
    const path = `/${rel.slice(1).join('/')}`;
    base.push(...parseText(readFileSync(f, 'utf8'), host, serviceOf(path), path, { clock: UTC_CLOCK }));
  }
  const sorted = sortStable(base);
  const span = sorted[sorted.length - 1].ts - sorted[0].ts + 60_000_000;
  const out: LogEntry[] = [];
  for (let copy = 0; out.length < RECORDS; copy++) {
    for (const e of sorted) {
      if (out.length >= RECORDS) break;
      out.push({ ...e, ts: e.ts + copy * span, lineNo: (e.lineNo ?? 0) + copy * 100_000 });
    }
  }
  return sortStable(out);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

async function paintMs(modelJson: string): Promise<number[] | undefined> {
  if (!existsSync(chromiumPath)) return undefined;
  const { chromium } = await import('playwright-core');
  const css = readFileSync(join(repoRoot, 'media', 'timeline', 'timeline.css'), 'utf8');
  const js = readFileSync(join(repoRoot, 'media', 'timeline', 'timeline.js'), 'utf8');
  // the panel's body (src/features/timeline/timeline-panel.ts), with the script and style inline for a bare page
  const html = `<!DOCTYPE html><html><head><style>${css}</style></head><body>
<header class="bar"><h1 id="headline"></h1><div class="tools"><button id="zoom-in">+</button><button id="zoom-out">−</button><button id="zoom-fit">Fit</button><button id="export">Export SVG</button></div></header>
<main id="chart" tabindex="-1"></main><div id="tip" hidden></div>
<script>window.acquireVsCodeApi = () => ({ postMessage() {} });</script><script>${js}</script></body></html>`;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.setContent(html);
    const out: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // from the message's arrival (parse included) to the frame after the SVG is in the DOM
      out.push(
        await page.evaluate(async (text) => {
          // runs in the page (this file's tsconfig has no DOM types)
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const g = globalThis as any;
          const t0 = performance.now();
          g.document.getElementById('chart').innerHTML = '';
          g.postMessage({ type: 'model', model: JSON.parse(text) }, '*');
          while (!g.document.querySelector('#chart svg')) await new Promise((r) => setTimeout(r, 0));
          await new Promise((r) => g.requestAnimationFrame(() => r(undefined)));
          return performance.now() - t0;
        }, modelJson),
      );
    }
    return out;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const entries = records();
  const build: number[] = [];
  const model: number[] = [];
  const render: number[] = [];
  let steps = 0;
  let json = '';
  for (let i = 0; i < RUNS; i++) {
    const b = time(() => buildTimeline(entries));
    build.push(b.ms);
    steps = b.value.steps.length;
    const m = time(() => JSON.stringify(timelineViewModel(b.value, entries, { title: 'bench' })));
    model.push(m.ms);
    json = m.value;
    render.push(time(() => renderDocument(entries)).ms);
  }
  const paint = await paintMs(json);
  const med = {
    buildTimeline: Math.round(median(build) * 10) / 10,
    viewModelAndJson: Math.round(median(model) * 10) / 10,
    firstPaint: paint ? Math.round(median(paint) * 10) / 10 : null,
    baselineRenderDocument: Math.round(median(render) * 10) / 10,
  };
  const total = med.buildTimeline + med.viewModelAndJson + (med.firstPaint ?? 0);
  const result = {
    date: new Date().toISOString(),
    records: entries.length,
    steps,
    modelBytes: json.length,
    runs: RUNS,
    medianMs: med,
    ratios: {
      buildOverRenderDocument: Math.round((med.buildTimeline / med.baselineRenderDocument) * 100) / 100,
      buildAndModelOverRenderDocument: Math.round(((med.buildTimeline + med.viewModelAndJson) / med.baselineRenderDocument) * 100) / 100,
    },
    goal: { totalMs: Math.round(total), budgetMs: 500, withinBudget: total < 500, paintMeasured: paint !== undefined },
  };
  console.log(JSON.stringify(result, null, 2));
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'timeline.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('written bench/results/timeline.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
