import { DOCS } from './docs';
import type { ConfigFacts } from './facts';
import { daemonReloadAndRestart, dropInNofile } from './fixes';
import { mariadbFdOutcome, recommendedNofile } from './mariadb-limits';
import type { Finding } from './model';
import { dropInService, parseLimitNofile, parseUnitFile } from './systemd-unit';
import { appendLines, documentEol, insertAfterLine, wholeLineRange } from './text';

const DB_SERVICES = /^(mariadb|mysql|mysqld|mariadb@[^.]*)\.service$/;

export function lintSystemdUnit(text: string, facts: ConfigFacts = {}, path = 'unit.conf'): Finding[] {
  const unit = parseUnitFile(text);
  const out: Finding[] = [];
  const service = dropInService(path) ?? (/([^/]+\.service)$/.exec(path)?.[1]);
  const eol = documentEol(text);
  const commands = service ? daemonReloadAndRestart(service) : [];

  for (const err of unit.errors) {
    out.push({ code: 'systemd/syntax', severity: 'error', message: `${err.message} systemd ignores the line.`, range: err.range, docUrl: DOCS.systemdDropIns, fixes: [] });
  }
  for (const e of unit.entries) {
    if (!/^Limit[A-Z]+$/.test(e.key)) continue;
    if (e.section !== 'Service') {
      const header = [...unit.sections].reverse().find((s) => s.name === 'Service');
      const line = `${e.key}=${e.value}`;
      const edits = header
        ? [{ range: wholeLineRange(unit.lines, e.line), newText: '' }, insertAfterLine(unit.lines, header.line, [line], eol)]
        : [{ range: wholeLineRange(unit.lines, e.line), newText: '' }, appendLines(text, ['[Service]', line], eol)];
      out.push({
        code: 'systemd/wrong-section',
        severity: 'error',
        message: `${e.key}= belongs in [Service]; in ${e.section ? `[${e.section}]` : 'no section'} systemd ignores it (with "Unknown key name" in the journal).`,
        range: e.keyRange,
        docUrl: DOCS.systemdExecLimits,
        fixes: [{ title: `Move ${e.key}= to [Service]`, preferred: true, files: [{ edits }], commands }],
      });
      continue;
    }
    if (e.key !== 'LimitNOFILE') continue;
    const v = parseLimitNofile(e.value);
    if (!v) {
      out.push({ code: 'systemd/bad-value', severity: 'error', message: `LimitNOFILE takes a number, "soft:hard" or "infinity", not "${e.value}"; systemd ignores the line.`, range: e.valueRange, docUrl: DOCS.systemdExecLimits, fixes: [] });
      continue;
    }
    if (v.soft > v.hard) {
      out.push({
        code: 'systemd/soft-above-hard',
        severity: 'error',
        message: `The soft limit ${v.soft} is above the hard limit ${v.hard}; systemd refuses the setting.`,
        range: e.valueRange,
        docUrl: DOCS.systemdExecLimits,
        fixes: [{ title: `Use ${v.hard} for both`, preferred: true, files: [{ edits: [{ range: e.valueRange, newText: String(v.hard) }] }], commands }],
      });
      continue;
    }
    const mc = facts.maxConnections;
    if (mc === undefined || !service || !DB_SERVICES.test(service) || v.hard === Infinity) continue;
    const outcome = mariadbFdOutcome({ maxConnections: mc, tableOpenCache: facts.tableOpenCache, tableOpenCacheInstances: facts.tableOpenCacheInstances, openFilesLimit: facts.openFilesLimitOption, fdLimit: v.hard });
    if (!outcome.lowersMaxConnections && !outcome.belowGuide) continue;
    out.push({
      code: 'systemd/limitnofile-too-low',
      severity: outcome.lowersMaxConnections ? 'error' : 'warning',
      message: outcome.lowersMaxConnections
        ? `LimitNOFILE=${e.value} cannot carry max_connections = ${mc}: MariaDB lowers it to ${outcome.effectiveMaxConnections} at startup. It needs about 5 × max_connections = ${recommendedNofile(mc)} descriptors.`
        : `LimitNOFILE=${e.value} is below 5 × max_connections = ${recommendedNofile(mc)}: MariaDB shrinks its table cache and can run out of descriptors under load.`,
      range: e.valueRange,
      docUrl: DOCS.mariadbSystemd,
      fixes: dropInNofile(recommendedNofile(mc), undefined, facts.nofileCeiling) > v.hard
        ? [{ title: `Set LimitNOFILE=${dropInNofile(recommendedNofile(mc), undefined, facts.nofileCeiling)}`, preferred: true, files: [{ edits: [{ range: e.valueRange, newText: String(dropInNofile(recommendedNofile(mc), undefined, facts.nofileCeiling)) }] }], commands }]
        : [],
    });
  }
  return out;
}
