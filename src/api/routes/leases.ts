/**
 * /api/v1/acquire, /vms/{name}/release, /vms/{name}/renew: handing VMs out and taking them back.
 * API leases always expire (default `api.leaseTtlS`, 600 s) unless renewed, so a client that
 * crashes leaks nothing: the pool controller resets the VM and returns it to the pool.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import { HvkubeError } from '../../domain/errors.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import {
  AcquireAnswerSchema,
  AcquireRequestSchema,
  nameParam,
  ReleaseAnswerSchema,
  ReleaseQuerySchema,
  ReleaseRequestSchema,
  RenewRequestSchema,
  VmSchema,
} from '../schemas.js';
import { DEFAULT_ACQUIRE_TIMEOUT_S, toAcquireAnswer, type ReleaseAnswer } from '../wire.js';

const tags = ['leases'];
const params = nameParam('VM');

export function leaseRoutes(app: ApiApp, { orch, metrics, lifecycle, leaseTtlS }: RouteDeps): void {
  app.openapi(
    createRoute({
      operationId: 'acquire',
      method: 'post',
      path: '/acquire',
      tags,
      summary: 'Take a ready VM from a pool: resumed, probed, leased to the caller',
      description:
        'Waits up to `timeout_s` (default 30) in a first-come queue when no VM is ready; with `wait: false` answers 503 at once. ' +
        'The lease expires after `lease_ttl_s` unless renewed (POST /vms/{name}/renew) or released.',
      request: { body: jsonBody(AcquireRequestSchema) },
      responses: { 200: jsonAnswer(AcquireAnswerSchema, 'the VM, ready'), ...errors(404, 502, 503) },
    }),
    async (c) => {
      const req = c.req.valid('json');
      const timeoutMs = req.wait === false ? 0 : (req.timeout_s ?? DEFAULT_ACQUIRE_TIMEOUT_S) * 1000;
      // Give up waiting when the caller hangs up or the server shuts down; a claimed VM still
      // finishes resuming, and its lease expires if nobody is left to use it.
      const signal = AbortSignal.any([c.req.raw.signal, lifecycle.signal]);
      try {
        const r = await orch.acquire({
          pool: req.pool_name,
          holder: req.holder ?? 'api',
          timeoutMs,
          leaseTtlMs: (req.lease_ttl_s ?? leaseTtlS) * 1000,
          display: req.display ?? null,
          signal,
        });
        metrics.acquired(req.pool_name, 'ok', r.waitMs);
        return c.json(toAcquireAnswer(r), 200);
      } catch (e) {
        metrics.acquired(req.pool_name, e instanceof HvkubeError ? e.code : 'INTERNAL', null);
        if (lifecycle.draining) throw new HvkubeError('SHUTTING_DOWN', 'the server is shutting down', { hint: 'retry against the restarted server' });
        throw e;
      }
    },
  );

  app.openapi(
    createRoute({
      operationId: 'release',
      method: 'post',
      path: '/vms/{name}/release',
      tags,
      summary: 'Give a VM back: save it, reset it to clean, or destroy it',
      description: 'Answers at once with the VM leaving `running`; with `?wait=true`, once it is back in the pool.',
      request: { params, query: ReleaseQuerySchema, body: jsonBody(ReleaseRequestSchema, false) },
      responses: { 200: jsonAnswer(ReleaseAnswerSchema, 'released'), ...errors(404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const body = c.req.valid('json');
      const r = await orch.release(name, { policy: body.policy, leaseId: body.lease_id, actor: 'api' });
      // `done` never rejects; shutdown waits for it so the VM ends saved, not half-saved.
      lifecycle.track(r.done);
      let answer: ReleaseAnswer = { vm_name: name, policy: r.policy, state: r.vm.state };
      if (c.req.valid('query').wait === true) {
        const after = await r.done;
        answer = { ...answer, state: after?.state ?? 'removed' };
      }
      return c.json(answer, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: 'renewLease',
      method: 'post',
      path: '/vms/{name}/renew',
      tags,
      summary: 'Extend a lease by ttl_s from now',
      request: { params, body: jsonBody(RenewRequestSchema) },
      responses: { 200: jsonAnswer(VmSchema, 'the VM with its new lease expiry'), ...errors(404, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await orch.renewLease(c.req.valid('param').name, body.lease_id, (body.ttl_s ?? leaseTtlS) * 1000), 200);
    },
  );
}
