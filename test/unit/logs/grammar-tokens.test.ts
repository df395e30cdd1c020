import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, parseRawGrammar, Registry, type IGrammar, type StateStack } from 'vscode-textmate';
import { correlate } from '../../../src/core/logs/correlate';
import { parseText } from '../../../src/core/logs/entries';
import { renderDocument } from '../../../src/core/logs/merge';
import { offlineHosts } from '../../../src/core/logs/offline';
import { UTC_CLOCK } from '../../../src/core/logs/types';

/**
 * The openstack-log grammar run by the engine VS Code itself uses (vscode-textmate over the Oniguruma WASM build), over
 * correlated documents rendered from real logs captured in the lab (test/fixtures/logs): the scopes a theme colours.
 */
const root = join(__dirname, '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'logs');

async function loadGrammar(): Promise<IGrammar> {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'source.openstack-log') return null;
      const path = join(root, 'syntaxes', 'openstack-log.tmLanguage.json');
      return parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
  });
  const g = await registry.loadGrammar('source.openstack-log');
  if (!g) throw new Error('grammar not loaded');
  return g;
}

interface Token { text: string; scopes: string[] }

function tokenize(grammar: IGrammar, text: string): Token[][] {
  let state: StateStack = INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** The token that is exactly `text` on the line (or the first that contains it), with its scopes. */
function tokenOf(line: Token[], text: string): Token {
  const exact = line.find((t) => t.text === text);
  const t = exact ?? line.find((x) => x.text.includes(text));
  assert.ok(t, `no token "${text}" in ${JSON.stringify(line.map((x) => x.text))}`);
  return t;
}

function assertScope(line: Token[], text: string, scope: string, exact = true) {
  const t = tokenOf(line, text);
  if (exact) assert.equal(t.text, text, `"${text}" is one token`);
  assert.ok(t.scopes.includes(scope), `"${text}": ${t.scopes.join(' ')} lacks ${scope}`);
}

describe('syntaxes/openstack-log: tokens from vscode-textmate + Oniguruma over real rendered logs', function () {
  this.timeout(30_000);
  let grammar: IGrammar;
  before(async () => {
    grammar = await loadGrammar();
  });

  it('a correlated live migration: host, service, timestamp, level, both request ids, instance uuid', async () => {
    const id = 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a';
    const r = await correlate([{ kind: 'request', value: id }], offlineHosts(join(fixtures, 'lab-sample')));
    const doc = renderDocument(r.entries);
    const lines = doc.split('\n');
    const tokens = tokenize(grammar, doc);
    const at = (pred: (l: string) => boolean) => {
      const i = lines.findIndex(pred);
      assert.ok(i >= 0, doc);
      return { text: lines[i], tokens: tokens[i] };
    };

    const compute = at((l) => l.startsWith('compute1 ') && l.includes('[instance: '));
    assertScope(compute.tokens, 'compute1', 'entity.name.namespace.host.openstack-log');
    assertScope(compute.tokens, 'nova-compute', 'entity.name.type.service.openstack-log');
    assertScope(compute.tokens, '|', 'punctuation.separator.record.openstack-log');
    const ts = /\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)/.exec(compute.text)![1];
    assertScope(compute.tokens, ts, 'comment.log.date.openstack-log');
    assertScope(compute.tokens, 'INFO', 'markup.inserted.log.info.openstack-log');
    assertScope(compute.tokens, id, 'constant.language.request-id.openstack-log');
    assertScope(compute.tokens, '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83', 'entity.name.tag.instance.openstack-log');
    // the message itself stays plain
    const words = compute.tokens.filter((t) => /Migrating/.test(t.text));
    for (const w of words) assert.ok(!w.scopes.some((s) => /date|request-id|instance|log\.(?:error|info)/.test(s)), w.scopes.join(' '));

    // neutron logs nova's id as its global id: both ids are request ids
    const neutron = at((l) => l.startsWith('controller neutron-server') && l.includes(id));
    assertScope(neutron.tokens, 'controller', 'entity.name.namespace.host.openstack-log');
    const local = /\[req-[0-9a-f-]{36} (req-[0-9a-f-]{36})/.exec(neutron.text)![1];
    assertScope(neutron.tokens, id, 'constant.language.request-id.openstack-log');
    assertScope(neutron.tokens, local, 'constant.language.request-id.openstack-log');
  });

  it('an ERROR record with its traceback (a real Zed nova-api line): level, continuation prefix, traceback, File lines', () => {
    const id = 'req-d1a4e234-b5d2-4bcc-9f06-4a614608b981';
    const entries = parseText(readFileSync(join(fixtures, 'lab-nova-api-db-error.log'), 'utf8'), 'controller', 'nova-api', '/var/log/nova/nova-api.log', { clock: UTC_CLOCK });
    const err = entries.find((e) => e.level === 'ERROR' && e.requestId === id)!;
    const doc = renderDocument([err]);
    const lines = doc.split('\n');
    const tokens = tokenize(grammar, doc);
    assertScope(tokens[0], 'ERROR', 'string.regexp.strong.log.error.openstack-log');
    assertScope(tokens[0], id, 'constant.language.request-id.openstack-log');

    const tb = lines.findIndex((l) => l.includes('Traceback (most recent call last):'));
    assert.ok(tb > 0 && /^controller nova-api \+ /.test(lines[tb]), lines[tb]);
    assertScope(tokens[tb], '+', 'punctuation.separator.continuation.openstack-log');
    assertScope(tokens[tb], 'Traceback (most recent call last):', 'string.regexp.emphasis.log.exceptiontype.openstack-log');
    assert.ok(tokens[tb].filter((t) => t.text.includes('Traceback')).every((t) => t.scopes.includes('meta.continuation.openstack-log')));

    const file = lines.findIndex((l) => l.includes('File "/usr/lib/python3/dist-packages/pymysql/connections.py", line 613, in connect'));
    assert.ok(file > tb);
    assertScope(tokens[file], '"/usr/lib/python3/dist-packages/pymysql/connections.py"', 'string.quoted.double.path.openstack-log');
    assertScope(tokens[file], '613', 'constant.numeric.line.openstack-log');
    assertScope(tokens[file], 'connect', 'entity.name.function.openstack-log');
    assertScope(tokens[file], 'controller', 'entity.name.namespace.host.openstack-log');
  });

  it('header lines are comments, with their request id still marked', async () => {
    const t = tokenize(grammar, '# req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a · keys: 3 · entries: 12')[0];
    assertScope(t, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a', 'constant.language.request-id.openstack-log');
    assert.ok(t.every((x) => x.scopes.includes('comment.line.number-sign.header.openstack-log')));
  });
});
