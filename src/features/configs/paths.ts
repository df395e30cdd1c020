/**
 * The files the config doctor watches (glob-equivalent of `**​/libvirtd.conf`, `**​/my.cnf`, `**​/my.cnf.d/*.cnf`,
 * `**​/mariadb.conf.d/*.cnf`, `**​/conf.d/*.cnf`, `**​/limits.conf`, `**​/limits.d/*.conf`, `**​/*.service.d/*.conf`).
 * Kept free of `vscode` so it is unit-testable.
 */
const PATTERNS: RegExp[] = [
  /(^|\/)(libvirtd|virtproxyd)\.conf$/,
  /(^|\/)\.?my\.cnf$/,
  /(^|\/)(my\.cnf\.d|mariadb\.conf\.d|conf\.d)\/[^/]+\.cnf$/,
  /(^|\/)mariadb\.cnf$/,
  /(^|\/)limits\.conf$/,
  /(^|\/)limits\.d\/[^/]+\.conf$/,
  /(^|\/)[^/]+\.service\.d\/[^/]+\.conf$/,
];

export function isConfigDoctorPath(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return PATTERNS.some((re) => re.test(p));
}

/** The same list as VS Code glob patterns (for package.json / DocumentFilters). */
export const CONFIG_DOCTOR_GLOBS = [
  '**/libvirtd.conf',
  '**/virtproxyd.conf',
  '**/my.cnf',
  '**/mariadb.cnf',
  '**/my.cnf.d/*.cnf',
  '**/mariadb.conf.d/*.cnf',
  '**/conf.d/*.cnf',
  '**/limits.conf',
  '**/limits.d/*.conf',
  '**/*.service.d/*.conf',
];
