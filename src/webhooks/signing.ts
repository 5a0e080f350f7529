/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}` with the base64 key of a `whsec_` secret, sent as
 * `webhook-signature: v1,<base64>`.
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import { HvkubeError } from '../domain/errors.js';

const PREFIX = 'whsec_';

export function generateSecret(): string {
  return PREFIX + randomBytes(24).toString('base64');
}

/** Checks a secret's form without ever echoing it. */
export function validateSecret(secret: string): string {
  const key = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : '';
  if (
    !/^[A-Za-z0-9+/]+={0,2}$/.test(key) ||
    Buffer.from(key, 'base64').length < 16 ||
    Buffer.from(key, 'base64').length > 64
  ) {
    throw new HvkubeError(
      'INVALID_INPUT',
      'a webhook secret must be whsec_ followed by 16 to 64 bytes in base64',
      {
        hint: 'leave --secret out and hvkube makes one (shown once, on add)',
      },
    );
  }
  return secret;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(
  secret: string,
  id: string,
  timestampS: number,
  body: string,
): SignedHeaders {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestampS}.${body}`)
    .digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': `v1,${signature}`,
  };
}
