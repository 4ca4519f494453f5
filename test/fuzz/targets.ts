import { commandApi } from './command-api.js';
import { otlpJson } from './otlp-json.js';
import { otlpProtobuf } from './otlp-protobuf.js';
import type { FuzzTarget } from './run.js';

export const targets: FuzzTarget[] = [otlpProtobuf, otlpJson, commandApi];
