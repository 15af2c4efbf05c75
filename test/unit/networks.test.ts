import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inNetworks, networkList, parseNetwork } from '../../src/core/networks.js';

test('addresses and networks, IPv4 and IPv6, are read; anything else is not', () => {
  assert.deepEqual(parseNetwork('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseNetwork('192.0.2.7'), { address: '192.0.2.7', prefix: null, family: 'ipv4' });
  assert.deepEqual(parseNetwork('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
  assert.deepEqual(parseNetwork('::1/128'), { address: '::1', prefix: 128, family: 'ipv6' });
  for (const bad of [
    '',
    'localhost',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.256',
    '2001:db8::/129',
    '10.0.0.0/08a',
    ' 10.0.0.1',
  ])
    assert.equal(parseNetwork(bad), null, JSON.stringify(bad));
});

test('an address is in the list when a network or an address of it holds it; IPv4 on a dual-stack socket too', () => {
  const list = networkList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', 'not an address']);
  for (const inside of ['10.255.0.1', '192.0.2.7', '::ffff:10.1.2.3', '2001:db8::42', '2001:db8:ffff::1'])
    assert.equal(inNetworks(list, inside), true, inside);
  for (const outside of ['11.0.0.1', '192.0.2.8', '::ffff:11.0.0.1', '2001:db9::1', '::1', '', 'garbage'])
    assert.equal(inNetworks(list, outside), false, outside);
  assert.equal(inNetworks(networkList([]), '10.0.0.1'), false, 'an empty list holds nothing');
});
