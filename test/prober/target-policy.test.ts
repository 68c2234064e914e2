import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/index.js';
import { canonicalAddress, compilePolicy, DEFAULT_TARGET_POLICY } from '../../prober/index.js';

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
