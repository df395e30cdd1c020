/**
 * A small unified diff (Myers' O(ND) algorithm over lines) for previewing config changes. Output follows
 * `diff -u` closely enough for `patch`/`git apply` to accept it.
 */

type Op = { kind: ' ' | '-' | '+'; text: string };

function splitKeep(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\u0000'; // marks "no newline at end of file"
  return lines;
}

function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Backtrack.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[off + k - 1] < vd[off + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', text: a[--x] });
      y--;
    }
    if (x === prevX) ops.push({ kind: '+', text: b[--y] });
    else ops.push({ kind: '-', text: a[--x] });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: ' ', text: a[--x] });
    y--;
  }
  return ops.reverse();
}

/** Unified diff of two texts, '' when equal. `context` lines around each change (3 like diff -u). */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  if (oldText === newText) return '';
  const a = splitKeep(oldText);
  const b = splitKeep(newText);
  const ops = myers(a, b);
  const out: string[] = [`--- ${oldName}`, `+++ ${newName}`];
  // Positions of each op in a and b.
  const pos: { ai: number; bi: number }[] = [];
  let ai = 0;
  let bi = 0;
  for (const op of ops) {
    pos.push({ ai, bi });
    if (op.kind !== '+') ai++;
    if (op.kind !== '-') bi++;
  }
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2·context of each other.
    for (;;) {
      while (end < ops.length && ops[end].kind !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next].kind === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aStart = pos[start].ai;
    const bStart = pos[start].bi;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    const range = (s: number, l: number) => (l === 1 ? `${s + 1}` : `${l === 0 ? s : s + 1},${l}`);
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`);
    for (const o of hunk) {
      if (o.text.endsWith('\u0000')) out.push(`${o.kind}${o.text.slice(0, -1)}`, '\\ No newline at end of file');
      else out.push(`${o.kind}${o.text}`);
    }
    i = end;
  }
  return out.join('\n') + '\n';
}
