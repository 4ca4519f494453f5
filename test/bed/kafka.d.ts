import { Kafka, type ITopicConfig } from 'kafkajs';
import { type RunningServer } from './process.js';
/** The broker version the pom pins. */
export declare function kafkaVersion(): string;
/** Resolves the broker jars from Maven Central into the cache, once per pom content. */
export declare function installKafka(): Promise<string>;
export interface KafkaBroker extends RunningServer {
  /** `127.0.0.1:port` of the PLAINTEXT listener. */
  bootstrap: string;
  /** Creates topics (waiting for their leaders); existing ones are left as they are. */
  createTopics(topics: ITopicConfig[]): Promise<void>;
  /** A kafkajs client for this broker. */
  client(clientId?: string): Kafka;
}
/**
 * A single-node KRaft broker (broker and controller in one JVM, 512 MiB heap) on loopback ports of
 * its own, with fresh storage that is deleted on stop.
 */
export declare function startKafka(options?: { topics?: ITopicConfig[] }): Promise<KafkaBroker>;
