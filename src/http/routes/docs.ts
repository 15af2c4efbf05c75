import type { App, RouteDeps } from '../types.js';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const STYLE = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.op{margin:.8rem 0}.method{display:inline-block;min-width:4.5rem;font-weight:700}`;

/** Human-readable API reference at /docs, rendered on the server from the same OpenAPI document. */
export async function docsRoutes(app: App, _deps: RouteDeps): Promise<void> {
  app.get('/docs/style.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css').send(STYLE),
  );

  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    const spec = app.swagger() as { paths?: Record<string, Record<string, Operation>> };
    const byTag = new Map<string, string[]>();
    for (const [path, methods] of Object.entries(spec.paths ?? {})) {
      for (const [method, op] of Object.entries(methods)) {
        const tag = op.tags?.[0] ?? 'other';
        const auth = (op.security ?? []).flatMap((s) => Object.keys(s)).join(' or ');
        const entry = `<div class="op"><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>
          ${op.summary ? `— ${escapeHtml(op.summary)}` : ''}${auth ? ` <small>(auth: ${escapeHtml(auth)})</small>` : ''}
          ${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}</div>`;
        byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
      }
    }
    const sections = [...byTag.entries()].map(
      ([tag, ops]) => `<section><h2>${escapeHtml(tag)}</h2>${ops.join('\n')}</section>`,
    );
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conversation Orchestrator API</title>
      <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/docs/style.css"></head>
      <body><header><h1>Conversation Orchestrator API</h1><p>The machine-readable OpenAPI 3.1 document is at
      <a href="/openapi.json">/openapi.json</a>. Authentication: <code>maven-api-key</code> header (v1), bearer access token
      from <code>/oauth/token</code> or <code>/v2/authenticate/login</code> (v2), operator session or operator token (admin).</p></header>
      <main>${sections.join('\n')}</main></body></html>`;
    return reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .send(html);
  });
}
