/**
 * The configuration file (`<data dir>/config.json`), validated with one schema. Environment
 * variables and CLI flags override it (see load.ts).
 * @module
 */
import { z } from 'zod';

export const BACKENDS = ['auto', 'hyperv', 'qemu', 'fake'] as const;

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
        tokens: z.array(z.string().min(16)).optional(),
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
        vnc: z.boolean().optional(),
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
