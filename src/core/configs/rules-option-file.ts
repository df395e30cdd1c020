import { MARIADB_CLIENT_OPTION_NAMES } from './data/mariadb-client-options';
import { MARIADBD_OPTION_NAMES } from './data/mariadbd-options';
import { DOCS } from './docs';
import type { ConfigFacts } from './facts';
import { dropInNofile, limitNofileDropInFix } from './fixes';
import { mariadbFdOutcome, OPENSTACK_MAX_CONNECTIONS, recommendedNofile } from './mariadb-limits';
import type { Finding, Fix, TextEdit } from './model';
import {
  isClientGroup,
  parseOptionFile,
  parseOptionNumber,
  serverReadsGroup,
  type OptionFile,
  type OptionLine,
  type OptionOccurrence,
  type OptionTree,
} from './option-file';
import { appendLines, documentEol, editDistance, insertAfterLine, wholeLineRange } from './text';

const SERVER = new Set(MARIADBD_OPTION_NAMES);
const CLIENT = new Set(MARIADB_CLIENT_OPTION_NAMES);
const SERVER_SORTED = [...MARIADBD_OPTION_NAMES].sort();
/** Server tuning that is always a mistake in a client group, even where some client tool has an option of that name. */
const SERVER_TUNING = new Set(['max-connections', 'open-files-limit', 'table-open-cache', 'innodb-buffer-pool-size', 'bind-address', 'max-connect-errors', 'innodb-log-file-size', 'thread-cache-size', 'wait-timeout', 'character-set-server', 'collation-server', 'default-storage-engine', 'innodb-file-per-table', 'skip-name-resolve']);
/** mysqld_safe's own groups: not read when systemd starts the server. */
const SAFE_GROUPS = new Set(['mysqld_safe', 'mysqld-safe', 'safe_mysqld', 'safe-mysqld', 'mariadbd-safe', 'mariadb-safe', 'mariadb_safe', 'mariadbd_safe']);

export type OptionNameStatus = { status: 'known'; name: string } | { status: 'ambiguous'; candidates: string[] } | { status: 'unknown'; suggestion?: string };

/**
 * Whether mariadbd accepts an option name: exactly, with a `skip-`/`enable-`/`disable-`/`maximum-` modifier, or as
 * an unambiguous prefix (MariaDB's getopt-prefix-matching is on by default).
 */
export function classifyServerOption(name: string): OptionNameStatus {
  if (SERVER.has(name)) return { status: 'known', name };
  const mod = /^(skip|enable|disable|maximum)-(.+)$/.exec(name);
  if (mod && SERVER.has(mod[2])) return { status: 'known', name: mod[2] };
  const prefixed = SERVER_SORTED.filter((o) => o.startsWith(name));
  if (prefixed.length === 1) return { status: 'known', name: prefixed[0] };
  if (prefixed.length > 1 && name.length >= 3) return { status: 'ambiguous', candidates: prefixed.slice(0, 5) };
  return { status: 'unknown', suggestion: nearestOption(mod ? mod[2] : name) };
}

function nearestOption(name: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of SERVER_SORTED) {
    if (Math.abs(o.length - name.length) > 4) continue;
    const d = editDistance(name, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** Keep the user's spelling style (underscores or dashes) when suggesting a name. */
function inUserStyle(raw: string, canonical: string): string {
  return raw.includes('_') ? canonical.replace(/-/g, '_') : canonical;
}

function fileText(f: OptionFile): string {
  return f.lines.map((l) => l.text + l.eol).join('');
}

/** Edits that move an option line into the file's [mysqld] group (created at the end when there is none). */
function moveToMysqld(f: OptionFile, opt: OptionLine): TextEdit[] {
  const text = fileText(f);
  const eol = documentEol(text);
  const lineText = f.lines[opt.line].text.trim();
  const del: TextEdit = { range: wholeLineRange(f.lines, opt.line), newText: '' };
  const target = [...f.groups].reverse().find((g) => ['mysqld', 'mariadb', 'server'].includes(g.name.toLowerCase()));
  if (target) {
    // After the last option of that group (or its header).
    const inGroup = f.options.filter((o) => o.line > target.line && f.groups.every((g) => g.line <= target.line || g.line > o.line));
    const after = inGroup.length ? inGroup[inGroup.length - 1].line : target.line;
    if (after === opt.line) return [];
    return [del, insertAfterLine(f.lines, after, [lineText], eol)];
  }
  return [del, appendLines(text, ['', '[mysqld]', lineText], eol)];
}

function lineRange(f: OptionFile, o: OptionLine) {
  return { start: o.nameRange.start, end: o.valueRange?.end ?? o.nameRange.end };
}

function where(o: OptionOccurrence): string {
  return `${o.path}:${o.option.line + 1}`;
}

export function lintOptionFile(text: string, facts: ConfigFacts = {}, path = 'my.cnf'): Finding[] {
  const f = parseOptionFile(text);
  const out: Finding[] = [];
  const service = facts.dbService ?? 'mariadb.service';
  const tree: OptionTree = facts.optionTree && facts.optionTree.files.some((x) => x.path === path)
    ? facts.optionTree
    : { files: [{ path, parsed: f }], occurrences: f.options.map((option) => ({ path, option })), missing: [] };

  for (const err of f.errors) {
    out.push({ code: 'mysql/syntax', severity: 'error', message: err.message, range: err.range, docUrl: DOCS.mariadbOptionFiles, fixes: [] });
  }
  for (const m of tree.missing.filter((x) => x.from === path)) {
    const inc = f.includes.find((i) => i.line === m.line);
    if (!inc) continue;
    out.push({ code: 'mysql/include-missing', severity: 'warning', message: `"${m.path}" does not exist or cannot be read, so nothing from it is used.`, range: inc.pathRange, docUrl: DOCS.mariadbOptionFiles, fixes: [] });
  }

  const serverOpt = (o: OptionLine) => o.group !== undefined && serverReadsGroup(o.group, facts.serverVersion);

  /** Canonical names that a misspelt option of this file would become with its "did you mean" fix. */
  const suggested = new Set<string>();
  for (const o of f.options) {
    if (o.group === undefined) continue;
    const group = o.group;
    // Pasted in the wrong place: a server option in a group only clients (or mysqld_safe) read.
    if (!serverReadsGroup(group) && (isClientGroup(group) || SAFE_GROUPS.has(group))) {
      const safe = SAFE_GROUPS.has(group);
      const serverOnly = SERVER.has(o.name) && (!CLIENT.has(o.name) || SERVER_TUNING.has(o.name));
      if (safe && (o.name === 'open-files-limit' || o.name === 'core-file-size')) {
        out.push({
          code: 'mysql/mysqld-safe-ignored',
          severity: 'warning',
          message: `[${group}] is read only by the mysqld_safe script; when systemd starts MariaDB, mysqld_safe is not used and "${o.rawName}" does nothing. Set the service's LimitNOFILE in a systemd drop-in instead.`,
          range: lineRange(f, o),
          docUrl: DOCS.mariadbSystemd,
          fixes: [limitNofileDropInFix(service, dropInNofile(Math.max(parseOptionNumber(o.value) ?? 0, recommendedNofile(facts.maxConnections ?? OPENSTACK_MAX_CONNECTIONS)), facts.serviceNofile, facts.nofileCeiling))],
        });
      } else if (!safe && serverOnly) {
        const edits = moveToMysqld(f, o);
        out.push({
          code: 'mysql/wrong-section',
          severity: 'warning',
          message: `"${o.rawName}" is a server option, but [${group}] is read only by client programs, so the server never sees it (pasted in the wrong place?). Put it under [mysqld].`,
          range: lineRange(f, o),
          docUrl: DOCS.mariadbOptionFiles,
          fixes: edits.length ? [{ title: `Move "${o.rawName}" to [mysqld]`, preferred: true, files: [{ edits }], commands: [{ argv: ['systemctl', 'restart', service.replace(/\.service$/, '')], sudo: true, description: 'Restart MariaDB so it reads the option.' }] }] : [],
        });
      }
      continue;
    }
    if (!serverOpt(o)) continue;
    // Unknown option names in server groups: mariadbd refuses to start ("unknown variable").
    if (!o.loose) {
      const bothClientAndServer = group === 'client-server';
      const c = classifyServerOption(o.name);
      if (c.status === 'unknown' && !(bothClientAndServer && CLIENT.has(o.name))) {
        const fixes: Fix[] = [];
        if (c.suggestion) suggested.add(c.suggestion);
        if (c.suggestion) fixes.push({ title: `Change to "${inUserStyle(o.rawName, c.suggestion)}"`, preferred: true, files: [{ edits: [{ range: o.nameRange, newText: inUserStyle(o.rawName, c.suggestion) }] }] });
        fixes.push({ title: `Prefix with "loose-" (for an option of a plugin that may not be loaded)`, preferred: false, files: [{ edits: [{ range: { start: o.nameRange.start, end: o.nameRange.start }, newText: 'loose-' }] }] });
        out.push({
          code: 'mysql/unknown-option',
          severity: 'error',
          message: `mariadbd does not know "${o.rawName}" and refuses to start ("unknown variable")${c.suggestion ? `; did you mean "${inUserStyle(o.rawName, c.suggestion)}"?` : '.'} Options of plugins need the "loose-" prefix.`,
          range: o.nameRange,
          docUrl: DOCS.mariadbOptionFiles,
          fixes,
        });
      } else if (c.status === 'ambiguous') {
        out.push({
          code: 'mysql/ambiguous-option',
          severity: 'error',
          message: `"${o.rawName}" is the beginning of several options (${c.candidates.join(', ')}); mariadbd refuses to start. Write the full name.`,
          range: o.nameRange,
          docUrl: DOCS.mariadbOptionFiles,
          fixes: c.candidates.slice(0, 3).map((n) => ({ title: `Change to "${inUserStyle(o.rawName, n)}"`, preferred: false, files: [{ edits: [{ range: o.nameRange, newText: inUserStyle(o.rawName, n) }] }] })),
        });
      }
    }
  }

  // Set in several places: the last one read wins (files in read order, !includedir sorted).
  const byName = new Map<string, OptionOccurrence[]>();
  for (const occ of tree.occurrences) {
    if (occ.option.group === undefined || !serverReadsGroup(occ.option.group, facts.serverVersion)) continue;
    const list = byName.get(occ.option.name) ?? [];
    list.push(occ);
    byName.set(occ.option.name, list);
  }
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    const winner = list[list.length - 1];
    for (const occ of list) {
      if (occ.path !== path) continue;
      const o = occ.option;
      if (occ === winner) {
        const others = list.slice(0, -1);
        if (others.every((x) => x.option.value === o.value)) continue;
        out.push({
          code: 'mysql/overrides',
          severity: 'info',
          message: `"${o.rawName}" is also set in ${others.map(where).join(', ')}; this one is read last and wins.`,
          range: lineRange(f, o),
          docUrl: DOCS.mariadbOptionFiles,
          fixes: [],
          related: others.map((x) => ({ path: x.path, range: lineRange(x.option.group !== undefined ? treeFile(tree, x.path) ?? f : f, x.option), message: `Overridden value: ${x.option.value ?? '(flag)'}` })),
        });
      } else if (winner.option.value !== o.value) {
        out.push({
          code: 'mysql/overridden',
          severity: 'warning',
          message: `"${o.rawName}" = ${o.value ?? '(flag)'} here does nothing: ${where(winner)} sets ${name} = ${winner.option.value ?? '(flag)'} and is read later (the last one read wins; !includedir reads files in alphabetical order).`,
          range: lineRange(f, o),
          docUrl: DOCS.mariadbOptionFiles,
          fixes: [{ title: `Remove this overridden "${o.rawName}"`, preferred: false, files: [{ edits: [{ range: wholeLineRange(f.lines, o.line), newText: '' }] }] }],
          related: [{ path: winner.path, range: lineRange(treeFile(tree, winner.path) ?? f, winner.option), message: 'The value MariaDB uses.' }],
        });
      }
    }
  }

  // max_connections: the guide's 4096, and whether the open-files limit can carry it.
  const mcAll = byName.get('max-connections') ?? [];
  const mcWinner = mcAll[mcAll.length - 1];
  const mine = mcWinner && mcWinner.path === path ? mcWinner.option : undefined;
  if (mine) {
    const mc = parseOptionNumber(mine.value);
    const range = mine.valueRange ?? mine.nameRange;
    if (mc === undefined) {
      out.push({ code: 'mysql/bad-value', severity: 'error', message: `max_connections must be a number, not "${mine.value ?? ''}".`, range, docUrl: DOCS.mariadbMaxConnections, fixes: [] });
    } else {
      if (mc < OPENSTACK_MAX_CONNECTIONS) {
        out.push({
          code: 'mysql/max-connections-low',
          severity: 'warning',
          message: `max_connections = ${mc} is below the ${OPENSTACK_MAX_CONNECTIONS} the OpenStack installation guide sets: every nova, neutron, keystone… worker keeps a connection pool, and a busy control plane fails with "Too many connections".`,
          range,
          docUrl: DOCS.openstackSqlGuide,
          fixes: mine.valueRange ? [{ title: `Set max_connections = ${OPENSTACK_MAX_CONNECTIONS}`, preferred: true, files: [{ edits: [{ range: mine.valueRange, newText: String(OPENSTACK_MAX_CONNECTIONS) }] }] }] : [],
        });
      }
      if (facts.serviceNofile !== undefined && facts.serviceNofile !== Infinity) {
        const outcome = mariadbFdOutcome({ maxConnections: mc, tableOpenCache: facts.tableOpenCache, tableOpenCacheInstances: facts.tableOpenCacheInstances, openFilesLimit: facts.openFilesLimitOption, fdLimit: facts.serviceNofile });
        if (outcome.lowersMaxConnections || outcome.belowGuide) {
          const target = dropInNofile(recommendedNofile(mc), undefined, facts.nofileCeiling);
          const capped = target < recommendedNofile(mc) ? ` This host grants at most ${facts.nofileCeiling} open files, so the fix sets ${target}.` : '';
          const src = facts.serviceNofileSource ? ` (LimitNOFILE from ${facts.serviceNofileSource})` : '';
          out.push({
            code: 'mysql/open-files-too-low',
            severity: outcome.lowersMaxConnections ? 'error' : 'warning',
            message: outcome.lowersMaxConnections
              ? `The service may open only ${facts.serviceNofile} files${src}, so MariaDB lowers max_connections from ${mc} to ${outcome.effectiveMaxConnections} at startup ("Changed limits" in its log). It needs about 5 × max_connections = ${recommendedNofile(mc)} descriptors; raise LimitNOFILE in a systemd drop-in (limits.conf does not apply to services).${capped}`
              : `The service may open only ${facts.serviceNofile} files${src}, less than 5 × max_connections = ${recommendedNofile(mc)}: MariaDB shrinks its table cache and can hit "Too many open files" under load. Raise LimitNOFILE in a systemd drop-in (limits.conf does not apply to services).${capped}`,
            range,
            docUrl: DOCS.mariadbOpenFilesLimit,
            fixes: target > facts.serviceNofile ? [limitNofileDropInFix(service, target)] : [],
          });
        }
      }
    }
  } else if (mcAll.length === 0 && facts.optionTree) {
    // Nothing sets it anywhere: the compiled-in 151 applies. Info on this file's [mysqld] header.
    const header = f.groups.find((g) => g.name.toLowerCase() === 'mysqld');
    const misspelt = suggested.has('max-connections');
    if (header) {
      const lines = f.lines;
      out.push({
        code: 'mysql/max-connections-default',
        severity: 'info',
        message: `No option file sets max_connections, so MariaDB's default of 151 applies; the OpenStack installation guide sets ${OPENSTACK_MAX_CONNECTIONS} for a control plane.${misspelt ? ' This file has a misspelt max_connections: correct its name (its own fix) instead of adding a second line.' : ''}`,
        range: header.nameRange,
        docUrl: DOCS.openstackSqlGuide,
        // a misspelt max_connections here gets its own fix; adding a line too would leave two after both fixes
        fixes: misspelt ? [] : [{ title: `Add max_connections = ${OPENSTACK_MAX_CONNECTIONS} to [mysqld]`, preferred: true, files: [{ edits: [insertAfterLine(lines, header.line, [`max_connections = ${OPENSTACK_MAX_CONNECTIONS}`], documentEol(fileText(f)))] }] }],
      });
    }
  }
  return out;
}

function treeFile(tree: OptionTree, path: string): OptionFile | undefined {
  return tree.files.find((x) => x.path === path)?.parsed;
}
