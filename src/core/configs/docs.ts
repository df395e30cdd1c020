/** Upstream documentation the findings link to. */
export const DOCS = {
  libvirtDaemons: 'https://libvirt.org/daemons.html',
  libvirtRemote: 'https://libvirt.org/remote.html',
  libvirtAuth: 'https://libvirt.org/auth.html',
  libvirtTls: 'https://libvirt.org/kbase/tlscerts.html',
  novaMigrations: 'https://docs.openstack.org/nova/latest/admin/configuring-migrations.html',
  novaLibvirtOptions: 'https://docs.openstack.org/nova/latest/configuration/config.html#libvirt.live_migration_scheme',
  openstackSqlGuide: 'https://docs.openstack.org/install-guide/environment-sql-database-ubuntu.html',
  mariadbOptionFiles: 'https://mariadb.com/kb/en/configuring-mariadb-with-option-files/',
  mariadbMaxConnections: 'https://mariadb.com/kb/en/server-system-variables/#max_connections',
  mariadbOpenFilesLimit: 'https://mariadb.com/kb/en/server-system-variables/#open_files_limit',
  mariadbSystemd: 'https://mariadb.com/kb/en/systemd/#configuring-the-open-files-limit',
  limitsConf: 'https://man7.org/linux/man-pages/man5/limits.conf.5.html',
  pamLimits: 'https://man7.org/linux/man-pages/man8/pam_limits.8.html',
  systemdExecLimits: 'https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#LimitCPU=',
  systemdDropIns: 'https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html',
} as const;
