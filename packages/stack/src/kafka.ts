import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Layout } from './layout.js';
import { PORTS } from './layout.js';
import { run, startDetached, StackError, waitFor } from './proc.js';
import type { ServiceProcess } from './state.js';

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

export function kafkaProperties(dataDir: string, ports: KafkaPorts): string {
  const { port, controllerPort } = ports;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
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
): ServiceProcess {
  const dataDir = join(dir, 'data');
  const props = join(dir, 'server.properties');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(props, kafkaProperties(dataDir, ports));

  if (!existsSync(join(dataDir, 'meta.properties'))) {
    log('formatting Kafka storage (first run only)');
    const format = ['format', '-t', kafkaClusterId(), '-c', props];
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
