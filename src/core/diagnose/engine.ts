import { errorMessage } from '../errors';
import type { LogEntry } from '../logs/types';
import type { Condition, Diagnosis, DiagnosisFinding, Evidence, EvidenceItem, FixTemplate, Signature } from './types';

/**
 * The diagnosis engine: tries every signature against the evidence of one failure. A signature matches when each of
 * its conditions (in order) finds an item; the newest matching item binds the condition's named groups, which later
 * conditions, the cause and the fixes use as `{name}`. A diagnosis never says more than its evidence: a condition
 * whose variable is unknown, or whose source was not gathered, does not match.
 */

type Vars = Record<string, string>;

interface Hit {
  item: EvidenceItem;
  groups: Vars;
}

const VAR = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `{name}` in a pattern becomes the escaped value; undefined when a variable is unbound. */
export function compilePattern(pattern: string, vars: Vars): RegExp | undefined {
  let missing = false;
  const src = pattern.replace(VAR, (_m, name: string) => {
    if (vars[name] === undefined) {
      missing = true;
      return '';
    }
    return escapeRe(vars[name]);
  });
  if (missing) return undefined;
  return new RegExp(src);
}

/** `{name}` in text becomes the value (unbound names stay as written). */
export function fillTemplate(text: string, vars: Vars): string {
  return text.replace(VAR, (m, name: string) => vars[name] ?? m);
}

function fillFix(f: FixTemplate, vars: Vars): FixTemplate {
  return {
    text: fillTemplate(f.text, vars),
    ...(f.commands ? { commands: f.commands.map((c) => ({ ...(c.host ? { host: fillTemplate(c.host, vars) } : {}), command: fillTemplate(c.command, vars) })) } : {}),
    ...(f.quickFix ? { quickFix: { host: fillTemplate(f.quickFix.host, vars), file: fillTemplate(f.quickFix.file, vars), rule: f.quickFix.rule } } : {}),
    ...(f.check ? { check: { kind: f.check.kind, ...(f.check.subject ? { subject: Object.fromEntries(Object.entries(f.check.subject).map(([k, v]) => [k, fillTemplate(v, vars)])) } : {}) } } : {}),
    ...(f.links ? { links: f.links } : {}),
  };
}

// ------------------------------------------------------------------ log records as fields

const OSLO_HEAD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:[.,]\d+)? \d+ [A-Z]+ (\S+) (.*)$/;
const APACHE_HEAD = /^\[[^\]]+\] \[(?:[\w-]+:)?\w+\] (?:\[pid [^\]]*\] )?(?:\[(?:remote|client) [^\]]*\] )?(.*)$/;
const PLAIN_HEAD = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?:? (?:\d+: \w+ ?: )?(.*)$/;

export interface RecordFields {
  logger?: string;
  /** The message: after the oslo context bracket and the `[instance: …]` tag; the apache prefix. */
  message: string;
}

/** Skips one balanced `[…]` at the start (the oslo context). */
function skipBracket(s: string): string {
  if (!s.startsWith('[')) return s;
  const end = s.indexOf('] ');
  return end < 0 ? s : s.slice(end + 2);
}

export function recordFields(e: LogEntry): RecordFields {
  const first = e.lines[0] ?? '';
  if (e.format === 'oslo') {
    const m = OSLO_HEAD.exec(first);
    if (m) {
      const msg = skipBracket(m[2]).replace(/^\[instance: [0-9a-f-]{36}\] /, '');
      return { logger: m[1], message: msg };
    }
  }
  if (e.format === 'apache') {
    const m = APACHE_HEAD.exec(first);
    if (m) return { message: m[1] };
  }
  const m = PLAIN_HEAD.exec(first);
  return { message: m ? m[1] : first };
}

// ------------------------------------------------------------------ matching

function test(re: RegExp | undefined, value: string | null | undefined, groups: Vars): boolean {
  if (!re) return false;
  const m = re.exec(value ?? '');
  if (!m) return false;
  for (const [k, v] of Object.entries(m.groups ?? {})) {
    if (v === undefined) continue;
    // `q_name`: a URL query value, bound decoded as `name` (placement's "resources=DISK_GB%3A1%2CMEMORY_MB%3A96")
    if (k.startsWith('q_')) groups[k.slice(2)] = decodeQuery(v);
    else groups[k] = v;
  }
  return true;
}

function decodeQuery(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

/** Each field of `spec` (a pattern) must match the same-named value of `values`. */
function matchFields(spec: Record<string, string | undefined>, values: Record<string, string | null | undefined>, vars: Vars): Vars | undefined {
  const groups: Vars = {};
  for (const [field, pattern] of Object.entries(spec)) {
    if (pattern === undefined) continue;
    const re = compilePattern(pattern, { ...vars, ...groups });
    if (!test(re, values[field], groups)) return undefined;
  }
  return groups;
}

const STRUCTURAL = new Set(['source', 'optional', 'label', 'level', 'path', 'hostLevel']);

function patternsOf(c: Condition): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(c)) if (!STRUCTURAL.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

/** Reads a lazy source the first time a condition needs it (once per evidence, shared by every signature). */
async function loadLazy(ev: Evidence, source: Condition['source']): Promise<void> {
  if ((source === 'hypervisor' || source === 'agent') && ev.lazy) {
    const key = source === 'hypervisor' ? 'hypervisors' : 'agents';
    const load = ev.lazy[key];
    if (ev[key] === undefined && load) {
      delete ev.lazy[key];
      const got = await load();
      if (got) (ev as { hypervisors?: unknown; agents?: unknown })[key] = got;
    }
  }
}

async function hitsOf(c: Condition, ev: Evidence, vars: Vars, fields: Map<LogEntry, RecordFields>): Promise<Hit[]> {
  await loadLazy(ev, c.source);
  const spec = patternsOf(c);
  const hits: Hit[] = [];
  const push = (values: Record<string, string | null | undefined>, item: EvidenceItem) => {
    const groups = matchFields(spec, values, vars);
    if (groups) hits.push({ item, groups });
  };
  switch (c.source) {
    case 'log': {
      // a record that names another instance (a host's recent errors hold every instance's) is not evidence here
      const subject = ev.server?.id ?? (ev.subject.kind === 'instance' ? ev.subject.id : undefined);
      for (const e of ev.records) {
        if (c.level && (!e.level || !c.level.includes(e.level))) continue;
        if (subject && e.instance && e.instance !== subject) continue;
        if (!c.hostLevel && ev.hostRecords?.has(e)) continue;
        let f = fields.get(e);
        if (!f) fields.set(e, (f = recordFields(e)));
        push(
          { service: e.service, logger: f.logger, message: f.message, host: e.host, request_id: e.requestId, global_request_id: e.globalRequestId },
          { source: 'log', label: c.label, text: e.lines[0], host: e.host, service: e.service, file: e.file, lineNo: e.lineNo, ts: e.ts, requestId: e.globalRequestId ?? e.requestId },
        );
      }
      break;
    }
    case 'server': {
      const s = ev.server;
      if (s) {
        push(
          { id: s.id, name: s.name, status: s.status, host: s.host, task_state: s.taskState, vm_state: s.vmState },
          { source: 'server', label: c.label, host: s.host ?? undefined, text: `server ${s.name} (${s.id}): ${s.status}${s.taskState ? ` (${s.taskState})` : ''}${s.host ? ` on ${s.host}` : ''}` },
        );
      }
      break;
    }
    case 'fault': {
      const f = ev.server?.fault;
      if (f) push({ message: f.message, details: f.details }, { source: 'fault', label: c.label, text: `fault${f.code ? ` ${f.code}` : ''}: ${f.message}${f.created ? ` (${f.created})` : ''}` });
      break;
    }
    case 'event': {
      for (const a of ev.actions ?? []) {
        for (const e of a.events ?? []) {
          push(
            { action: a.action, event: e.event, result: e.result, traceback: e.traceback, actionMessage: a.message },
            { source: 'event', label: c.label, text: `${a.action} ${a.requestId}: ${e.event} ${e.result ?? 'running'}${e.host ? ` on ${e.host}` : ''}${e.traceback ? ` — ${lastLine(e.traceback)}` : ''}`, host: e.host, requestId: a.requestId },
          );
        }
      }
      break;
    }
    case 'migration': {
      for (const m of ev.migrations ?? []) {
        push(
          { status: m.status, type: m.migrationType, source_compute: m.sourceCompute, dest_compute: m.destCompute },
          { source: 'migration', label: c.label, text: `migration ${m.id} (${m.migrationType ?? 'migration'}) ${m.sourceCompute ?? '?'} → ${m.destCompute ?? '?'}: ${m.status} (${m.createdAt})` },
        );
      }
      break;
    }
    case 'service': {
      for (const s of ev.services ?? []) {
        push(
          { binary: s.binary, host: s.host, status: s.status, state: s.state, disabled_reason: s.disabledReason },
          { source: 'service', label: c.label, host: s.host, text: `${s.binary} on ${s.host}: ${s.status}, ${s.state ?? 'state unknown'}${s.disabledReason ? ` (disabled reason: ${s.disabledReason})` : ''}${s.updatedAt ? `, last report ${s.updatedAt}` : ''}` },
        );
      }
      break;
    }
    case 'hypervisor': {
      for (const h of ev.hypervisors ?? []) {
        push(
          { id: h.id, hypervisor_hostname: h.hypervisorHostname, hypervisor_type: h.hypervisorType, service_host: h.service?.host, status: h.status, state: h.state },
          { source: 'hypervisor', label: c.label, host: h.service?.host, text: `hypervisor ${h.hypervisorHostname} (${h.id}, ${h.hypervisorType ?? 'type unknown'}), service host ${h.service?.host ?? '?'}: ${h.status ?? '?'}, ${h.state ?? '?'}` },
        );
      }
      break;
    }
    case 'agent': {
      for (const a of ev.agents ?? []) {
        push(
          { agent_type: a.agentType, binary: a.binary, host: a.host, alive: String(a.alive), admin_state_up: String(a.adminStateUp) },
          { source: 'agent', label: c.label, host: a.host, text: `${a.agentType} (${a.binary}) on ${a.host}: ${a.alive ? 'alive' : 'DOWN'}${a.adminStateUp === false ? ', admin down' : ''}${a.heartbeatTimestamp ? `, last heartbeat ${a.heartbeatTimestamp}` : ''}` },
        );
      }
      break;
    }
    case 'file': {
      const hostRe = compilePattern(c.host, vars);
      if (!hostRe || !ev.readFile) break;
      // the host is a bound variable (an exact name), never a search over every host
      const host = fillTemplate(c.host, vars);
      if (/\{[A-Za-z_]\w*\}/.test(host)) break;
      const lines = await ev.readFile(host, c.path);
      if (!lines) break;
      const re = compilePattern(c.line, vars);
      lines.forEach((text, i) => {
        const groups: Vars = {};
        if (test(re, text, groups)) hits.push({ groups, item: { source: 'file', label: c.label, host, file: c.path, lineNo: i + 1, text } });
      });
      break;
    }
  }
  return hits;
}

function lastLine(tb: string): string {
  const lines = tb.trim().split('\n');
  return lines[lines.length - 1].trim().slice(0, 300);
}

/** Tries one signature; undefined when a required condition finds nothing. */
export async function matchSignature(sig: Signature, ev: Evidence, fields = new Map<LogEntry, RecordFields>()): Promise<DiagnosisFinding | undefined> {
  const vars: Vars = {};
  const evidence: EvidenceItem[] = [];
  for (const c of sig.when) {
    let hits: Hit[];
    try {
      hits = await hitsOf(c, ev, vars, fields);
    } catch (e) {
      // evidence that could not be read: an optional condition adds nothing, a required one cannot be evaluated
      if (!c.optional) throw e;
      hits = [];
    }
    if (hits.length === 0) {
      if (c.optional) continue;
      return undefined;
    }
    // the newest binds (records are in time order; other sources in API order): several failures of one kind in the
    // window name the latest one's host
    const bind = hits[hits.length - 1];
    for (const [k, v] of Object.entries(bind.groups)) if (vars[k] === undefined) vars[k] = v;
    // at most 3 items per condition as evidence: the first, and the two newest (the same lines repeat for retries)
    const shown = hits.length <= 3 ? hits : [hits[0], ...hits.slice(-2)];
    for (const h of shown) if (!evidence.includes(h.item)) evidence.push(h.item);
  }
  return {
    signature: sig.id,
    title: sig.title,
    cause: fillTemplate(sig.cause, vars),
    evidence,
    fixes: sig.fixes.map((f) => fillFix(f, vars)),
    vars,
    origin: sig.origin ?? 'built-in',
  };
}

/** Every signature against the evidence; findings best first, superseded ones dropped. */
export async function diagnose(ev: Evidence, signatures: readonly Signature[], now = () => performance.now()): Promise<Diagnosis> {
  const t0 = now();
  const startedAt = new Date().toISOString();
  const fields = new Map<LogEntry, RecordFields>();
  const found: { f: DiagnosisFinding; sig: Signature }[] = [];
  const notes = [...ev.notes];
  for (const sig of signatures) {
    try {
      const f = await matchSignature(sig, ev, fields);
      if (f) found.push({ f, sig });
    } catch (e) {
      notes.push(`Signature ${sig.id} (${sig.origin ?? 'built-in'}) could not be evaluated: ${errorMessage(e)}`);
    }
  }
  // a precise reading replaces a generic one of the same failure (they share a request), not of another failure
  const requestsOf = (f: DiagnosisFinding) => new Set(f.evidence.map((e) => e.requestId).filter((r): r is string => !!r));
  const isSuperseded = (y: { f: DiagnosisFinding; sig: Signature }) =>
    found.some((x) => {
      if (x === y || !(x.sig.supersedes ?? []).includes(y.sig.id)) return false;
      const yr = requestsOf(y.f);
      if (yr.size === 0) return true;
      const xr = requestsOf(x.f);
      return [...yr].some((r) => xr.has(r));
    });
  const findings = found
    .filter((x) => !isSuperseded(x))
    // the newest failure first (what the operator just saw), then the more precise reading
    .sort((a, b) => newest(b.f) - newest(a.f) || (b.sig.priority ?? 0) - (a.sig.priority ?? 0))
    .map((x) => x.f);
  return { subject: ev.subject, findings, lookedAt: lookedAt(ev), notes, signaturesTried: signatures.length, startedAt, durationMs: Math.round(now() - t0) };
}

/** The newest log record a finding cites (epoch µs); state-only findings (services, agents) count as now. */
function newest(f: DiagnosisFinding): number {
  const ts = f.evidence.map((e) => e.ts).filter((t): t is number => t !== undefined);
  return ts.length ? Math.max(...ts) : Number.MAX_SAFE_INTEGER;
}

/** What the diagnosis looked at, in words (said always, and especially when nothing matched). */
export function lookedAt(ev: Evidence): string[] {
  const out: string[] = [];
  const byHost = new Map<string, Set<string>>();
  for (const e of ev.records) {
    let s = byHost.get(e.host);
    if (!s) byHost.set(e.host, (s = new Set()));
    s.add(e.service);
  }
  const errors = ev.records.filter((e) => e.level === 'ERROR' || e.level === 'CRITICAL').length;
  out.push(
    ev.records.length
      ? `${ev.records.length} log records (${errors} ERROR) from ${byHost.size} host(s): ${[...byHost].map(([h, s]) => `${h} (${[...s].sort().join(', ')})`).join('; ')}`
      : 'no log records',
  );
  if (ev.server) out.push(`server ${ev.server.name} (${ev.server.id}): ${ev.server.status}${ev.server.host ? ` on ${ev.server.host}` : ''}${ev.server.fault ? `, fault "${ev.server.fault.message}"` : ''}`);
  if (ev.actions) out.push(`${ev.actions.length} instance action(s) with ${ev.actions.reduce((n, a) => n + (a.events?.length ?? 0), 0)} event(s)`);
  if (ev.migrations) out.push(`${ev.migrations.length} migration(s)`);
  if (ev.services) out.push(`${ev.services.length} compute service(s)`);
  if (ev.hypervisors) out.push(`${ev.hypervisors.length} hypervisor(s)`);
  if (ev.agents) out.push(`${ev.agents.length} network agent(s)`);
  return out;
}
