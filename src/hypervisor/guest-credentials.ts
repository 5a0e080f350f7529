/**
 * Guest credentials for backends whose guest channel needs an account (Hyper-V's PowerShell
 * Direct). A template stores only where they come from — `env:NAME` (an environment variable of
 * the hvkube process) or `file:PATH` (a file only its account can read) — and the secret there is
 * `USER:PASSWORD` on one line (split at the first colon: Windows user names cannot contain one;
 * `.\user` and `DOMAIN\user` work). The secret is read when needed, never stored, logged or put
 * in an error message.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { HvkubeError } from '../domain/errors.js';

export interface GuestCredential {
  user: string;
  password: string;
}

function unavailable(message: string, hint: string, ref: string): HvkubeError {
  return new HvkubeError('GUEST_UNAVAILABLE', message, { hint, details: { credentialsRef: ref } });
}

/** Reads and parses the secret a credentials reference points at. */
export async function readGuestCredential(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<GuestCredential> {
  let secret: string | undefined;
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    secret = env[name];
    if (secret === undefined || secret === '') {
      throw unavailable(`the guest credentials variable ${name} is not set in the hvkube process`, `set ${name}=USER:PASSWORD in the environment of hvkube (the service's, for hvkube serve)`, ref);
    }
  } else if (ref.startsWith('file:')) {
    const file = ref.slice(5);
    try {
      secret = await readFile(file, 'utf8');
    } catch (e) {
      throw unavailable(`the guest credentials file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'create it with one line USER:PASSWORD, readable by the hvkube account only', ref);
    }
  } else {
    throw unavailable('the template credentials reference is neither env:NAME nor file:PATH', 'set it again with hvkube template create --credentials env:NAME', ref);
  }
  const line = secret.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  const colon = line.indexOf(':');
  if (colon <= 0) {
    throw unavailable(`the guest credentials behind ${ref} are not USER:PASSWORD`, 'write them as one line USER:PASSWORD, e.g. .\\hvkube:secret', ref);
  }
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** Finds the credentials of a VM's guest (through its template), or null when it has none. */
export type GuestCredentialSource = (vmName: string) => Promise<GuestCredential | null>;
