import { isTroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { OpenStackClient } from '../../../src/core/openstack/client';
import { loadCloudConfig, type CloudConfig } from '../../../src/core/openstack/clouds-config';
import type { ComputeService, Server } from '../../../src/core/openstack/types';
import { ensureLab } from '../../support/lab';

/** Shared helpers of the OpenStack integration tests: the lab's clouds and servers made (and removed) by the tests. */

export function labCloud(name: 'lab' | 'lab-demo' = 'lab'): CloudConfig {
  const env = ensureLab();
  return loadCloudConfig(name, { env: { OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE } });
}

export async function connectLab(name: 'lab' | 'lab-demo' = 'lab', logger = new MemoryLogger()): Promise<OpenStackClient> {
  return OpenStackClient.connect(labCloud(name), { logger, timeoutMs: 30_000 });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `done(server)` or the deadline; returns the last server. */
export async function waitServer(c: OpenStackClient, id: string, done: (s: Server) => boolean, what: string, timeoutMs = 120_000): Promise<Server> {
  const end = Date.now() + timeoutMs;
  let last: Server | undefined;
  while (Date.now() < end) {
    last = (await c.compute.getServer(id)).data;
    if (done(last)) return last;
    if (last.status === 'ERROR') throw new Error(`Server ${id} went to ERROR while waiting for ${what}: ${last.fault?.message ?? ''}`);
    await sleep(1000);
  }
  throw new Error(`Server ${id} did not reach ${what} within ${timeoutMs} ms (status ${last?.status}, task ${last?.taskState})`);
}

/**
 * After a restart of libvirtd on a compute, nova's libvirt driver disables its service ("AUTO: Connection to libvirt
 * lost") until it reconnects: wait until the host's nova-compute is enabled and up again, as an operator would. Nova
 * re-enables the service only at the moment it reconnects; when the database is away at that moment (another test
 * restarting MariaDB) it logs "Cannot update service status" and the service stays disabled for good. After 60 s
 * with libvirt back, this does what the operator does then: enable it. Enabled means enabled for 15 s in a row.
 */
export async function waitComputeEnabled(c: OpenStackClient, host: string, timeoutMs = 180_000): Promise<void> {
  // nova sees the closed connection a moment after libvirtd restarts: give it that moment before the first look
  await sleep(3000);
  const start = Date.now();
  const end = start + timeoutMs;
  let last: ComputeService | undefined;
  let healedAt = start;
  // nova can report the old connection's close just after it reconnected (seen: enabled at :32.5, "lost" at :34):
  // enabled and up for 15 s in a row counts, one good poll does not
  let goodSince: number | undefined;
  while (Date.now() < end) {
    last = (await c.compute.listServices({ binary: 'nova-compute', host })).data[0];
    if (last?.status === 'enabled' && last.state === 'up') {
      goodSince ??= Date.now();
      if (Date.now() - goodSince >= 15_000) return;
    } else goodSince = undefined;
    if (last && last.state === 'up' && /^AUTO: Connection to libvirt lost/.test(last.disabledReason ?? '') && Date.now() - healedAt > 60_000) {
      await c.compute.enableService(last);
      healedAt = Date.now();
    }
    await sleep(2000);
  }
  throw new Error(`nova-compute on ${host} is not enabled and up after ${timeoutMs} ms (${last?.status}, ${last?.state}, ${last?.disabledReason ?? ''})`);
}

/** IDs of the lab's m1.tiny flavor, lab-img image and private network, found by listing. */
export async function bootRefs(c: OpenStackClient): Promise<{ flavorId: string; imageId: string; networkId: string }> {
  const flavors = (await c.compute.client.get('/flavors')).body as { flavors: { id: string; name: string }[] };
  const flavor = flavors.flavors.find((f) => f.name === 'm1.tiny') ?? flavors.flavors[0];
  const glance = (await c.identity.catalog()).find((s) => s.type === 'image')?.endpoints.find((e) => e.interface === 'public')?.url;
  if (!glance) throw new Error('no image endpoint in the lab catalog');
  const token = await c.auth.token();
  const images = (await c.session.request({ method: 'GET', url: `${glance.replace(/\/+$/, '')}/v2/images`, headers: { 'X-Auth-Token': token.value } })).body as {
    images: { id: string; name: string }[];
  };
  const image = images.images.find((i) => i.name === 'lab-img') ?? images.images[0];
  const nets = (await c.network.listNetworks()).data;
  const net = nets.find((n) => n.name === 'private') ?? nets.find((n) => !n.external);
  if (!flavor || !image || !net) throw new Error('the lab has no flavor, image or private network');
  return { flavorId: flavor.id, imageId: image.id, networkId: net.id };
}

/** Boots a test server (on `host` when given, via the az:host form) and waits for ACTIVE. */
export async function createServer(c: OpenStackClient, name: string, host?: string): Promise<Server> {
  const refs = await bootRefs(c);
  const res = await c.compute.client.call('POST', '/servers', {
    json: {
      server: {
        name,
        flavorRef: refs.flavorId,
        imageRef: refs.imageId,
        networks: [{ uuid: refs.networkId }],
        ...(host ? { availability_zone: `nova:${host}` } : {}),
      },
    },
  });
  const id = (res.body as { server: { id: string } }).server.id;
  const server = await waitServer(c, id, (s) => s.status === 'ACTIVE', 'ACTIVE');
  await waitGuestReady(c, id);
  return server;
}

/**
 * Until the lab guest's init said "lab-guest: ready" (or, later, "alive N min") on its serial console (nova's console output). A TCG guest that
 * is live-migrated in the middle of its boot can come out with a corrupted kernel, so tests migrate booted guests,
 * as operators do.
 */
export async function waitGuestReady(c: OpenStackClient, id: string, timeoutMs = 180_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    const r = await c.compute.client.call('POST', `/servers/${id}/action`, { json: { 'os-getConsoleOutput': { length: 50 } } });
    last = (r.body as { output?: string }).output ?? '';
    // "alive N min" follows "ready" once a minute: a guest up for a while has it in the console's last lines instead
    if (/lab-guest: (ready|alive \d+ min)/.test(last)) return;
    await sleep(2000);
  }
  throw new Error(`The guest of ${id} did not print "lab-guest: ready" within ${timeoutMs} ms; its console ends with: ${last.slice(-300)}`);
}

/** Deletes a server and waits until it is gone (ignores "already gone"). */
export async function deleteServer(c: OpenStackClient, id: string): Promise<void> {
  try {
    await c.compute.client.call('DELETE', `/servers/${id}`);
  } catch (e) {
    if (isTroubleshooterError(e, 'NotFound')) return;
    throw e;
  }
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    try {
      await c.compute.getServer(id);
    } catch (e) {
      if (isTroubleshooterError(e, 'NotFound')) return;
      throw e;
    }
    await sleep(1000);
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}
