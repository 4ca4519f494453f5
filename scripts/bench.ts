/** `npm run bench`: the benchmarks, never part of `npm test`. Prints the machine, then each figure. */
import { cpus, totalmem } from 'node:os';
import { kafkaRoundTrip } from '../test/bench/kafka-roundtrip.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'; // read when a producer is made; its notice is no result

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
for (const line of await kafkaRoundTrip()) console.log(line);
