import { effectiveServerOption, loadOptionTree, parseOptionFile, parseOptionNumber, type ConfigReader, type OptionTree } from './option-file';
import { parseLimitNofile, parseUnitFile, unitValue } from './systemd-unit';

/**
 * What the rules may know beyond the document itself: the rest of the host's configuration and what nova expects.
 * Every field is optional; a rule that lacks a fact says less (or lowers its severity) instead of guessing.
 */
export interface ConfigFacts {
  /** nova.conf [libvirt] live_migration_scheme (tcp, tls, ssh…). */
  novaMigrationScheme?: string;
  /** nova.conf [libvirt] live_migration_uri (deprecated but still used), e.g. `qemu+tcp://%s/system`. */
  novaMigrationUri?: string;
  /** nova.conf [libvirt] live_migration_with_native_tls. */
  novaNativeTls?: boolean;
  /** nova.conf [libvirt] live_migration_inbound_addr: the address libvirtd should listen on. */
  migrationAddress?: string;
  /**
   * How libvirt serves remote connections on this host: `listen` (libvirtd --listen reads listen_tcp…),
   * `socket` (systemd socket activation, libvirt ≥ 5.6: libvirtd-tcp.socket), `modular` (virtproxyd).
   */
  libvirtModel?: 'listen' | 'socket' | 'modular';
  /** Socket units enabled in /etc/systemd/system/sockets.target.wants (libvirtd-tcp.socket, virtproxyd-tcp.socket…). */
  enabledSockets?: string[];
  /** Whether the TLS key/cert/CA files libvirtd would load exist (undefined: unknown). */
  libvirtTlsFilesPresent?: boolean;
  /** MariaDB version (for [mariadb-X.Y] groups), e.g. `10.11.19`. */
  serverVersion?: string;
  /** Every option file the server reads on this host, with the edited document's current text. */
  optionTree?: OptionTree;
  /** Effective configured max_connections (from optionTree, or given). */
  maxConnections?: number;
  tableOpenCache?: number;
  tableOpenCacheInstances?: number;
  openFilesLimitOption?: number;
  /** The database service's open-files limit (hard LimitNOFILE, after drop-ins); Infinity for infinity. */
  serviceNofile?: number;
  /** Where serviceNofile comes from, for messages. */
  serviceNofileSource?: string;
  /**
   * The most open files a service can get on this host (systemd: /proc/sys/fs/nr_open; in a container, the
   * service manager's own hard limit). A drop-in above it makes the service fail to start, so fixes stay below.
   */
  nofileCeiling?: number;
  /** The database service's systemd unit name (default `mariadb.service`). */
  dbService?: string;
  /** The Unix user the database runs as (default `mysql`). */
  dbUser?: string;
  /** For "changed but not yet applied": when the file was last modified and when its service's process started (ms). */
  fileModifiedAt?: number;
  serviceStartedAt?: number;
  /** Service the edited file belongs to, for the restart-pending message (`libvirtd`, `mariadb`). */
  serviceName?: string;
}

/** Option files mariadbd reads by default on Debian/Ubuntu and RHEL-family hosts (it reads all that exist). */
export const DEFAULT_OPTION_ROOTS = ['/etc/my.cnf', '/etc/mysql/my.cnf'];

/** Unit files of the database service, in systemd's precedence order (later overrides earlier). */
const DB_UNIT_DIRS = ['/lib/systemd/system', '/usr/lib/systemd/system', '/etc/systemd/system'];

/** A reader that sees `overlay` texts instead of the files (the editor's unsaved document). */
export function overlayReader(reader: ConfigReader, overlay: Record<string, string>): ConfigReader {
  return {
    read: async (p) => (p in overlay ? overlay[p] : reader.read(p)),
    list: async (d) => {
      const names = await reader.list(d);
      const extra = Object.keys(overlay).filter((p) => p.startsWith(d.endsWith('/') ? d : `${d}/`) && !p.slice(d.length + 1).includes('/')).map((p) => p.slice(p.lastIndexOf('/') + 1));
      if (names === undefined && extra.length === 0) return undefined;
      return [...new Set([...(names ?? []), ...extra])];
    },
  };
}

/**
 * Collects facts from a host's files through `reader` (local fs, SFTP, or a fixture tree). Best effort: what
 * cannot be read stays unknown. `document` is the file being edited, with its current (maybe unsaved) text.
 */
export async function gatherFacts(reader: ConfigReader, document?: { path: string; text: string }, given: ConfigFacts = {}): Promise<ConfigFacts> {
  const r = document ? overlayReader(reader, { [document.path]: document.text }) : reader;
  const facts: ConfigFacts = { ...given };
  const dbService = facts.dbService ?? 'mariadb.service';

  // MariaDB option files. The edited file is a root too when it is not under the default tree (a copy, a new file).
  const roots = [...DEFAULT_OPTION_ROOTS];
  const tree = await loadOptionTree(roots, r);
  if (document && /\.(cnf|ini)$|my\.cnf/.test(document.path) && !tree.files.some((f) => f.path === document.path)) {
    const own = await loadOptionTree([document.path], r);
    tree.files.push(...own.files);
    tree.occurrences.push(...own.occurrences);
    tree.missing.push(...own.missing);
  }
  if (tree.files.length > 0) {
    facts.optionTree ??= tree;
    const num = (name: string) => parseOptionNumber(effectiveServerOption(tree, name, facts.serverVersion)?.option.value);
    facts.maxConnections ??= num('max-connections');
    facts.tableOpenCache ??= num('table-open-cache');
    facts.tableOpenCacheInstances ??= num('table-open-cache-instances');
    facts.openFilesLimitOption ??= num('open-files-limit');
  }

  // The database service's LimitNOFILE: the unit file, then drop-ins in /etc/systemd/system/<unit>.d (sorted).
  if (facts.serviceNofile === undefined) {
    let nofile: number | undefined;
    let source: string | undefined;
    for (const dir of DB_UNIT_DIRS) {
      const path = `${dir}/${dbService}`;
      const t = await r.read(path);
      if (t === undefined) continue;
      const e = unitValue(parseUnitFile(t), 'Service', 'LimitNOFILE');
      const v = e && parseLimitNofile(e.value);
      if (v) {
        nofile = v.hard;
        source = `${path}:${e.line + 1}`;
      }
    }
    for (const dir of ['/usr/lib/systemd/system', '/run/systemd/system', '/etc/systemd/system']) {
      const d = `${dir}/${dbService}.d`;
      const names = (await r.list(d))?.filter((n) => n.endsWith('.conf')).sort() ?? [];
      for (const n of names) {
        const t = await r.read(`${d}/${n}`);
        if (t === undefined) continue;
        const e = unitValue(parseUnitFile(t), 'Service', 'LimitNOFILE');
        const v = e && parseLimitNofile(e.value);
        if (v) {
          nofile = v.hard;
          source = `${d}/${n}:${e.line + 1}`;
        }
      }
    }
    if (nofile !== undefined) {
      facts.serviceNofile = nofile;
      facts.serviceNofileSource = source;
    }
  }

  // nova.conf [libvirt] transport.
  const nova = await r.read('/etc/nova/nova.conf');
  if (nova !== undefined) {
    const parsed = parseOptionFile(nova);
    const get = (k: string) => {
      const all = parsed.options.filter((o) => o.group === 'libvirt' && o.rawName === k && o.value !== undefined);
      return all[all.length - 1]?.value;
    };
    facts.novaMigrationScheme ??= get('live_migration_scheme');
    facts.novaMigrationUri ??= get('live_migration_uri');
    facts.migrationAddress ??= get('live_migration_inbound_addr');
    const tls = get('live_migration_with_native_tls');
    if (tls !== undefined) facts.novaNativeTls ??= /^(true|1|yes|on)$/i.test(tls);
  }

  // libvirt's service model: --listen in the daemon's arguments means libvirtd reads listen_tcp & co; otherwise
  // an enabled libvirtd.socket (Debian 12's default) or virtproxyd.socket means socket activation.
  facts.enabledSockets ??= (await r.list('/etc/systemd/system/sockets.target.wants'))?.filter((n) => n.endsWith('.socket'));
  if (facts.libvirtModel === undefined) {
    for (const p of ['/etc/default/libvirtd', '/etc/sysconfig/libvirtd']) {
      const t = await r.read(p);
      if (t !== undefined && /^\s*(LIBVIRTD_ARGS|libvirtd_opts)\s*=.*--listen\b/m.test(t)) facts.libvirtModel = 'listen';
    }
  }
  if (facts.libvirtModel === undefined && facts.enabledSockets) {
    if (facts.enabledSockets.includes('virtproxyd.socket') && !facts.enabledSockets.includes('libvirtd.socket')) facts.libvirtModel = 'modular';
    else if (facts.enabledSockets.includes('libvirtd.socket')) facts.libvirtModel = 'socket';
  }
  if (facts.libvirtTlsFilesPresent === undefined) {
    // The CA and server certificate live in world-readable directories (the key's directory is root-only, so a
    // non-root SFTP session could not tell; it is not checked).
    const ca = (await r.list('/etc/pki/CA'))?.includes('cacert.pem') ?? false;
    const cert = (await r.list('/etc/pki/libvirt'))?.includes('servercert.pem') ?? false;
    facts.libvirtTlsFilesPresent = ca && cert;
  }
  return facts;
}
