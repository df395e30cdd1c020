import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../../../src/core/log';

const bodies = join(__dirname, '..', '..', 'fixtures', 'redact');
/** The secret of the captured requests: a quote, a comma, a brace, a space and an ampersand. */
const SECRET = 's3cr3t pa\\"ss, }&x';

/** No piece of the secret is left: its first word, the part after the space, the tail after the brace. */
function assertNoPiece(text: string) {
  const out = redact(text);
  for (const piece of ['s3cr3t', 'pa\\"ss', '}&x']) assert.ok(!out.includes(piece), `"${piece}" leaked: ${out}`);
}

describe('redact: secrets whatever they contain', () => {
  it('real service error bodies that echo the password (keystone 400, nova 400) keep no piece of it', () => {
    for (const f of ['keystone-400-password-echoed.json', 'nova-400-adminpass-echoed.json']) {
      const body = readFileSync(join(bodies, f), 'utf8');
      assert.ok(body.includes(SECRET), `${f} holds the secret`);
      const out = redact(body);
      assertNoPiece(body);
      assert.ok(out.includes('***'), out);
      assert.doesNotThrow(() => JSON.parse(out), 'still JSON');
    }
    assert.equal(
      redact(readFileSync(join(bodies, 'nova-400-adminpass-echoed.json'), 'utf8')),
      '{"badRequest": {"code": 400, "message": "Invalid input for field/attribute adminPass. Value: ***"}}',
    );
    // Keystone's 401 says nothing secret: unchanged
    const k401 = readFileSync(join(bodies, 'keystone-401.json'), 'utf8');
    assert.equal(redact(k401), k401);
  });

  it('JSON and Python-repr fields by key, whatever the value holds (space, comma, quote, }, &), also JSON inside a JSON string', () => {
    const req = '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "a b, c\\"}&d\'e"}}}}}';
    assert.equal(redact(req), '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "***"}}}}}');
    assert.equal(redact(`{'password': 'it\\'s, } & ok', 'user': 'u'}`), `{'password': '***', 'user': 'u'}`);
    assert.equal(redact('body: "{\\"password\\": \\"p a, s}s\\", \\"x\\": 1}"'), 'body: "{\\"password\\": \\"***\\", \\"x\\": 1}"');
    assert.equal(redact('{"adminPass": "x y", "os_password": 12345, "metadata_proxy_shared_secret": "s,t"}'), '{"adminPass": "***", "os_password": ***, "metadata_proxy_shared_secret": "***"}');
    assert.equal(redact('password="quoted \\" value" next'), 'password="***" next');
    assert.equal(redact('password=a,b}c&user=admin&token=t0k'), 'password=***&user=admin&token=***');
    // not secrets: a timestamp of a password, a token object (its fields are shown)
    assert.equal(redact('{"password_expires_at": "2026-12-31", "token": {"expires_at": "2026"}}'), '{"password_expires_at": "2026-12-31", "token": {"expires_at": "2026"}}');
  });

  it('a JWS/JWT token in a Python bytes repr, a Fernet token, token headers', () => {
    const jws = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    assert.equal(redact(`DEBUG keystoneauth.session RESP: [201] {'X-Subject-Token': b'${jws}'}`), "DEBUG keystoneauth.session RESP: [201] {'X-Subject-Token': b'***'}");
    assert.equal(redact(`token = b'${jws}'`), "token = b'***'");
    assert.equal(redact(`validating ${jws} now`), 'validating *** now');
    assert.equal(redact('X-Auth-Token: gAAAAABnY2xhc3MgYWJjZGVmZ2hpamtsbW5vcA'), 'X-Auth-Token: ***');
  });

  it('URL credentials whose password holds /, space or @; a port and a later e-mail address are not credentials', () => {
    assert.equal(redact('connection = mysql+pymysql://nova:p@ss/w0rd@controller/nova'), 'connection = mysql+pymysql://nova:***@controller/nova');
    assert.equal(redact('transport_url = rabbit://openstack:pa/ss w@rd@controller:5672/'), 'transport_url = rabbit://openstack:***@controller:5672/');
    assert.equal(redact('rabbit://guest:guest@10.0.0.1:5672//'), 'rabbit://guest:***@10.0.0.1:5672//');
    assert.equal(redact('see http://controller:5000/v3 or mail admin@example.com'), 'see http://controller:5000/v3 or mail admin@example.com');
  });

  it('command lines: --os-password X, --password=X, os_password X', () => {
    assert.equal(redact('openstack --os-password "my secret" server list'), 'openstack --os-password *** server list');
    assert.equal(redact('openstack --os-password hunter2 server list'), 'openstack --os-password *** server list');
    assert.equal(redact('mysql --password=x1 -e "select 1"'), 'mysql --password=*** -e "select 1"');
    assert.equal(redact('os_password hunter2'), 'os_password ***');
  });

  it('stays linear on long lines (it runs over every log line)', () => {
    const long = `${'x'.repeat(64 * 1024)} ${'password'.repeat(4096)} ${'a://b:'.repeat(4096)} ${'token: '.repeat(4096)}`;
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) redact(long);
    assert.ok(performance.now() - t0 < 2000, `${Math.round(performance.now() - t0)} ms`);
  });
});
