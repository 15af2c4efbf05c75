const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text every store keeps as it is: a NUL character (U+0000), which PostgreSQL text and JSONB refuse, and half
 * of a UTF-16 surrogate pair, which JSONB refuses, become U+FFFD, as in a text decoder. For what the node
 * records about a request after the fact (audit details, policy log entries), where failing the write would
 * lose more than the character.
 */
export function storableText(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd').replaceAll('\u0000', '\ufffd');
}
