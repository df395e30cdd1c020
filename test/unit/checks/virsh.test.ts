import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, formatHypervisorVersion, parseCapabilities, parseDomainCapabilities, parseDomainXml, parseVirshVersion } from '../../../src/core/checks/virsh';
import { isTroubleshooterError } from '../../../src/core/errors';

const fx = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'checks', name), 'utf8');

describe('checks: virsh XML (captured from the lab\'s real libvirt 9.0.0)', () => {
  it('reads the host CPU, migration transports and guest types from virsh capabilities', () => {
    const c = parseCapabilities(fx('virsh-capabilities-compute1.xml'));
    assert.equal(c.cpu.arch, 'x86_64');
    assert.equal(typeof c.cpu.model, 'string');
    assert.ok(c.cpu.model);
    assert.ok(c.cpu.vendor);
    assert.ok(c.cpu.features.length > 20, `features: ${c.cpu.features.length}`);
    assert.equal(c.liveMigration, true);
    assert.ok(c.uriTransports.includes('tcp'));
    assert.ok(c.guestDomainTypes.includes('qemu'));
    assert.equal(typeof c.cpu.signature?.model, 'string');
  });

  it('reads CPU modes, the host-model guest CPU and custom model usability from domcapabilities', () => {
    const d = parseDomainCapabilities(fx('virsh-domcapabilities-compute2.xml'));
    assert.equal(d.modes['host-model'], true);
    assert.equal(d.modes['host-passthrough'], true);
    assert.ok(d.hostModel?.model);
    assert.ok((d.hostModel?.features.length ?? 0) > 0);
    assert.ok(d.customModels.length > 10);
    assert.ok(d.customModels.every((m) => ['yes', 'no', 'unknown'].includes(m.usable)));
    assert.ok(d.customModels.some((m) => m.name === 'qemu64'));
  });

  it('reads virsh version --daemon', () => {
    assert.deepEqual(parseVirshVersion(fx('virsh-version-compute1.txt')), { library: '9.0.0', hypervisor: 'QEMU', hypervisorVersion: '7.2.22', daemon: '9.0.0' });
  });

  it('compares versions numerically and decodes nova\'s hypervisor_version', () => {
    assert.ok(compareVersions('7.10.0', '7.2.22') > 0);
    assert.equal(compareVersions('9.0.0', '9.0'), 0);
    assert.equal(formatHypervisorVersion(7002022), '7.2.22');
  });

  it('reads cputune/memtune of a domain and rejects what is not libvirt XML', () => {
    const d = parseDomainXml(`<domain type='kvm'><name>instance-00000001</name><memory unit='KiB'>65536</memory><vcpu placement='static'>2</vcpu>
      <cputune><shares>2048</shares><period>100000</period><quota>50000</quota></cputune><memtune><hard_limit unit='MiB'>128</hard_limit></memtune>
      <resource><partition>/machine</partition></resource><cpu mode='host-model'/></domain>`);
    assert.deepEqual(d.cputune, { shares: 2048, quota: 50000, period: 100000 });
    assert.equal(d.memtune.hardLimitKiB, 131072);
    assert.equal(d.memoryKiB, 65536);
    assert.equal(d.vcpus, 2);
    assert.equal(d.cpuMode, 'host-model');
    assert.throws(() => parseCapabilities('<html/>'), (e) => isTroubleshooterError(e, 'CommandFailed'));
  });
});
