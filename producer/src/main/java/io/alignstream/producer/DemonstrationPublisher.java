package io.alignstream.producer;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends input lines to the raw topic as one batch: normalized JSON when the line reads as a
 * demonstration, the line's own bytes otherwise (the topology dead-letters those with a reason, so
 * nothing is lost). Every record carries the batch id header, for {@link BatchVerdict}.
 *
 * <p>A line larger than the raw topic stores ({@link Topics#RAW_RECORD_MAX_BYTES}, or a lower limit
 * an existing topic has) is not sent, or is refused by the broker: it is counted in
 * {@link #tooLarge()} and logged with its file and line, and the other lines go on.
 */
public final class DemonstrationPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemonstrationPublisher.class);
  /** Largest value sent: the record's key, headers and batch envelope also count towards the topic's limit. */
  static final int MAX_VALUE_BYTES = Topics.RAW_RECORD_MAX_BYTES - 1024;

  private final Topic<byte[], byte[]> raw;
  private final LineNormalizer normalizer;
  private final byte[] batchId;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong unreadable = new AtomicLong();
  private final AtomicLong tooLarge = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  public DemonstrationPublisher(KafkaConnection kafka, Topics topics, LineNormalizer normalizer, String batchId) {
    this.raw = topics.demosRaw;
    this.normalizer = normalizer;
    this.batchId = batchId.getBytes(StandardCharsets.UTF_8);
    Map<String, Object> config = new HashMap<>(kafka.producerConfig());
    // Throughput over latency: a file is a bulk load.
    config.putIfAbsent("linger.ms", "10");
    config.putIfAbsent("batch.size", Integer.toString(256 * 1024));
    this.producer = new KafkaProducer<>(config, raw.keySerde().serializer(), raw.valueSerde().serializer());
  }

  /** Sends one line; asynchronous, so call {@link #flush} to know it arrived. */
  public void publish(LineTail.Line line) {
    failIfBroken();
    Optional<byte[]> normalized = utf8(line.bytes()).flatMap(text -> normalizer.normalize(text, line.source()));
    byte[] value = normalized.orElse(line.bytes());
    if (value.length > MAX_VALUE_BYTES) {
      refused(line.source(), value.length + " bytes, over the raw topic's limit of " + MAX_VALUE_BYTES);
      return;
    }
    if (normalized.isEmpty()) {
      unreadable.incrementAndGet();
    }
    var headers = new RecordHeaders().add(IngestTopology.BATCH, batchId);
    var record = new ProducerRecord<byte[], byte[]>(raw.name(), null, null, null, value, headers);
    sent.incrementAndGet();
    producer.send(record, (meta, e) -> {
      if (e instanceof RecordTooLargeException) {
        // The topic's own limit is lower (an older or external topic): this line only is refused.
        sent.decrementAndGet();
        refused(line.source(), e.getMessage());
      } else if (e != null) {
        failure.compareAndSet(null, e);
      }
    });
  }

  private void refused(String source, String why) {
    long n = tooLarge.incrementAndGet();
    if (n <= 10 || n % 1000 == 0) {
      log.warn("{} not sent ({} so far): {}", source, n, why);
    }
  }

  /** Waits until everything sent is acknowledged by the broker. */
  public void flush() {
    producer.flush();
    failIfBroken();
  }

  /**
   * What was sent so far.
   *
   * @param sent records sent (once flushed: stored in the raw topic)
   * @param unreadable of those, lines sent as they were because they did not read as a demonstration
   * @param tooLarge lines not stored because they are larger than the raw topic takes
   */
  public record Counts(long sent, long unreadable, long tooLarge) {}

  public Counts counts() {
    return new Counts(sent.get(), unreadable.get(), tooLarge.get());
  }

  private void failIfBroken() {
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException("sending to " + raw.name() + " failed: " + e.getMessage(), e);
    }
  }

  private static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
