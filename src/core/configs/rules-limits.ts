import { DOCS } from './docs';
import type { ConfigFacts } from './facts';
import { dropInNofile, limitNofileDropInFix } from './fixes';
import { parseLimitsConf, domainApplies, type LimitEntry } from './limits-conf';
import { mariadbFdOutcome, OPENSTACK_MAX_CONNECTIONS, recommendedNofile } from './mariadb-limits';
import type { Finding, Range } from './model';
import { documentEol, insertAfterLine } from './text';

function lineOf(e: LimitEntry): Range {
  return { start: e.domain.range.start, end: e.value.range.end };
}

export function lintLimitsConf(text: string, facts: ConfigFacts = {}): Finding[] {
  const file = parseLimitsConf(text);
  const out: Finding[] = [];
  const dbUser = facts.dbUser ?? 'mysql';
  const service = facts.dbService ?? 'mariadb.service';
  const mc = facts.maxConnections;
  const eol = documentEol(text);

  for (const err of file.errors) {
    out.push({ code: 'limits/syntax', severity: 'error', message: `${err.message} pam_limits skips the line.`, range: err.range, docUrl: DOCS.limitsConf, fixes: [] });
  }

  // soft above hard (for the same domain and item; "-" sets both).
  const key = (e: LimitEntry) => `${e.domain.text}\u0000${e.item.text}`;
  const soft = new Map<string, LimitEntry>();
  const hard = new Map<string, LimitEntry>();
  for (const e of file.entries) {
    if (e.type.text !== 'hard') soft.set(key(e), e);
    if (e.type.text !== 'soft') hard.set(key(e), e);
  }
  for (const [k, s] of soft) {
    const h = hard.get(k);
    if (!h || s === h || s.amount === undefined || h.amount === undefined || s.amount <= h.amount) continue;
    out.push({
      code: 'limits/soft-above-hard',
      severity: 'error',
      message: `The soft ${s.item.text} limit ${s.value.text} for "${s.domain.text}" is above the hard limit ${h.value.text} (line ${h.line + 1}); a soft limit can never exceed the hard one, so the session gets an error or the hard value.`,
      range: s.value.range,
      docUrl: DOCS.limitsConf,
      fixes: [
        { title: `Lower the soft limit to ${h.value.text}`, preferred: true, files: [{ edits: [{ range: s.value.range, newText: h.value.text }] }] },
        { title: `Raise the hard limit to ${s.value.text}`, preferred: false, files: [{ edits: [{ range: h.value.range, newText: s.value.text }] }] },
      ],
    });
  }

  // "*" does not cover root.
  for (const e of file.entries) {
    if (e.domain.text !== '*') continue;
    if (file.entries.some((x) => x.domain.text === 'root' && x.item.text === e.item.text)) continue;
    out.push({
      code: 'limits/wildcard-not-root',
      severity: 'info',
      message: `"*" does not apply to root (pam_limits: "group and wildcard limits are not applied to the root user"); root keeps its default ${e.item.text} limit unless a line names root.`,
      range: e.domain.range,
      docUrl: DOCS.limitsConf,
      fixes: [{ title: `Add the same ${e.item.text} limit for root`, preferred: false, files: [{ edits: [insertAfterLine(file.lines, e.line, [`root ${e.type.text} ${e.item.text} ${e.value.text}`], eol)] }] }],
    });
  }

  // nofile for the database user below 5 × max_connections.
  const dbNofile = file.entries.filter((e) => e.item.text === 'nofile' && domainApplies(e.domain.text, { name: dbUser, groups: [dbUser] }));
  if (mc !== undefined) {
    for (const e of dbNofile) {
      if (e.amount === undefined || e.amount === Infinity || e.amount >= recommendedNofile(mc)) continue;
      const outcome = mariadbFdOutcome({ maxConnections: mc, tableOpenCache: facts.tableOpenCache, tableOpenCacheInstances: facts.tableOpenCacheInstances, fdLimit: e.amount });
      out.push({
        code: 'limits/nofile-too-low',
        severity: 'warning',
        message: `nofile ${e.value.text} for "${e.domain.text}" is below 5 × max_connections = ${recommendedNofile(mc)}${outcome.lowersMaxConnections ? ` (MariaDB would cut max_connections to ${outcome.effectiveMaxConnections})` : ''}. Note that this only affects login sessions (mysqld_safe, a shell): under systemd the service's LimitNOFILE counts.`,
        range: e.value.range,
        docUrl: DOCS.mariadbOpenFilesLimit,
        fixes: [
          limitNofileDropInFix(service, dropInNofile(recommendedNofile(mc), facts.serviceNofile, facts.nofileCeiling), true),
          { title: `Raise this nofile to ${recommendedNofile(mc)}`, preferred: false, files: [{ edits: [{ range: e.value.range, newText: String(recommendedNofile(mc)) }] }] },
        ],
      });
    }
  }

  // Always: limits.conf is for PAM login sessions, not systemd services.
  const anchorEntry = dbNofile[0] ?? file.entries.find((e) => e.item.text === 'nofile') ?? file.entries[0];
  const range: Range = anchorEntry ? lineOf(anchorEntry) : { start: { line: 0, character: 0 }, end: { line: 0, character: file.lines[0].text.length } };
  const value = Math.max(recommendedNofile(mc ?? OPENSTACK_MAX_CONNECTIONS), ...dbNofile.map((e) => (e.amount !== undefined && e.amount !== Infinity ? e.amount : 0)));
  out.push({
    code: 'limits/not-for-services',
    severity: 'info',
    message: `limits.conf is applied by pam_limits to login sessions only; systemd services such as ${service} never go through PAM, so their open-files limit is LimitNOFILE in the unit (check with "systemctl show -p LimitNOFILE ${service.replace(/\.service$/, '')}").`,
    range,
    docUrl: DOCS.pamLimits,
    fixes: [limitNofileDropInFix(service, dropInNofile(value, facts.serviceNofile, facts.nofileCeiling), true)],
  });
  return out;
}
