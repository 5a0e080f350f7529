/**
 * Tool schemas every MCP client generation can compile. The SDK emits JSON Schema 2020-12 and
 * says so in `$schema`; the draft-07 validator of older SDK v1 clients (Ajv without the 2020
 * meta-schema) then refuses the whole tool ("Failed to compile output schema"). Emitting the
 * draft-07 form of the same zod schema without a `$schema` line gives a schema that draft-07 and
 * 2020-12 validators both accept: it uses no keyword whose meaning differs between the two
 * (`items` arrays, `$defs`, `prefixItems`), and each validator applies its own default draft.
 * @module
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { z } from 'zod';

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** `schema` as the SDK takes it, validated by zod, described in draft-07/2020-12 common JSON Schema. */
export function portable<T extends z.ZodType>(
  schema: T,
): StandardSchemaWithJSON<z.input<T>, z.output<T>> {
  const std = schema['~standard'];
  return {
    '~standard': {
      ...std,
      jsonSchema: {
        input: () => withoutDialect(std.jsonSchema.input({ target: 'draft-07' })),
        output: () => withoutDialect(std.jsonSchema.output({ target: 'draft-07' })),
      },
    },
  };
}
