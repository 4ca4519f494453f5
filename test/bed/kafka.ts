import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { withHeartbeat } from '../../tools/log.js';
import { cachePath, repoRoot } from '../../tools/paths.js';
import { freePort } from '../../tools/ports.js';
import { isAlive, run, startServer, type RunningServer } from '../../tools/process.js';
import { installDebianPackages, javaMajorVersion, requireCommand } from './system.js';

const pomPath = join(repoRoot, 'test', 'bed', 'kafka', 'pom.xml');

/** The broker version the pom pins. */
export function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pomPath, 'utf8'));
  if (!match?.[1]) throw new Error(`${pomPath}: no <kafka.version> property`);
  return match[1];
}

function libsDir(): string {
  const hash = createHash('sha256').update(readFileSync(pomPath)).digest('hex').slice(0, 12);
  return cachePath('kafka', `${kafkaVersion()}-${hash}`, 'libs');
}

/** Resolves the broker jars from Maven Central into the cache, once per pom content. */
export async function installKafka(): Promise<string> {
  await installDebianPackages('kafka', [
    { name: 'openjdk-17-jre-headless', provides: '/usr/bin/java', command: 'java' },
    { name: 'maven', provides: '/usr/bin/mvn', command: 'mvn' },
  ]);
  const major = await javaMajorVersion();
  if (major < 17)
    throw new Error(
      `the Kafka ${kafkaVersion()} broker needs Java 17 or newer; java on PATH is ${major}`,
    );
  const libs = libsDir();
  if (existsSync(libs)) return libs;
  requireCommand('mvn', 'resolving the Kafka broker jars needs Maven (apt-get install maven)');
  const scratch = `${libs}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    await withHeartbeat(
      'kafka',
      `resolving Kafka ${kafkaVersion()} broker jars from Maven Central (mvn)`,
      () =>
        run('mvn', [
          '-q',
          '-B',
          '-f',
          pomPath,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${scratch}`,
          '-DincludeScope=runtime',
        ]),
      { cold: 'once per pom, about a minute' },
    );
    mkdirSync(dirname(libs), { recursive: true });
    renameSync(scratch, libs);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return libs;
}

export interface KafkaBroker extends RunningServer {
  /** `127.0.0.1:port` of the PLAINTEXT listener. */
  bootstrap: string;
  /** With `secure`: the SASL_SSL listener, and the PEM file of its self-signed certificate. */
  secure?: { bootstrap: string; caFile: string };
  /** Creates topics (waiting for their leaders); existing ones are left as they are. */
  createTopics(topics: ITopicConfig[]): Promise<void>;
  /** A kafkajs client for this broker. */
  client(clientId?: string): Kafka;
  /**
   * Stops the broker (SIGTERM: a controlled shutdown) and starts it again on the same data dir and
   * ports, as an operator restarting it would; resolves once it is ready again. `pid` and `log()`
   * follow the new process.
   */
  restart(): Promise<void>;
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. One starting with
 * `-` would be read by the storage tool as an option, so those are drawn again.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const log4jConfig = `rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.noisy.name=org.apache.kafka.clients
logger.noisy.level=WARN
`;

/**
 * A single-node KRaft broker (broker and controller in one JVM, 512 MiB heap) on loopback ports of
 * its own, with fresh storage that is deleted on stop.
 */
export async function startKafka(
  options: {
    topics?: ITopicConfig[];
    /** Also listen with SASL_SSL (PLAIN, a self-signed certificate) for these users → passwords. */
    secure?: { users: Record<string, string> };
  } = {},
): Promise<KafkaBroker> {
  const libs = await installKafka();
  const port = await freePort();
  const controllerPort = await freePort();
  const securePort = options.secure ? await freePort() : undefined;
  const bootstrap = `127.0.0.1:${port}`;
  const classpath = `${libs}/*`;
  const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

  const ready = async (log: () => string) =>
    log().includes('Kafka Server started') && (await acceptsConnections(port));
  const server = await startServer({
    name: 'kafka',
    command: 'java',
    prepare: async (dir) => {
      const listeners = [
        `PLAINTEXT://127.0.0.1:${port}`,
        `CONTROLLER://127.0.0.1:${controllerPort}`,
        ...(securePort ? [`SASL_SSL://127.0.0.1:${securePort}`] : []),
      ].join(',');
      const properties = [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
        `listeners=${listeners}`,
        `advertised.listeners=${listeners}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
        ...(options.secure ? await secureListener(dir, options.secure.users) : []),
        `log.dirs=${join(dir, 'data')}`,
        'num.partitions=1',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
      ];
      writeFileSync(join(dir, 'server.properties'), properties.join('\n') + '\n');
      writeFileSync(join(dir, 'log4j2.properties'), log4jConfig);
      await run('java', [
        ...jvm,
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '--cluster-id',
        newClusterId(),
        '--standalone',
        '--config',
        join(dir, 'server.properties'),
      ]);
    },
    args: (dir) => [
      ...jvm,
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      join(dir, 'server.properties'),
    ],
    ready,
    readyTimeoutMs: 90_000,
  });

  const client = (clientId = 'twinops-test'): Kafka =>
    new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.WARN, retry: { retries: 5 } });

  const createTopics = async (topics: ITopicConfig[]): Promise<void> => {
    const admin = client('twinops-bed-admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  };

  try {
    await warmGroupCoordinator(bootstrap);
    if (options.topics?.length) await createTopics(options.topics);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const secure = securePort
    ? { bootstrap: `127.0.0.1:${securePort}`, caFile: join(server.instanceDir, 'tls', 'cert.pem') }
    : undefined;

  // A restart runs the broker as a new server of the bed (its own log, watchdog and record) on
  // the first one's config and data: the first instance dir is deleted only once the last broker
  // using it has stopped.
  let current: RunningServer = server;
  const earlier: RunningServer[] = [];
  const restart = async (): Promise<void> => {
    await stopProcessGroup(current.pid);
    earlier.push(current);
    current = await startServer({
      name: 'kafka',
      command: 'java',
      args: (dir) => [
        ...jvm,
        `-Dlog4j2.configurationFile=${join(server.instanceDir, 'log4j2.properties')}`,
        `-Dkafka.logs.dir=${join(dir, 'logs')}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        join(server.instanceDir, 'server.properties'),
      ],
      ready,
      readyTimeoutMs: 90_000,
    });
  };
  return {
    name: server.name,
    get pid() {
      return current.pid;
    },
    instanceDir: server.instanceDir,
    log: () => [...earlier, current].map((s) => s.log()).join(''),
    stop: async () => {
      await current.stop();
      for (const stopped of earlier.reverse()) await stopped.stop();
    },
    bootstrap,
    secure,
    createTopics,
    client,
    restart,
  };
}

/** SIGTERM to a server's process group, SIGKILL if it has not exited after `graceMs`. */
async function stopProcessGroup(pid: number, graceMs = 60_000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (let waited = 0; waited < graceMs && isAlive(pid); waited += 100) await sleep(100);
  signal('SIGKILL');
  for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 50) await sleep(50);
  if (isAlive(pid)) throw new Error(`kafka (pid ${pid}) did not exit`);
}

/**
 * The SASL_SSL listener's settings: a self-signed certificate for 127.0.0.1 made with openssl
 * (PEM, as Kafka reads it), and PLAIN users. Inter-broker traffic stays on PLAINTEXT.
 */
async function secureListener(dir: string, users: Record<string, string>): Promise<string[]> {
  const tls = join(dir, 'tls');
  mkdirSync(tls);
  const [key, cert] = [join(tls, 'key.pem'), join(tls, 'cert.pem')];
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  // Kafka's PEM keystore: the private key (PKCS#8) followed by the certificate chain.
  const keystore = join(tls, 'keystore.pem');
  writeFileSync(keystore, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  const jaasUsers = Object.entries(users)
    .map(([user, password]) => `user_${user}="${password}"`)
    .join(' ');
  return [
    'sasl.enabled.mechanisms=PLAIN',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${jaasUsers};`,
    'listener.name.sasl_ssl.ssl.keystore.type=PEM',
    `listener.name.sasl_ssl.ssl.keystore.location=${keystore}`,
  ];
}

/**
 * The first consumer group on a new broker creates __consumer_offsets, and until its partition
 * loads every client's group calls fail and retry noisily. Asking for a coordinator once, quietly,
 * does that work before any test runs.
 */
async function warmGroupCoordinator(bootstrap: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'twinops-bed-warmup',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.describeGroups(['twinops-bed-warmup']);
  } finally {
    await admin.disconnect();
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}
