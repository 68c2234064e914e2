/**
 * The target policy: address rules as a table, then real probes at refused targets. Those run
 * in a network namespace of their own (the file re-runs itself under `unshare -n -m`), whose only
 * interface is loopback and whose /etc/hosts names metadata and private addresses: if the policy
 * ever let one through, the connection would find no route and no packet would leave the machine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/index.js';
import { canonicalAddress, compilePolicy, DEFAULT_TARGET_POLICY } from '../../prober/index.js';
import { insideTestNetns, probeModule, rerunInNetns, startHttpTarget, startTcpTarget } from './support.js';

const HOSTS = `127.0.0.1 localhost
::1 localhost
169.254.169.254 metadata.test
fd00:ec2::254 metadata6.test
10.1.2.3 private.test
127.0.0.1 loopback.test
`;

const HTTP = { prober: 'http', timeout: '2s' };
const TCP = { prober: 'tcp', timeout: '2s' };

/** The probe failed because of the policy, before any connection (no connect error in its log). */
function refusedByPolicy(r: { success: boolean; logs: readonly string[] }, what: string, reason = 'target_policy'): void {
  assert.equal(r.success, false, what);
  assert.ok(r.logs.some((l) => l.includes('Target refused by target_policy') && l.includes(reason)), `${what}: ${r.logs.join('\n')}`);
  assert.ok(!r.logs.some((l) => /Error for HTTP request|Error dialing TCP/.test(l)), `${what} was refused before connecting: ${r.logs.join('\n')}`);
}


if (insideTestNetns()) {
  test('SSRF: the default policy refuses metadata and link-local targets, by address, number form or name', async () => {
    const targets = [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://0xa9fea9fe/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[fe80::1]/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://168.63.129.16/',
      'http://metadata.test/',
      'http://metadata6.test/',
    ];
    for (const target of targets) refusedByPolicy(await probeModule(HTTP, target), target, 'link-local or a cloud metadata address');
    for (const target of ['169.254.169.254:80', '2852039166:80', 'metadata.test:80', '[fe80::1]:22']) {
      refusedByPolicy(await probeModule(TCP, target), target, 'link-local or a cloud metadata address');
    }
  });

  test('SSRF: a redirect to a refused address or to a name that resolves there is refused on the hop', async (t) => {
    const base = await startHttpTarget(t);
    for (const location of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.test/', 'http://[::ffff:169.254.169.254]/']) {
      const r = await probeModule(HTTP, `${base}/redirect-to?url=${encodeURIComponent(location)}`);
      refusedByPolicy(r, location, 'link-local or a cloud metadata address');
      assert.ok(r.logs.some((l) => l.includes('Received redirect')), 'the first hop was made');
    }
  });

  test('SSRF: allow and deny lists are checked on the resolved address, for names and private ranges', async (t) => {
    const base = await startHttpTarget(t);
    const port = new URL(base).port;
    const tcp = await startTcpTarget(t);
    const loopbackOnly = { allow: ['127.0.0.0/8', '::1/128'] };
    for (const target of ['http://10.1.2.3/', 'http://private.test/', 'http://192.168.1.1/', 'http://[fd12::1]/']) {
      refusedByPolicy(await probeModule(HTTP, target, loopbackOnly), target, 'not in target_policy.allow');
    }
    refusedByPolicy(await probeModule(TCP, 'private.test:22', loopbackOnly), 'private.test:22', 'not in target_policy.allow');
    // A host pattern admits the name, the CIDR deny refuses where it resolves.
    refusedByPolicy(await probeModule(HTTP, 'http://private.test/', { allow: ['*.test'], deny: ['10.0.0.0/8'] }), 'private.test', 'matches target_policy.deny');
    refusedByPolicy(await probeModule(HTTP, `${base}/redirect-to?url=${encodeURIComponent('http://private.test/')}`, loopbackOnly), 'redirect to private.test', 'not in target_policy.allow');
    assert.equal((await probeModule(HTTP, `http://loopback.test:${port}/`, { allow: ['*.test'] })).success, true, 'an allowed name that resolves to loopback');
    assert.equal((await probeModule(TCP, tcp, loopbackOnly)).success, true);
    refusedByPolicy(await probeModule(HTTP, `${base}/`, { deny: ['127.0.0.1'] }), 'deny 127.0.0.1', 'matches target_policy.deny');
  });

  test('SSRF: what the policy lets through finds no route out of the namespace', async () => {
    // block_link_local off and the default allow-everything: the probe is attempted and fails to
    // connect (no route), which is why these tests run here and not on the host's network.
    for (const [target, policy] of [['http://169.254.169.254/', { block_link_local: false }], ['http://10.1.2.3/', undefined]] as const) {
      const r = await probeModule(HTTP, target, policy);
      assert.equal(r.success, false, target);
      assert.ok(r.logs.some((l) => l.includes('Error for HTTP request')), `${target}: ${r.logs.join('\n')}`);
    }
  });
} else {
  test('SSRF probes at refused targets, in a network namespace of their own', (t) => rerunInNetns(t, import.meta.url, HOSTS));

  test('canonicalAddress: IPv4-mapped IPv6 becomes IPv4, brackets go', () => {
    assert.deepEqual(canonicalAddress('::ffff:169.254.169.254'), { address: '169.254.169.254', family: 'ipv4' });
    assert.deepEqual(canonicalAddress('::ffff:a9fe:a9fe'), { address: '169.254.169.254', family: 'ipv4' });
    assert.deepEqual(canonicalAddress('[::1]'), { address: '::1', family: 'ipv6' });
    assert.deepEqual(canonicalAddress('10.0.0.1'), { address: '10.0.0.1', family: 'ipv4' });
  });

  test('the default policy refuses link-local and metadata addresses only', () => {
    const policy = compilePolicy(DEFAULT_TARGET_POLICY);
    const table: [string, string, boolean][] = [
      ['169.254.169.254', '169.254.169.254', false],
      ['metadata.google.internal', '169.254.169.254', false],
      ['x', '::ffff:169.254.169.254', false],
      ['x', 'fe80::1', false],
      ['x', 'fd00:ec2::254', false],
      ['x', '100.100.100.200', false],
      ['x', '168.63.129.16', false],
      ['127.0.0.1', '127.0.0.1', true],
      ['::1', '::1', true],
      ['example.com', '93.184.216.34', true],
      ['x', '10.1.2.3', true],
    ];
    for (const [host, address, allowed] of table) {
      assert.equal(policy.check(host, address) === undefined, allowed, `${host} -> ${address}`);
    }
  });

  test('allow and deny: host patterns match the name, CIDRs the resolved address', () => {
    const policy = compilePolicy({ allow: ['*.svc.cluster.local', 'example.com', '10.0.0.0/8', '::1/128'], deny: ['bad.svc.cluster.local', '10.9.0.0/16'], blockLinkLocal: true });
    const table: [string, string, boolean][] = [
      ['hello.default.svc.cluster.local', '172.20.0.5', true],
      ['svc.cluster.local', '172.20.0.5', false],
      ['example.com', '93.184.216.34', true],
      ['www.example.com', '93.184.216.34', false],
      ['EXAMPLE.COM.', '93.184.216.34', true],
      ['anything', '10.2.3.4', true],
      ['anything', '10.9.3.4', false],
      ['bad.svc.cluster.local', '172.20.0.5', false],
      ['[::1]', '::1', true],
      ['127.0.0.1', '127.0.0.1', false],
      ['evil.example.org', '10.2.3.4', true],
      ['hello.svc.cluster.local', '169.254.169.254', false],
    ];
    for (const [host, address, allowed] of table) {
      assert.equal(policy.check(host, address) === undefined, allowed, `${host} -> ${address}: ${policy.check(host, address)}`);
    }
  });

  test('bad patterns are ConfigErrors naming the entry', () => {
    assert.throws(() => compilePolicy({ allow: ['::1/129'], deny: [], blockLinkLocal: true }), (e: unknown) => e instanceof ConfigError && e.field === 'target_policy.allow[0]');
    assert.throws(() => compilePolicy({ allow: [], deny: ['exa mple.com'], blockLinkLocal: true }), (e: unknown) => e instanceof ConfigError && e.field === 'target_policy.deny[0]');
  });
}
