/** Text to find as itself in a SQL LIKE pattern with `ESCAPE '\'`: its `\`, `%` and `_` escaped. */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
