/**
 * The interactive API reference at /docs: Swagger UI over /api/v1/openapi.json, served from the
 * installed `swagger-ui-dist` package — nothing is fetched from the Internet, so it works on a
 * closed network. The page and the OpenAPI document need no token (they hold no data); a token is
 * entered with the page's "Authorize" button for the requests tried from the page, and never
 * reaches the log.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The Swagger UI files the page loads, by the name they are served under. */
export const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;
export type DocsAsset = keyof typeof DOCS_ASSETS;

const assetDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const cache = new Map<DocsAsset, Buffer>();

export async function docsAsset(name: DocsAsset): Promise<Buffer> {
  const hit = cache.get(name);
  if (hit) return hit;
  const body = await readFile(path.join(assetDir, name));
  cache.set(name, body);
  return body;
}

export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hvkube API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(specUrl)}, dom_id: '#ui', persistAuthorization: false,
  // The server wants Content-Type: application/json on every state-changing request, body or not.
  requestInterceptor: function (req) {
    if (req.method !== 'GET' && !req.headers['Content-Type'] && !req.headers['content-type']) req.headers['Content-Type'] = 'application/json';
    return req;
  },
});
</script>
</body>
</html>
`;
}
