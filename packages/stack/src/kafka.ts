import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Layout } from './layout.js';
import { PORTS } from './layout.js';
import { run, startDetached, StackError, waitFor } from './proc.js';
import type { ServiceProcess } from './state.js';
import type { TestCertificates } from './tls.js';

/**
 * One Apache Kafka broker in KRaft mode (broker and controller in one JVM),
 * run from the official jars on Maven Central. The jars are resolved by Maven
 * from packages/stack/kafka/pom.xml and cached under .stack/kafka/libs, keyed
 * by the pom's hash, so a changed pom resolves again.
 */
export function ensureKafkaJars(paths: Layout, log: (line: string) => void): string {
  const libs = join(paths.stack, 'kafka', 'libs');
  const stamp = join(libs, '.pom-sha256');
  const hash = createHash('sha256').update(readFileSync(paths.kafkaPom)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return libs;

  log('resolving the Kafka broker jars with Maven (first run only)');
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  run('mvn', [
    '-q',
    '-B',
    '-f',
    paths.kafkaPom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libs}`,
  ]);
  if (!readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new StackError(`Maven finished but no kafka_2.13 jar is in ${libs}`);
  }
  writeFileSync(stamp, hash);
  return libs;
}

export interface KafkaPorts {
  port: number;
  controllerPort: number;
}

/**
 * SASL/SCRAM over TLS on the client listener, as managed Kafka services run it.
 * The broker talks to itself on a separate plaintext loopback listener.
 */
export interface KafkaSecurity {
  tls: TestCertificates;
  internalPort: number;
  scram: { username: string; password: string };
}

function listenerLines(ports: KafkaPorts, security: KafkaSecurity | undefined): string[] {
  const { port, controllerPort } = ports;
  const controller = `CONTROLLER://127.0.0.1:${controllerPort}`;
  if (security === undefined) {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${port},${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
    ];
  }

  const internal = `INTERNAL://127.0.0.1:${security.internalPort}`;
  const { tls } = security;
  return [
    `listeners=SASL_SSL://127.0.0.1:${port},${internal},${controller}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port},${internal}`,
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=INTERNAL',
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // PEM files directly (KIP-651): the key file holds the private key, then the chain.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.dir}/server-keystore.pem`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.caFile}`,
  ];
}

export function kafkaProperties(
  dataDir: string,
  ports: KafkaPorts,
  security?: KafkaSecurity,
): string {
  const { controllerPort } = ports;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    'controller.listener.names=CONTROLLER',
    ...listenerLines(ports, security),
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // One broker: internal topics cannot have more replicas than that.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=6',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests create and join many short-lived groups; don't wait 3 s for each.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

function java(
  libs: string,
  heap: string[],
  main: string,
  args: string[],
  log4j: string,
): [string, string[]] {
  return [
    'java',
    [...heap, `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${libs}/*`, main, ...args],
  ];
}

/**
 * Starts a broker whose data and logs live in `dir`, formatting the storage on
 * first use. The stack's broker and the tests' scratch brokers share this.
 */
export function launchKafka(
  dir: string,
  ports: KafkaPorts,
  libs: string,
  log4j: string,
  log: (line: string) => void,
  security?: KafkaSecurity,
): ServiceProcess {
  const dataDir = join(dir, 'data');
  const props = join(dir, 'server.properties');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(props, kafkaProperties(dataDir, ports, security));

  if (!existsSync(join(dataDir, 'meta.properties'))) {
    log('formatting Kafka storage (first run only)');
    const format = ['format', '-t', kafkaClusterId(), '-c', props];
    if (security !== undefined) {
      const { tls, scram } = security;
      const pem = `${readFileSync(tls.keyFile, 'utf8')}${readFileSync(tls.certFile, 'utf8')}`;
      writeFileSync(join(tls.dir, 'server-keystore.pem'), pem, { mode: 0o600 });
      // SCRAM credentials live in the cluster metadata; KRaft takes them at format time.
      for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
        format.push(
          '--add-scram',
          `${mechanism}=[name=${scram.username},password=${scram.password}]`,
        );
      }
    }
    const [cmd, args] = java(libs, ['-Xmx256m'], 'kafka.tools.StorageTool', format, log4j);
    run(cmd, args);
  }

  // Heap bounded well under 1 GiB; G1 with a short pause goal suits a broker on 2 cores.
  const heap = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20'];
  const [cmd, args] = java(libs, heap, 'kafka.Kafka', [props], log4j);
  return startDetached(cmd, args, join(dir, 'kafka.log'), ports.port);
}

export function startKafka(
  paths: Layout,
  libs: string,
  log: (line: string) => void,
): ServiceProcess {
  const ports = { port: PORTS.kafka, controllerPort: PORTS.kafkaController };
  return launchKafka(join(paths.stack, 'kafka'), ports, libs, paths.kafkaLog4j, log);
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding. */
function kafkaClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

export async function ensureTopic(
  topic: string,
  partitions: number,
  broker = `127.0.0.1:${PORTS.kafka}`,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'parley-stack',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const admin = kafka.admin();
  await waitFor(
    'the Kafka broker',
    async () => {
      await admin.connect();
      await admin.listTopics();
      return true;
    },
    90000,
    500,
  );

  try {
    const existing = await admin.fetchTopicMetadata({ topics: [] });
    const found = existing.topics.find((t) => t.name === topic);
    if (found === undefined) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    } else if (found.partitions.length < partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
    }
  } finally {
    await admin.disconnect();
  }
}
