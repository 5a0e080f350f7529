/**
 * JSON exactly as our host loop prints it on Windows PowerShell 5.1: ConvertTo-Json -Compress
 * (JavaScriptSerializer escapes ' & < > as \u0027 \u0026 \u003c \u003e), then the loop's own
 * pass that escapes every non-ASCII character, so the reader sees the same bytes as on a host.
 * @module
 */

export function toPs51Json(value: unknown): string {
  return JSON.stringify(value).replace(/['&<>]|[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
