import { randomBytes, randomUUID } from 'node:crypto';

/** A short lower-case suffix for generated VM names (Windows file names are case-insensitive). */
export function shortId(length = 6): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export function newId(): string {
  return randomUUID();
}
