/**
 * Templates never change once registered (only removed, and never while a pool uses them), so the
 * hot path reads them from memory instead of the store.
 */
import type { Template } from '../domain/types.js';
import type { OrchestratorContext } from './context.js';
import { requireTemplate } from './catalog.js';

export class TemplateCache {
  readonly #byName = new Map<string, Template>();

  async get(ctx: OrchestratorContext, name: string): Promise<Template> {
    const cached = this.#byName.get(name);
    if (cached) return cached;
    const t = await requireTemplate(ctx, name);
    this.#byName.set(name, t);
    return t;
  }

  forget(name: string): void {
    this.#byName.delete(name);
  }
}
