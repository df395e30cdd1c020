import * as assert from 'node:assert/strict';
import { main } from '../../../src/cli/main';
import { planInstanceLogs, type HostMapping } from '../../../src/core/journeys/log-plan';
import { correlate, type CorrelationResult } from '../../../src/core/logs/correlate';
import { PoolHostRunner } from '../../../src/core/logs/pool-host-runner';
import type { LogEntry } from '../../../src/core/logs/types';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { ensureLab } from '../../support/lab';
import { connectLab, createServer, deleteServer, uniqueName } from '../openstack/lab-cloud';

/**
 * Horizon for real (Debian's openstack-dashboard in the controller's Apache, vhost :80, /dashboard): an operator logs
 * in (Django's CSRF form), opens Admin → Instances → Live Migrate and picks bulk1. Horizon calls nova without a
 * microversion, so the host is forced and nova's conductor pre-checks it synchronously: bulk1 runs the fake driver,
 * its hypervisor type is not QEMU's, and nova answers 400. Horizon shows "Failed to live migrate instance to host
 * "bulk1"" and writes its own WARNING to horizon_error.log; nova logs the refusal only at INFO/WARNING. The
 * instance's correlated logs must show that httpd line.
 */

/** A browser enough for Horizon: a cookie jar (csrftoken, sessionid), the CSRF form field and the Referer. */
class HorizonSession {
  private cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(path: string, form?: Record<string, string>, referer?: string): Promise<{ status: number; url: string; body: string }> {
    let url = new URL(path, `${this.base}/`).toString();
    let method = form ? 'POST' : 'GET';
    let body: string | undefined = form ? new URLSearchParams(form).toString() : undefined;
    for (let hop = 0; hop < 10; hop++) {
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (referer) headers.referer = new URL(referer, `${this.base}/`).toString();
      const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(120_000) });
      for (const c of res.headers.getSetCookie()) {
        const m = /^([^=;\s]+)=([^;]*)/.exec(c);
        if (m) this.cookies.set(m[1], m[2]);
      }
      const text = await res.text();
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        url = new URL(loc, url).toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url, body: text };
    }
    throw new Error(`Too many redirects from ${path}`);
  }

  static csrf(html: string): string {
    const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('No csrfmiddlewaretoken in the page');
    return m[1];
  }

  async login(user: string, password: string): Promise<void> {
    const page = await this.request('dashboard/auth/login/');
    assert.equal(page.status, 200, `login page: HTTP ${page.status}`);
    assert.match(page.body, /<title>Login - OpenStack Dashboard/);
    const res = await this.request(
      'dashboard/auth/login/',
      { csrfmiddlewaretoken: HorizonSession.csrf(page.body), region: 'default', username: user, password, fake_email: '', fake_password: '' },
      'dashboard/auth/login/',
    );
    assert.equal(res.status, 200);
    assert.ok(!res.url.includes('/auth/login/'), `logged in (landed on ${res.url})`);
  }
}

describe('Horizon: a live migration nova refuses leaves Horizon\'s error in its httpd log (lab)', function () {
  this.timeout(400_000);
  let c: OpenStackClient;
  let pool: SshPool;
  let sshConfig: string;
  let mapping: HostMapping;
  let env: Record<string, string>;
  let server: Server | undefined;
  let requestId: string;
  let startedAt: number;

  before(async () => {
    env = ensureLab();
    sshConfig = env.LAB_SSH_CONFIG;
    const resolver = new SshConfigResolver({ configFile: sshConfig });
    pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
    mapping = {
      mapHost: (h) => h,
      aliasForAddress: (addr) => resolver.aliases().find((a) => { const t = resolver.resolve(a); return !t.jump && t.hostName === addr; }),
      known: (a) => resolver.aliases().includes(a),
    };
    c = await connectLab('lab');
    server = await createServer(c, uniqueName('ost-horizon'), 'compute1');
  });
  after(async () => {
    if (server) await deleteServer(c, server.id).catch(() => {});
    pool?.dispose();
    c?.dispose();
  });

  it('Admin → Live Migrate to bulk1 (Django CSRF login, the form POST): Horizon shows nova\'s refusal with its request id', async () => {
    const h = new HorizonSession(env.LAB_DASHBOARD_URL.replace(/\/dashboard\/?$/, ''));
    await h.login(env.LAB_ADMIN_USER || 'admin', env.LAB_ADMIN_PASSWORD);
    const formPath = `dashboard/admin/instances/${server!.id}/live_migrate`;
    const form = await h.request(formPath);
    assert.equal(form.status, 200);
    // the form lists every nova-compute service but the current host, bulk1 (disabled, fake driver) too
    const hosts = [...form.body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hosts, ['AUTO_SCHEDULE', 'bulk1', 'compute2']);
    assert.match(form.body, /name="current_host" value="compute1"/);
    startedAt = Date.now();
    const res = await h.request(formPath, { csrfmiddlewaretoken: HorizonSession.csrf(form.body), current_host: 'compute1', host: 'bulk1', instance_id: server!.id }, formPath);
    assert.equal(res.status, 200);
    assert.match(res.url, /\/dashboard\/admin\/instances\/$/, 'redirected to the instance list');
    assert.match(res.body, /Failed to live migrate instance to host &quot;bulk1&quot;\./);
    const m = /The supplied hypervisor type of is invalid\. \(HTTP 400\) \(Request-ID: (req-[0-9a-f-]{36})\)/.exec(res.body);
    assert.ok(m, 'nova\'s message and request id in the message details');
    requestId = m[1];
    // synchronous: nothing moved, the instance is ACTIVE on compute1, the migration record is "error"
    const s = (await c.compute.getServer(server!.id)).data;
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s.host, 'compute1');
    assert.equal(s.taskState, null);
    const actions = (await c.compute.listInstanceActions(server!.id)).data;
    assert.ok(actions.some((a) => a.action === 'live-migration' && a.requestId === requestId), 'the refusal is an instance action with Horizon\'s request id');
  });

  it('horizon_error.log on the controller has Horizon\'s own WARNING line; nova\'s logs have no ERROR for it', async function () {
    if (!requestId) this.skip();
    const grep = async (file: string) => {
      const r = await run(pool, 'controller', textCommand(['sh', '-c', 'grep -F -e "$1" -- "$2" || true', 'sh', requestId, file]));
      return r.stdout.split('\n').filter(Boolean);
    };
    const lines = await grep('/var/log/apache2/horizon_error.log');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0],
      new RegExp(
        String.raw`^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] \[wsgi:error\] \[pid \d+:tid \d+\] \[remote 198\.18\.0\.1:\d+\] ` +
          String.raw`WARNING horizon\.exceptions Recoverable error: The supplied hypervisor type of is invalid\. \(HTTP 400\) \(Request-ID: ${requestId}\)$`,
      ),
    );
    const nova = [...(await grep('/var/log/nova/nova-api.log')), ...(await grep('/var/log/nova/nova-conductor.log'))];
    assert.ok(nova.some((l) => / INFO nova\.api\.openstack\.wsgi .*HTTP exception thrown: The supplied hypervisor type of is invalid\./.test(l)), nova.join('\n'));
    assert.ok(nova.every((l) => !/^\S+ \S+ \d+ ERROR /.test(l)), `no ERROR in nova's logs:\n${nova.join('\n')}`);
  });

  const horizonLine = (r: CorrelationResult): LogEntry | undefined =>
    r.entries.find((e) => e.host === 'controller' && e.file === '/var/log/apache2/horizon_error.log' && e.requestId === requestId);

  it('the instance\'s correlated logs (its plan: uuid, actions\' request ids) include the httpd line, in time order', async function () {
    if (!requestId) this.skip();
    const plan = await planInstanceLogs(c, server!.id, mapping);
    assert.ok(plan.keys.some((k) => k.value === requestId), 'the refused live migration\'s request id is a key');
    const hosts = plan.hosts.map((x) => ({ runner: new PoolHostRunner(pool, x.alias, x.alias) }));
    const r = await correlate(plan.keys, hosts, { instanceUuid: plan.instanceUuid, instanceName: plan.instanceName, sinceMs: plan.sinceMs });
    const e = horizonLine(r);
    assert.ok(e, `httpd line expected; services: ${[...new Set(r.entries.map((x) => `${x.host} ${x.service}`))].join(', ')}`);
    assert.equal(e.service, 'httpd:horizon_error');
    assert.equal(e.level, 'WARNING');
    assert.ok(Math.abs(e.ts / 1000 - startedAt) < 60_000, 'its time is the POST\'s');
    const api = r.entries.filter((x) => x.service === 'nova-api' && x.requestId === requestId);
    assert.ok(api.length > 0, 'nova-api\'s lines of the same request');
    for (let i = 1; i < r.entries.length; i++) assert.ok(r.entries[i - 1].ts <= r.entries[i].ts, 'merged by time');
  });

  it('the CLI\'s instance query (only the uuid) finds it too: nova-api\'s line for the instance gives the request id', async function () {
    if (!requestId) this.skip();
    const out: string[] = [];
    const err: string[] = [];
    const cfgEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE };
    const code = await main(['logs', 'correlate', server!.id, '--cloud', 'lab', '--ssh-config', sshConfig, '--since', '1h', '--json'], {
      out: (t) => out.push(t), err: (t) => err.push(t), env: cfgEnv,
    });
    assert.equal(code, 0, err.join('\n'));
    const r = JSON.parse(out.join('')) as CorrelationResult;
    const e = horizonLine(r);
    assert.ok(e, `httpd line expected; services: ${[...new Set(r.entries.map((x) => `${x.host} ${x.service}`))].join(', ')}`);
    assert.match(e.lines[0], /WARNING horizon\.exceptions Recoverable error: .*\(Request-ID: req-/);
  });
});
