/**
 * `npm run fuzz [-- TARGET…]`: each fuzz target for a long count (TWINOPS_FUZZ_RUNS, else the
 * target's own: 200,000 for the decoders, 20,000 for the API) from a fresh seed
 * (TWINOPS_FUZZ_SEED replays one). Prints runs, seed, time and the first failure with how to
 * replay it; exits 1 if any target failed.
 */
import { targets } from './targets.js';

const names = process.argv.slice(2);
const unknown = names.filter((name) => !targets.some((target) => target.name === name));
if (unknown.length) {
  console.error(
    `unknown target ${unknown.join(', ')}; known: ${targets.map((t) => t.name).join(', ')}`,
  );
  process.exit(2);
}
const runsOverride = process.env.TWINOPS_FUZZ_RUNS
  ? Number(process.env.TWINOPS_FUZZ_RUNS)
  : undefined;
const seed = process.env.TWINOPS_FUZZ_SEED
  ? Number(process.env.TWINOPS_FUZZ_SEED)
  : Date.now() % 2 ** 31;
if ((runsOverride !== undefined && !(runsOverride > 0)) || !Number.isInteger(seed)) {
  console.error('TWINOPS_FUZZ_RUNS must be a positive number and TWINOPS_FUZZ_SEED an integer');
  process.exit(2);
}

let failed = 0;
for (const target of targets.filter((t) => !names.length || names.includes(t.name))) {
  const runs = runsOverride ?? target.longRuns;
  console.log(`${target.name}: ${runs.toLocaleString('en')} runs from seed ${seed}…`);
  const result = await target.run(runs, seed);
  const rate = Math.round((result.runs / result.ms) * 1000);
  if (result.failure) {
    failed++;
    console.log(
      `${target.name}: FAILED after ${result.runs} runs (${result.ms} ms)\n${result.failure}\n`,
    );
  } else {
    console.log(
      `${target.name}: ok, ${result.runs.toLocaleString('en')} runs in ${(result.ms / 1000).toFixed(1)} s (${rate}/s)`,
    );
  }
}
console.log(failed ? `${failed} target(s) failed` : 'all targets held');
process.exit(failed ? 1 : 0);
