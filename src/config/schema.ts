/**
 * The configuration file (`<data dir>/config.json`), validated with one schema. Environment
 * variables and CLI flags override it (see load.ts).
 * @module
 */
import { z } from 'zod';

export const BACKENDS = ['auto', 'hyperv', 'qemu', 'fake'] as const;

/**
 * An API token, wherever it comes from (config.json or HVKUBE_API_TOKEN): long enough not to be
 * guessed, and without whitespace, which no `Authorization: Bearer` header can carry.
 */
export const apiTokenSchema = z
  .string()
  .min(16, 'an API token needs at least 16 characters')
  .max(4096, 'an API token has at most 4096 characters')
  .regex(/^[\x21-\x7e]+$/, 'an API token is printable ASCII without spaces');

/** A host name (or IP literal) a browser may use to reach a loopback server, e.g. behind a proxy. */
export const allowedHostSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]+\])$/, 'a host name without scheme or port, e.g. hvkube.example.org');

export const configFileSchema = z
  .object({
    backend: z.enum(BACKENDS).optional(),
    databaseUrl: z.string().min(1).optional(),
    host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/).optional(),
    vmPrefix: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/).optional(),
    provisionConcurrency: z.number().int().min(1).max(64).optional(),
    readyTimeoutS: z.number().int().min(1).max(3600).optional(),
    api: z
      .object({
        listen: z.string().optional(),
        tokens: z.array(apiTokenSchema).optional(),
        allowedHosts: z.array(allowedHostSchema).max(100).optional(),
        tls: z.object({ cert: z.string(), key: z.string() }).optional(),
        leaseTtlS: z.number().int().min(10).max(7 * 24 * 3600).optional(),
      })
      .strict()
      .optional(),
    hyperv: z
      .object({
        powershell: z.string().optional(),
        switchName: z.string().optional(),
        sessions: z.number().int().min(1).max(16).optional(),
        vmDir: z.string().optional(),
      })
      .strict()
      .optional(),
    qemu: z
      .object({
        binary: z.string().optional(),
        accel: z.enum(['auto', 'kvm', 'tcg']).optional(),
        cpuModel: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).optional(),
        kvmDevice: z.string().min(1).optional(),
        vnc: z.boolean().optional(),
        /** `user` (NAT, forwarded loopback ports) or `bridge` on an existing bridge (docs/qemu-backend.md "Networking"). */
        network: z
          .object({
            mode: z.enum(['user', 'bridge']),
            bridge: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'a bridge interface name such as br0').optional(),
          })
          .strict()
          .refine((n) => (n.mode === 'bridge') === (n.bridge !== undefined), { message: 'bridge mode needs "bridge" (and only bridge mode takes it)' })
          .optional(),
      })
      .strict()
      .optional(),
    webhooks: z
      .object({
        /** Subscriptions kept in the store as long as they are listed here (docs/webhooks.md). */
        subscriptions: z.array(z.object({ url: z.string().min(1), events: z.array(z.string()).optional(), secret: z.string().min(1) }).strict()).max(100).optional(),
        retryBaseS: z.number().min(0.01).max(3600).optional(),
        retryMaxS: z.number().min(0.01).max(86_400).optional(),
        maxAttempts: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
