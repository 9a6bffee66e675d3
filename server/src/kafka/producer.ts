import { encodeRecord, type ChatMessage } from '@parley/protocol';
import { createKafka, type KafkaSettings, type Logger } from '@parley/runtime';
import { CompressionTypes, type Admin, type Producer } from 'kafkajs';
import type { Metrics } from '../metrics.js';
import { withTimeout } from '../timeout.js';
import { LingerBatcher } from './batcher.js';

export interface ChatProducerOptions {
  settings: KafkaSettings;
  nodeId: string;
  lingerMs: number;
  maxBatch: number;
  maxPending: number;
  ackTimeoutMs: number;
  metrics: Metrics;
  log: Logger;
}

/**
 * The only way a chat message enters Kafka. Records are keyed by room so one
 * room keeps its order inside one partition; the value is `encodeRecord`.
 *
 * Durability: `idempotent: true` with acks=-1 (all in-sync replicas), and
 * `maxInFlightRequests: 1` set explicitly because kafkajs does not force it for
 * idempotent producers (issue 3's traps) and reordering within a room is what
 * it would otherwise allow on retries. `publish` resolves only after Kafka
 * acknowledged the request holding the message.
 */
export class ChatProducer {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly batcher: LingerBatcher<ChatMessage>;
  private connected = false;
  private connecting: Promise<void> | undefined;
  private lastFailure: string | undefined;

  constructor(private readonly options: ChatProducerOptions) {
    const kafka = createKafka(options.settings, `parley-${options.nodeId}`);
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // A bounded retry budget, so a dead cluster surfaces as a failed send
      // instead of the unbounded retries kafkajs defaults to when idempotent.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.admin = kafka.admin({ retry: { retries: 0 } });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    this.batcher = new LingerBatcher<ChatMessage>({
      lingerMs: options.lingerMs,
      maxBatch: options.maxBatch,
      maxPending: options.maxPending,
      timeoutMs: options.ackTimeoutMs,
      send: (messages) => this.sendBatch(messages),
    });
  }

  /** Connects in the background and keeps retrying; sends fail until it succeeds. */
  start(): void {
    void this.ensureConnected().catch(() => undefined);
  }

  /** Resolves once Kafka accepted the message; rejects with a BatcherError otherwise. */
  publish(message: ChatMessage): Promise<void> {
    const result = this.batcher.submit(message);
    this.options.metrics.producerPending.set(this.batcher.pending);
    return result;
  }

  /** Why Kafka is not usable right now, or undefined when it is. */
  async probe(timeoutMs: number): Promise<string | undefined> {
    if (!this.connected) {
      // Readiness polls double as the reconnect loop while Kafka is away.
      void this.ensureConnected().catch(() => undefined);
      return this.lastFailure ?? 'kafka: producer not connected yet';
    }
    try {
      await withTimeout(
        this.admin.fetchTopicMetadata({ topics: [this.options.settings.KAFKA_TOPIC] }),
        timeoutMs,
      );
      return undefined;
    } catch (error) {
      return `kafka: ${(error as Error).message}`;
    }
  }

  /** Sends what is queued, then disconnects. */
  async close(): Promise<void> {
    await this.batcher.drain();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private async sendBatch(messages: ChatMessage[]): Promise<void> {
    const { metrics, nodeId, settings } = this.options;
    metrics.producerPending.set(this.batcher.pending);
    await this.ensureConnected();

    const stopTimer = metrics.produceDuration.startTimer();
    try {
      await this.producer.send({
        topic: settings.KAFKA_TOPIC,
        acks: -1,
        timeout: this.options.ackTimeoutMs,
        compression: CompressionTypes.None,
        messages: messages.map((m) => ({ key: m.room, value: encodeRecord(m, nodeId) })),
      });
      this.lastFailure = undefined;
    } catch (error) {
      this.lastFailure = `kafka: ${(error as Error).message}`;
      throw error;
    } finally {
      stopTimer();
      metrics.produceBatchMessages.observe(messages.length);
    }
  }

  private ensureConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connecting ??= (async () => {
      try {
        await Promise.all([this.producer.connect(), this.admin.connect()]);
        this.connected = true;
        this.options.log.info(
          { topic: this.options.settings.KAFKA_TOPIC },
          'kafka producer connected',
        );
      } catch (error) {
        this.lastFailure = `kafka: ${(error as Error).message}`;
        this.options.log.warn({ err: error }, 'kafka producer cannot connect');
        throw error;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }
}
