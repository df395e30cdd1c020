// The timeline webview: draws the request's story (src/core/timeline/view-model.ts) as one SVG — a lane per
// host × service, spans and points on a time axis, errors and warnings marked, the failing step highlighted.
// Messages in and out are the shapes of src/features/timeline/messages.ts. No inline script or style (strict CSP):
// this file and timeline.css are the only resources.
// @ts-check
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const LABEL_W = 230;
  const AXIS_H = 30;
  const ROW_H = 22;
  const LANE_PAD = 8;
  const PAD_R = 24;
  const chart = /** @type {HTMLElement} */ (document.getElementById('chart'));
  const tip = /** @type {HTMLElement} */ (document.getElementById('tip'));
  const headline = /** @type {HTMLElement} */ (document.getElementById('headline'));

  /** @type {any} */
  let model;
  /** The visible window, epoch µs; null: fit the whole story. */
  /** @type {{ from: number, to: number } | null} */
  let view = null;
  /** @type {string | null} */
  let focusedStep = null;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  function clock(us) {
    return new Date(Math.floor(us / 1000)).toISOString().slice(11, 23);
  }

  function fullWindow() {
    const span = Math.max(model.endUs - model.startUs, 1000);
    const pad = span * 0.02;
    return { from: model.startUs - pad, to: model.endUs + pad };
  }

  function win() {
    return view || fullWindow();
  }

  function width() {
    return Math.max(chart.clientWidth, 480);
  }

  function x(us) {
    const w = win();
    return LABEL_W + ((us - w.from) / (w.to - w.from)) * (width() - LABEL_W - PAD_R);
  }

  function niceStep(spanUs) {
    const steps = [1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 15e6, 3e7, 6e7, 12e7, 3e8, 6e8, 18e8, 36e8, 72e8, 216e8, 864e8];
    for (const s of steps) if (spanUs / s <= 8) return s;
    return steps[steps.length - 1];
  }

  function stepAria(s) {
    const lane = model.lanes[s.lane];
    const parts = [s.label === s.kindName ? s.label : `${s.kindName}: ${s.label}`, `${lane.host} ${lane.service}`, `at ${clock(s.startUs)}`];
    if (s.duration) parts.push(`lasting ${s.duration}`);
    parts.push(s.failing ? 'failing step' : s.outcome === 'failed' ? 'failed' : s.outcome === 'ok' ? 'ok' : 'outcome unknown');
    if (s.detail) parts.push(s.detail);
    return parts.join(', ');
  }

  /**
   * Overlapping steps of one lane go on rows of their own (greedy: the first row free at the step's start), so a
   * build and the spawn inside it are both visible. Points take 1% of the whole story, so close points stack too.
   */
  function layout() {
    const eps = Math.max(model.endUs - model.startUs, 1000) * 0.01;
    const rowsEnd = model.lanes.map(() => /** @type {number[]} */ ([]));
    const stepRow = model.steps.map((s) => {
      const ends = rowsEnd[s.lane];
      const end = Math.max(s.endUs, s.startUs + eps);
      let r = ends.findIndex((e) => e <= s.startUs);
      if (r < 0) r = ends.length;
      ends[r] = end;
      return r;
    });
    const laneY = [];
    let y = AXIS_H;
    for (let i = 0; i < model.lanes.length; i++) {
      laneY.push(y);
      y += Math.max(1, rowsEnd[i].length) * ROW_H + LANE_PAD;
    }
    return { stepRow, laneY, laneH: model.lanes.map((_, i) => Math.max(1, rowsEnd[i].length) * ROW_H + LANE_PAD), height: y + 8 };
  }

  function render() {
    if (!model) return;
    const L = layout();
    // aria-live: only a changed headline is announced, not every redraw
    const text = `${model.title} — ${model.headline}${model.following ? ' (following)' : ''}`;
    if (headline.textContent !== text) headline.textContent = text;
    headline.className = model.outcome === 'failed' ? 'failed' : '';
    const W = width();
    const H = L.height;
    const w = win();
    const out = [];
    out.push(`<svg xmlns="${SVG_NS}" id="svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="group" aria-label="${esc(`Timeline of ${model.title}: ${model.headline}`)}">`);
    out.push(`<rect class="bg" x="0" y="0" width="${W}" height="${H}"></rect>`);
    // lanes
    model.lanes.forEach((l, i) => {
      const y = L.laneY[i];
      out.push(`<rect class="lane ${i % 2 ? 'odd' : 'even'}" x="0" y="${y}" width="${W}" height="${L.laneH[i]}"></rect>`);
      out.push(`<text class="lane-label" x="8" y="${y + ROW_H / 2 + 8}">${esc(l.host)} · ${esc(l.service)}<tspan class="count"> ${l.count}</tspan></text>`);
    });
    out.push(`<line class="divider" x1="${LABEL_W - 4}" y1="0" x2="${LABEL_W - 4}" y2="${H}"></line>`);
    // axis
    const step = niceStep(w.to - w.from);
    const first = Math.ceil(w.from / step) * step;
    for (let t = first; t <= w.to; t += step) {
      const tx = x(t);
      if (tx < LABEL_W) continue;
      out.push(`<line class="tick" x1="${tx}" y1="${AXIS_H - 6}" x2="${tx}" y2="${H}"></line>`);
      out.push(`<text class="tick-label" x="${tx + 3}" y="${AXIS_H - 10}">${step < 1e6 ? clock(t).slice(3) : clock(t).slice(0, 8)}</text>`);
    }
    out.push(`<g class="plot" clip-path="url(#clip)">`);
    out.push(`<clipPath id="clip"><rect x="${LABEL_W}" y="0" width="${W - LABEL_W}" height="${H}"></rect></clipPath>`);
    // records no step explains: faint bands
    for (const b of model.bands) {
      const y = L.laneY[b.lane] + L.laneH[b.lane] - 5;
      const x0 = x(b.firstUs);
      const x1 = Math.max(x(b.lastUs), x0 + 2);
      out.push(`<rect class="band" x="${x0}" y="${y}" width="${x1 - x0}" height="3"><title>${esc(`${b.count} other records, e.g. ${b.sample}`)}</title></rect>`);
    }
    // hops between lanes
    for (const h of model.hops) {
      if (h.fromLane === undefined || h.fromLane === null) continue;
      const hx = x(h.ts);
      const y0 = L.laneY[h.fromLane] + ROW_H / 2 + 4;
      const y1 = L.laneY[h.toLane] + ROW_H / 2 + 4;
      out.push(`<line class="hop" x1="${hx}" y1="${y0}" x2="${hx}" y2="${y1}"></line>`);
    }
    // steps, in time order (the DOM order is the keyboard order)
    model.steps.forEach((s, i) => {
      const y = L.laneY[s.lane] + L.stepRow[i] * ROW_H + LANE_PAD / 2;
      const x0 = x(s.startUs);
      const x1 = x(s.endUs);
      const cls = `step ${s.outcome}${s.failing ? ' failing' : ''}${s.derived ? ' derived' : ''}`;
      out.push(`<g class="${cls}" data-step="${i}" tabindex="0" role="button" aria-label="${esc(stepAria(s))}">`);
      if (x1 - x0 >= 3) {
        out.push(`<rect x="${x0}" y="${y + 3}" width="${x1 - x0}" height="${ROW_H - 6}" rx="2"></rect>`);
        if (x1 - x0 > s.label.length * 6.4 + 8) out.push(`<text class="step-label" x="${x0 + 4}" y="${y + ROW_H / 2 + 4}">${esc(s.label)}</text>`);
      } else {
        const cy = y + ROW_H / 2;
        out.push(`<path d="M${x0} ${cy - 6} L${x0 + 6} ${cy} L${x0} ${cy + 6} L${x0 - 6} ${cy} Z"></path>`);
      }
      out.push('</g>');
    });
    // warnings and errors
    model.marks.forEach((m, i) => {
      const mx = x(m.ts);
      const y = L.laneY[m.lane] + 1;
      out.push(`<path class="mark ${m.level === 'ERROR' ? 'error' : 'warning'}" data-mark="${i}" d="M${mx - 4} ${y} L${mx + 4} ${y} L${mx} ${y + 6} Z"></path>`);
    });
    out.push('</g></svg>');
    chart.innerHTML = out.join('');
    if (focusedStep !== null) {
      const i = model.steps.findIndex((s) => s.id === focusedStep);
      const el = i >= 0 ? chart.querySelector(`[data-step="${i}"]`) : null;
      if (el instanceof SVGElement) el.focus({ preventScroll: true });
    }
  }

  function showTip(text, clientX, clientY) {
    tip.textContent = text;
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    const left = Math.min(clientX + 12, window.innerWidth - r.width - 8);
    const top = clientY + 16 + r.height > window.innerHeight ? clientY - r.height - 8 : clientY + 16;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${Math.max(4, top)}px`;
  }

  function hideTip() {
    tip.hidden = true;
  }

  function stepText(s) {
    const lane = model.lanes[s.lane];
    const lines = [s.label === s.kindName ? s.label : `${s.kindName}: ${s.label}`, `${lane.host} · ${lane.service}`, `${clock(s.startUs)}${s.duration ? ` · ${s.duration}` : ''} · ${s.failing ? 'FAILING STEP' : s.outcome}${s.derived ? ' (derived)' : ''}`];
    if (s.detail) lines.push(s.detail);
    if (s.progress && s.progress.length) lines.push(`progress: ${s.progress.map((p) => `${p.remainingPercent}%`).join(' → ')} remaining`);
    if (s.tip) lines.push('', s.tip);
    if (s.records > 1) lines.push(`(${s.records} records)`);
    return lines.join('\n');
  }

  function targetOf(ev) {
    const el = ev.target instanceof Element ? ev.target.closest('[data-step],[data-mark]') : null;
    if (!el) return null;
    const si = el.getAttribute('data-step');
    if (si !== null) return { kind: 'step', item: model.steps[Number(si)], el };
    const mi = el.getAttribute('data-mark');
    return { kind: 'mark', item: model.marks[Number(mi)], el };
  }

  function reveal(t) {
    const record = t.item.record;
    if (record !== undefined && record !== null) vscode.postMessage({ type: 'reveal', record });
  }

  chart.addEventListener('mousemove', (ev) => {
    if (drag) return;
    const t = targetOf(ev);
    if (!t) return hideTip();
    showTip(t.kind === 'step' ? stepText(t.item) : `${t.item.level}\n${t.item.tip}`, ev.clientX, ev.clientY);
  });
  chart.addEventListener('mouseleave', hideTip);
  chart.addEventListener('click', (ev) => {
    if (moved) return;
    const t = targetOf(ev);
    if (t) reveal(t);
  });
  chart.addEventListener('focusin', (ev) => {
    const t = targetOf(ev);
    if (!t || t.kind !== 'step') return;
    focusedStep = t.item.id;
    const r = t.el.getBoundingClientRect();
    showTip(stepText(t.item), r.left, r.bottom);
  });
  chart.addEventListener('focusout', hideTip);

  // zoom and pan
  function zoom(factor, atUs) {
    const w = win();
    const at = atUs ?? (w.from + w.to) / 2;
    const span = Math.max((w.to - w.from) * factor, 1000);
    const full = fullWindow();
    if (span >= full.to - full.from) {
      view = null;
    } else {
      const ratio = (at - w.from) / (w.to - w.from);
      view = { from: at - span * ratio, to: at - span * ratio + span };
    }
    render();
  }

  function pan(deltaUs) {
    const w = win();
    view = { from: w.from + deltaUs, to: w.to + deltaUs };
    render();
  }

  function usAt(clientX) {
    const w = win();
    const r = chart.getBoundingClientRect();
    return w.from + ((clientX - r.left - LABEL_W) / (width() - LABEL_W - PAD_R)) * (w.to - w.from);
  }

  chart.addEventListener('wheel', (ev) => {
    if (!model) return;
    ev.preventDefault();
    const w = win();
    if (ev.shiftKey) pan(((ev.deltaY || ev.deltaX) / (width() - LABEL_W)) * (w.to - w.from));
    else zoom(ev.deltaY > 0 ? 1.25 : 0.8, usAt(ev.clientX));
  }, { passive: false });

  /** @type {{ x: number, from: number, to: number } | null} */
  let drag = null;
  let moved = false;
  chart.addEventListener('mousedown', (ev) => {
    if (ev.button !== 0 || !model) return;
    const w = win();
    drag = { x: ev.clientX, from: w.from, to: w.to };
    moved = false;
  });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) moved = true;
    if (!moved) return;
    hideTip();
    const perPx = (drag.to - drag.from) / (width() - LABEL_W - PAD_R);
    view = { from: drag.from - dx * perPx, to: drag.to - dx * perPx };
    render();
  });
  window.addEventListener('mouseup', () => {
    drag = null;
  });

  function focusStep(i) {
    if (!model.steps.length) return;
    const n = Math.max(0, Math.min(model.steps.length - 1, i));
    const s = model.steps[n];
    focusedStep = s.id;
    const w = win();
    if (s.startUs < w.from || s.startUs > w.to) {
      const span = w.to - w.from;
      view = { from: s.startUs - span / 4, to: s.startUs + (span * 3) / 4 };
    }
    render();
  }

  document.addEventListener('keydown', (ev) => {
    if (!model) return;
    const t = targetOf(ev);
    const current = t && t.kind === 'step' ? model.steps.indexOf(t.item) : -1;
    switch (ev.key) {
      case '+':
      case '=':
        zoom(0.5);
        break;
      case '-':
      case '_':
        zoom(2);
        break;
      case '0':
        view = null;
        render();
        break;
      case 'ArrowRight':
      case 'ArrowDown':
        focusStep(current + 1);
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        focusStep(current < 0 ? 0 : current - 1);
        break;
      case 'Home':
        focusStep(0);
        break;
      case 'End':
        focusStep(model.steps.length - 1);
        break;
      case 'Enter':
      case ' ':
        if (t) reveal(t);
        else return;
        break;
      case 'Escape':
        hideTip();
        return;
      default:
        return;
    }
    ev.preventDefault();
  });

  const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  byId('zoom-in').addEventListener('click', () => zoom(0.5));
  byId('zoom-out').addEventListener('click', () => zoom(2));
  byId('zoom-fit').addEventListener('click', () => {
    view = null;
    render();
  });
  byId('export').addEventListener('click', () => vscode.postMessage({ type: 'exportSvg', svg: exportSvg() }));

  /** The drawn SVG with the theme's colours written into it, so it looks the same outside VS Code. */
  function exportSvg() {
    const svg = chart.querySelector('svg');
    if (!svg) return '';
    const copy = /** @type {SVGSVGElement} */ (svg.cloneNode(true));
    const src = svg.querySelectorAll('*');
    const dst = copy.querySelectorAll('*');
    src.forEach((el, i) => {
      const cs = getComputedStyle(el);
      const d = dst[i];
      for (const p of ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight']) {
        const v = cs.getPropertyValue(p);
        if (v) d.setAttribute(p, v);
      }
      d.removeAttribute('tabindex');
      d.removeAttribute('class');
    });
    copy.setAttribute('xmlns', SVG_NS);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
  }

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'model') {
      model = m.model;
      render();
    } else if (m.type === 'export') {
      vscode.postMessage({ type: 'exportSvg', svg: exportSvg() });
    }
  });
  window.addEventListener('resize', () => render());
  vscode.postMessage({ type: 'ready' });
})();
