import assert from 'node:assert/strict';
import { isTroubleshooterError } from '../../../src/core/errors';
import { mapHost } from '../../../src/core/hosts/host-map';

describe('host map (OpenStack host → ssh alias)', () => {
  it('defaults to the ssh config alias of the same name (the lab)', () => {
    assert.deepEqual(mapHost('compute1', 'lab'), { openstackHost: 'compute1', sshAlias: 'compute1', via: 'same-name' });
  });

  it('applies a per-cloud template with {host} and {short}', () => {
    const cfg = { prod: { template: '{short}.mgmt' }, '*': { template: '{host}-oob' } };
    assert.equal(mapHost('cmp-07.dc1.example.org', 'prod', cfg).sshAlias, 'cmp-07.mgmt');
    assert.equal(mapHost('cmp-07.dc1.example.org', 'other', cfg).sshAlias, 'cmp-07.dc1.example.org-oob');
  });

  it('an explicit map entry wins over the template, case-insensitively', () => {
    const cfg = { prod: { template: '{host}.mgmt', map: { 'CMP-07': 'cmp07-via-bastion' } } };
    assert.deepEqual(mapHost('cmp-07', 'prod', cfg), { openstackHost: 'cmp-07', sshAlias: 'cmp07-via-bastion', via: 'map' });
    assert.equal(mapHost('cmp-08', 'prod', cfg).sshAlias, 'cmp-08.mgmt');
  });

  it('validates the OpenStack host name and the resulting alias', () => {
    assert.throws(() => mapHost('compute1; rm -rf /', 'lab'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => mapHost('-oProxyCommand=x', 'lab'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => mapHost('c1', 'p', { p: { template: 'static' } }), (e) => isTroubleshooterError(e, 'ConfigInvalid'));
    assert.throws(() => mapHost('c1', 'p', { p: { map: { c1: 'a b' } } }), (e) => isTroubleshooterError(e, 'ConfigInvalid'));
  });
});
