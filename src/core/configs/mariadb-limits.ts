/**
 * How mariadbd sizes itself against the open-files limit at startup (sql/mysqld.cc adjust_related_options).
 *
 * It requests max(10 + max_connections + table_open_cache·2, 5·max_connections, open_files_limit or 5000)
 * descriptors (the MySQL manual's formula, domain-facts §5). MariaDB 10.11 counts `extra_max_connections` and
 * every table-cache instance too, which gives — measured with `mariadbd --verbose --help` under
 * `prlimit --nofile=N` on MariaDB 10.11.19, see test/unit/configs/mariadb-limits.test.ts:
 *
 *   requested = max(max_connections + 33 + table_open_cache·2·instances, (max_connections + 1)·5, open_files_limit || 5000)
 *
 * When it gets fewer (it can raise its soft limit only up to the hard limit, which for a systemd service is
 * LimitNOFILE): with more files than max_connections it first drops to one table-cache instance; then it lowers
 * max_connections to `files − 30 − min(table_open_cache, 200)·2·instances` (at least 10) when that is smaller,
 * logging "Changed limits: … max_connections: N (was M)", and shrinks the table cache.
 * The OpenStack rule of thumb (and MySQL's) is that the service needs about 5 × max_connections descriptors.
 */

export interface MariadbFdInput {
  maxConnections: number;
  /** table_open_cache (default 2000). */
  tableOpenCache?: number;
  /** table_open_cache_instances (default 8). */
  tableOpenCacheInstances?: number;
  /** open_files_limit from the option files (0 = auto). */
  openFilesLimit?: number;
  /** The process's hard open-files limit (LimitNOFILE, or limits.conf for a login session); undefined = unlimited. */
  fdLimit: number | undefined;
}

export interface MariadbFdOutcome {
  requested: number;
  /** Descriptors the server ends up with. */
  effectiveFiles: number;
  /** max_connections the server will really allow. */
  effectiveMaxConnections: number;
  /** True when the server lowers max_connections (the "Changed limits" warning). */
  lowersMaxConnections: boolean;
  /** True when the limit is below 5 × max_connections (the guide's sizing). */
  belowGuide: boolean;
}

export const TABLE_OPEN_CACHE_DEFAULT = 2000;
export const TABLE_OPEN_CACHE_INSTANCES_DEFAULT = 8;
const TABLE_OPEN_CACHE_MIN = 200;

export function mariadbRequestedFiles(i: Omit<MariadbFdInput, 'fdLimit'>): number {
  const tc = i.tableOpenCache ?? TABLE_OPEN_CACHE_DEFAULT;
  const inst = i.tableOpenCacheInstances ?? TABLE_OPEN_CACHE_INSTANCES_DEFAULT;
  const mc = i.maxConnections;
  return Math.max(mc + 33 + tc * 2 * inst, (mc + 1) * 5, i.openFilesLimit && i.openFilesLimit > 0 ? i.openFilesLimit : 5000);
}

export function mariadbFdOutcome(i: MariadbFdInput): MariadbFdOutcome {
  const requested = mariadbRequestedFiles(i);
  const tc = i.tableOpenCache ?? TABLE_OPEN_CACHE_DEFAULT;
  const inst = i.tableOpenCacheInstances ?? TABLE_OPEN_CACHE_INSTANCES_DEFAULT;
  const files = i.fdLimit === undefined ? requested : Math.min(requested, i.fdLimit);
  let mc = i.maxConnections;
  if (files < requested) {
    // Measured (250 random points in test/fixtures/configs/mariadb-10.11-fd-grid.json): with more files than
    // max_connections MariaDB drops to one table-cache instance first; either way it then cuts max_connections to
    // what is left after the table cache's minimum (an unsigned underflow — fewer files than that minimum —
    // leaves max_connections alone).
    const instances = files > mc ? 1 : inst;
    const limit = files - 30 - Math.min(tc, TABLE_OPEN_CACHE_MIN) * 2 * instances;
    if (limit >= 0 && limit < mc) mc = Math.max(limit, 10);
  }
  return {
    requested,
    effectiveFiles: files,
    effectiveMaxConnections: mc,
    lowersMaxConnections: mc < i.maxConnections,
    belowGuide: i.fdLimit !== undefined && i.fdLimit < 5 * i.maxConnections,
  };
}

/** The open-files limit to configure for `maxConnections`: 5 × max_connections (20480 for the guide's 4096). */
export function recommendedNofile(maxConnections: number): number {
  return 5 * maxConnections;
}

/** The OpenStack install guide's `[mysqld] max_connections` (environment-sql-database). */
export const OPENSTACK_MAX_CONNECTIONS = 4096;
/** MariaDB's compiled-in default. */
export const MARIADB_DEFAULT_MAX_CONNECTIONS = 151;
