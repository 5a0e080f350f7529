import { describe, expect, it } from 'vitest';
import { DOCS_ASSETS, docsAsset, docsPage, type DocsAsset } from './docs-page.js';

describe('/docs', () => {
  it('loads nothing from outside the server', () => {
    const html = docsPage('/api/v1/openapi.json');
    expect(html).not.toMatch(/https?:\/\//);
    for (const name of Object.keys(DOCS_ASSETS)) expect(html).toContain(`/docs/${name}`);
  });

  it('serves the Swagger UI files from the installed package', async () => {
    for (const name of Object.keys(DOCS_ASSETS) as DocsAsset[]) {
      const body = await docsAsset(name);
      expect(body.length).toBeGreaterThan(10_000);
    }
    expect((await docsAsset('swagger-ui-bundle.js')).toString('utf8', 0, 2000)).toMatch(/SwaggerUIBundle|swagger/i);
  });
});
