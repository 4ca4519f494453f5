import fc from 'fast-check';

/** What one fuzz target did: how many inputs, from which seed, and the first failure if any. */
export interface FuzzResult {
  target: string;
  runs: number;
  seed: number;
  ms: number;
  /** fast-check's report (counterexample, seed and path to replay it); undefined when it held. */
  failure?: string;
}

export interface FuzzTarget {
  name: string;
  /** Runs for `npm run fuzz` when TWINOPS_FUZZ_RUNS does not say. */
  longRuns: number;
  run(runs: number, seed: number): Promise<FuzzResult>;
}

/** Checks a property for `runs` inputs from `seed`; never throws, the failure is in the result. */
export async function check<T>(
  target: string,
  property: fc.IProperty<T> | fc.IAsyncProperty<T>,
  runs: number,
  seed: number,
): Promise<FuzzResult> {
  const started = performance.now();
  const details = await fc.check(property as fc.IAsyncProperty<T>, { numRuns: runs, seed });
  return {
    target,
    runs: details.numRuns,
    seed,
    ms: Math.round(performance.now() - started),
    failure: details.failed
      ? `${fc.defaultReportMessage(details)}\n${errorText(details.errorInstance)}\n` +
        `(rerun: seed ${seed}, TWINOPS_FUZZ_SEED=${seed})`
      : undefined,
  };
}

/** The error with the top of its stack: where in the exporter it came from. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return `thrown: ${String(error)}`;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
  return `${error.name}: ${error.message}\n${frames.slice(0, 8).join('\n')}`;
}

/** Fails when a synchronous call takes longer than a budget no sane input needs (a near-hang). */
export function timed<T>(what: string, budgetMs: number, call: () => T): T {
  const started = performance.now();
  const overBudget = () => {
    const ms = performance.now() - started;
    if (ms > budgetMs) throw new Error(`${what} took ${ms.toFixed(0)} ms (budget ${budgetMs} ms)`);
  };
  let result: T;
  try {
    result = call();
  } catch (error) {
    overBudget();
    throw error;
  }
  overBudget();
  return result;
}
