import assert from 'node:assert/strict';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import { newGlobalRequestId } from '../../../src/core/openstack/session';
import type { Server } from '../../../src/core/openstack/types';
import { connectLab, createServer, deleteServer, sleep, uniqueName, waitServer } from './lab-cloud';

/**
 * A live migration and a cold migration (+ confirm) driven by this client against the lab's two libvirt computes
 * (real guests), with their instance actions read back by the request id the client returned. Live migration goes
 * compute2 → compute1 (compute1's libvirtd listens on 16509; the other way fails, see test/integration/checks).
 */

describe('openstack migrations against the lab', function () {
  this.timeout(300_000);
  let c: OpenStackClient;
  let server: Server;

  before(async () => {
    c = await connectLab('lab');
    server = await createServer(c, uniqueName('ost-mig'), 'compute2');
    assert.equal(server.host, 'compute2');
  });
  after(async () => {
    if (server) await deleteServer(c, server.id);
    c?.dispose();
  });

  it('live-migrates to the other compute host; the returned request id is the instance action with its events', async () => {
    const res = await c.compute.liveMigrate(server.id, { host: 'compute1' });
    assert.match(res.requestId ?? '', /^req-/);
    const moved = await waitServer(c, server.id, (s) => s.status === 'ACTIVE' && s.taskState === null && s.host === 'compute1', 'ACTIVE on compute1');
    assert.equal(moved.hypervisorHostname !== undefined, true);

    const actions = await c.compute.listInstanceActions(server.id);
    const action = actions.data.find((a) => a.requestId === res.requestId);
    assert.ok(action, `an action with request id ${res.requestId}`);
    assert.equal(action.action, 'live-migration');
    // The server can be ACTIVE on the target while nova-compute is still finishing the last event (result null):
    // wait until every event has a result before judging them.
    let shown = await c.compute.getInstanceAction(server.id, res.requestId!);
    for (let i = 0; i < 60 && shown.data.events!.some((e) => e.result === null || e.result === undefined); i++) {
      await sleep(1000);
      shown = await c.compute.getInstanceAction(server.id, res.requestId!);
    }
    const events = shown.data.events!.map((e) => e.event);
    for (const e of ['conductor_live_migrate_instance', 'compute_check_can_live_migrate_destination', 'compute_pre_live_migration', 'compute_live_migration']) {
      assert.ok(events.includes(e), `event ${e} in ${events.join(', ')}`);
    }
    assert.ok(shown.data.events!.every((e) => e.result === 'Success'), `all events succeeded: ${shown.data.events!.map((e) => `${e.event}=${String(e.result)}`).join(', ')}`);

    // The server is ACTIVE on the target before nova-compute marks the migration completed: wait for that.
    let migs = await c.compute.listMigrations({ instanceUuid: server.id, migrationType: 'live-migration' });
    for (let i = 0; i < 60 && migs.data[0]?.status !== 'completed'; i++) {
      await sleep(1000);
      migs = await c.compute.listMigrations({ instanceUuid: server.id, migrationType: 'live-migration' });
    }
    assert.equal(migs.data[0].status, 'completed');
    assert.equal(migs.data[0].sourceCompute, 'compute2');
    assert.equal(migs.data[0].destCompute, 'compute1');
    // Completed live migrations are not "in progress": the server-migrations list is empty.
    assert.deepEqual((await c.compute.listServerMigrations(server.id)).data, []);
  });

  it('a live migration to an unknown host fails with Nova\'s own message', async () => {
    await assert.rejects(c.compute.liveMigrate(server.id, { host: 'no-such-host' }), (e: unknown) => {
      const err = e as Error & { code?: string; details?: { requestId?: string } };
      assert.match(err.message, /^Compute: POST \/v2\.1\/servers\/[0-9a-f-]+\/action returned 400: Compute host no-such-host could not be found \(request "req-[0-9a-f-]+"\)\.$/);
      return true;
    });
  });

  it('cold-migrates back to compute2 (2.56 target host; nova copies the disk over ssh), confirms the resize, and reads both actions', async () => {
    const gid = newGlobalRequestId();
    c.setGlobalRequestId(gid);
    let res;
    try {
      res = await c.compute.migrate(server.id, 'compute2');
    } finally {
      c.setGlobalRequestId(undefined);
    }
    // The response carries nova's own local id, not the global one we sent.
    assert.notEqual(res.requestId, gid);
    await waitServer(c, server.id, (s) => s.status === 'VERIFY_RESIZE', 'VERIFY_RESIZE');
    const confirm = await c.compute.confirmResize(server.id);
    const done = await waitServer(c, server.id, (s) => s.status === 'ACTIVE' && s.taskState === null, 'ACTIVE after confirm');
    assert.equal(done.host, 'compute2');

    const actions = (await c.compute.listInstanceActions(server.id)).data;
    assert.equal(actions.find((a) => a.requestId === res.requestId)?.action, 'migrate');
    assert.equal(actions.find((a) => a.requestId === confirm.requestId)?.action, 'confirmResize');
    assert.deepEqual(actions.slice(0, 3).map((a) => a.action), ['confirmResize', 'migrate', 'live-migration'], 'newest first');
    const m = (await c.compute.listMigrations({ instanceUuid: server.id, migrationType: 'migration' })).data[0];
    assert.equal(m.status, 'confirmed');
    assert.equal(m.sourceCompute, 'compute1');
    assert.equal(m.destCompute, 'compute2');
  });

  it('disables and re-enables a compute service with a reason (PUT /os-services/{uuid})', async () => {
    // Only nova-compute services can be updated; compute2 is disabled for a moment and always re-enabled.
    const svc = (await c.compute.listServices({ binary: 'nova-compute', host: 'compute2' })).data[0];
    assert.equal(svc.status, 'enabled');
    const reason = `ost integration ${process.pid}`;
    try {
      const off = await c.compute.disableService(svc, reason);
      assert.equal(off.data.status, 'disabled');
      assert.equal(off.data.disabledReason, reason);
      assert.match(off.requestId ?? '', /^req-/);
      const listed = (await c.compute.listServices({ binary: 'nova-compute', host: 'compute2' })).data[0];
      assert.equal(listed.disabledReason, reason);
    } finally {
      const on = await c.compute.enableService(svc);
      assert.equal(on.data.status, 'enabled');
    }
    await assert.rejects(
      c.compute.disableService((await c.compute.listServices({ binary: 'nova-scheduler' })).data[0], 'x'),
      (e: Error) => /returned 400: Updating a nova-scheduler service is not supported/.test(e.message),
    );
  });
});
