/**
 * kafkajs against the real broker: produce N 200-byte keyed messages in batches of 500, then read
 * them back with a consumer group. The floor any Kafka ingest path of the exporter stands on.
 */
export declare function kafkaRoundTrip(messages?: number): Promise<string[]>;
