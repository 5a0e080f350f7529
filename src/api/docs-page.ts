/**
 * The interactive API reference at /docs: Swagger UI over /api/v1/openapi.json. The page is
 * static; its scripts come from the jsDelivr CDN, so the browser (not the server) needs Internet
 * access. A token is entered with the page's "Authorize" button and never reaches the server log.
 * @module
 */
const UI = 'https://cdn.jsdelivr.net/npm/swagger-ui-dist@5';

export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hvkube API</title>
<link rel="stylesheet" href="${UI}/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="${UI}/swagger-ui-bundle.js" crossorigin="anonymous"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', persistAuthorization: false });
</script>
</body>
</html>
`;
}
