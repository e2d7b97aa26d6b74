package io.alignstream.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * What a dead letter carries, whoever writes it: the record's key and value bytes unchanged, its
 * original headers, and these {@code alignstream.dlq.*} headers saying why and where it came from.
 * Ingest writes the demonstrations it rejects; samplers the prompts they cannot sample; the rewarder,
 * batching and the learner the records they cannot decode or use. All go to the run's
 * {@link Topics#deadLetters} topic, so one place holds everything a run set aside.
 */
public final class DeadLetters {
  /** Header: a short, stable code for why (e.g. {@code too-long}, {@code undecodable-prompt}). */
  public static final String REASON = "alignstream.dlq.reason";
  /** Header: what is wrong, for people. */
  public static final String MESSAGE = "alignstream.dlq.message";
  /** Header: the topic the record was read from. */
  public static final String SOURCE_TOPIC = "alignstream.dlq.topic";
  /** Header: its partition, in decimal. */
  public static final String SOURCE_PARTITION = "alignstream.dlq.partition";
  /** Header: its offset, in decimal. */
  public static final String SOURCE_OFFSET = "alignstream.dlq.offset";

  private DeadLetters() {}

  /** The original headers of a record read from {@code topic}, plus the dead-letter headers. */
  public static Headers headers(Headers original, String reason, String message, String topic, int partition,
      long offset) {
    Headers headers = new RecordHeaders(original.toArray());
    headers.add(REASON, utf8(reason));
    headers.add(MESSAGE, utf8(message));
    headers.add(SOURCE_TOPIC, utf8(topic));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
    return headers;
  }

  /** {@code record} as a dead letter on {@code topics.deadLetters}. */
  public static ProducerRecord<byte[], byte[]> of(Topics topics, ConsumerRecord<byte[], byte[]> record, String reason,
      String message) {
    return of(topics.deadLetters.name(), record, reason, message);
  }

  /** {@code record} as a dead letter on the topic named {@code deadLetterTopic}. */
  public static ProducerRecord<byte[], byte[]> of(String deadLetterTopic, ConsumerRecord<byte[], byte[]> record,
      String reason, String message) {
    return new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(),
        headers(record.headers(), reason, String.valueOf(message), record.topic(), record.partition(), record.offset()));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
