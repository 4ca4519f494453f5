/**
 * Command parameters are checked against each catalog entry's JSON Schema. Every schema is
 * compiled once, when the catalog is loaded, never per request.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { CommandSpec } from '../../config/types.js';

/** The problems with a command's params, one line each naming the param; empty when valid. */
export type ParamsValidator = (params: unknown) => string[];

/** Looks up the compiled validator of a class's command; undefined when there is none. */
export type CatalogValidators = (
  assetClass: string,
  command: string,
) => ParamsValidator | undefined;

/**
 * Compiles every command of every class. Strict mode throws on unknown keywords at load time,
 * because a misspelt `maximum` would otherwise silently drop a limit.
 */
export function compileCatalog(
  catalog: Record<string, Record<string, CommandSpec>>,
): CatalogValidators {
  const ajv = newAjv();
  const compiled = new Map<string, Map<string, ParamsValidator>>();
  for (const [assetClass, commands] of Object.entries(catalog)) {
    const byName = new Map<string, ParamsValidator>();
    for (const [name, spec] of Object.entries(commands)) {
      byName.set(name, compileParams(spec.params, `${assetClass}.${name}`, ajv));
    }
    compiled.set(assetClass, byName);
  }
  return (assetClass, command) => compiled.get(assetClass)?.get(command);
}

/** At most this many problems are reported, so a hostile body cannot make a huge answer. */
const maxProblems = 20;
const maxLine = 300;

export function newAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
}

/** One schema, compiled with the given ajv (a fresh one by default). */
export function compileParams(
  schema: Record<string, unknown>,
  label = 'command',
  ajv: Ajv = newAjv(),
): ParamsValidator {
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new Error(`the params schema of ${label} is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return (params) => {
    if (validate(params)) return [];
    // allErrors can repeat a line (e.g. per oneOf branch): keep each distinct one once.
    // A line names a path from the client's body: bounded, as the audit log keeps it.
    const problems = [
      ...new Set((validate.errors ?? []).map((error) => describe(error).slice(0, maxLine))),
    ];
    if (problems.length <= maxProblems) return problems;
    return [...problems.slice(0, maxProblems), `and ${problems.length - maxProblems} more`];
  };
}

/** `/value` with "must be <= 1500" → `params.value: must be <= 1500`. */
function describe(error: ErrorObject): string {
  const path = ['params', ...error.instancePath.split('/').slice(1).map(unescape)];
  if (error.keyword === 'required') {
    path.push((error.params as { missingProperty: string }).missingProperty);
    return `${path.join('.')}: is required`;
  }
  if (error.keyword === 'additionalProperties') {
    // The name comes from the client: keep it short.
    path.push((error.params as { additionalProperty: string }).additionalProperty.slice(0, 64));
    return `${path.join('.')}: is not a known parameter`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${path.join('.')}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${path.join('.')}: ${error.message ?? 'is invalid'}`;
}

/** JSON Pointer escapes: `~1` is `/`, `~0` is `~`. */
function unescape(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
