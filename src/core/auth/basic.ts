/** Client credentials taken from a request, before they are checked. */
export interface PresentedClient {
  clientId: string;
  clientSecret: string;
}

export type BasicParse = { ok: true; value: PresentedClient } | { ok: false; reason: string };

const MAX_HEADER = 1024;

/**
 * Parses `Authorization: Basic ...`. RFC 6749 §2.3.1 / Appendix B: the id and secret are
 * form-urlencoded before base64, so they are decoded again here (`%3A` in an id stays a colon of the id).
 * `formDecode` false keeps the values as they are (the compatible login endpoint sends them raw).
 */
export function parseBasicAuthorization(header: string, formDecode: boolean): BasicParse {
  if (header.length > MAX_HEADER) return { ok: false, reason: 'the Authorization header is too long' };
  const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match?.[1]) return { ok: false, reason: 'the Authorization header is not of the form Basic <base64>' };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { ok: false, reason: 'the Basic credentials must be user:password' };
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  if (!formDecode) return { ok: true, value: { clientId: rawId, clientSecret: rawSecret } };
  try {
    // Most ids and secrets have nothing escaped: decoding them would give them back unchanged.
    const plus = (s: string) =>
      s.includes('%') || s.includes('+') ? decodeURIComponent(s.replace(/\+/g, ' ')) : s;
    return { ok: true, value: { clientId: plus(rawId), clientSecret: plus(rawSecret) } };
  } catch {
    return { ok: false, reason: 'the Basic credentials are not validly form-urlencoded' };
  }
}
