import { BlockList, isIP } from 'node:net';

/** An address (`203.0.113.7`, `2001:db8::1`) or a network (`10.0.0.0/8`) as written, or null. */
export function parseNetwork(
  entry: string,
): { address: string; prefix: number | null; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return null;
  const max = family === 4 ? 32 : 128;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= max)) return null;
  return {
    address,
    prefix: prefix === undefined ? null : Number(prefix),
    family: family === 4 ? 'ipv4' : 'ipv6',
  };
}

/** The entries that parse, as one list to check addresses against (an entry that does not parse adds nothing). */
export function networkList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseNetwork(entry);
    if (parsed === null) continue;
    if (parsed.prefix === null) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/**
 * Answers already given, per list: a check builds a SocketAddress (about 2 µs), and the addresses a node sees again and
 * again are few (its proxies, its clients). Forgotten all at once past 10,000 addresses.
 */
const answers = new WeakMap<BlockList, Map<string, boolean>>();
const MAX_REMEMBERED = 10_000;

/** Whether `address` is in `list`; an IPv4 client on a dual-stack socket (`::ffff:a.b.c.d`) as its IPv4 address. */
export function inNetworks(list: BlockList, address: string): boolean {
  let known = answers.get(list);
  const answer = known?.get(address);
  if (answer !== undefined) return answer;
  const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(v4);
  if (family === 0) return false;
  const inside = list.check(v4, family === 4 ? 'ipv4' : 'ipv6');
  // Only addresses are remembered: what is not one (a forwarded header's junk) is refused each time, never kept.
  if (known === undefined || known.size >= MAX_REMEMBERED) {
    known = new Map();
    answers.set(list, known);
  }
  known.set(address, inside);
  return inside;
}
