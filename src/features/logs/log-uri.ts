import * as vscode from 'vscode';

export const LOG_SCHEME = 'openstack-log';

/** What a correlated log document shows. Encoded in its URI, so a reopened tab (or a link) recreates it. */
export interface LogQuery {
  /** A request id (`req-<uuid>`). */
  request?: string;
  /** An instance (server uuid): its actions' request ids, uuid and domain name. */
  server?: string;
  /** Offline: a local folder (sosreport or `<host>/var/log` tree). */
  dir?: string;
  cloud?: string;
  /** Keep appending new lines (tail -F) after the first search. */
  follow?: boolean;
}

/** `openstack-log:/<title>.oslog?request=…&cloud=…&follow=1` — the `.oslog` suffix selects the grammar. */
export function logUri(q: LogQuery, title: string): vscode.Uri {
  const params = new URLSearchParams();
  if (q.request) params.set('request', q.request);
  if (q.server) params.set('server', q.server);
  if (q.dir) params.set('dir', q.dir);
  if (q.cloud) params.set('cloud', q.cloud);
  if (q.follow) params.set('follow', '1');
  const safe = title.replace(/[/\\?#%]/g, '_').slice(0, 80) || 'logs';
  return vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${safe}${q.follow ? ' (live)' : ''}.oslog`, query: params.toString() });
}

export function parseLogUri(uri: vscode.Uri): LogQuery {
  const p = new URLSearchParams(uri.query);
  return {
    request: p.get('request') ?? undefined,
    server: p.get('server') ?? undefined,
    dir: p.get('dir') ?? undefined,
    cloud: p.get('cloud') ?? undefined,
    follow: p.get('follow') === '1',
  };
}
