package io.alignstream.runtime;

import java.time.Duration;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One producer transaction around a block of sends: begun, then committed, or aborted when the block
 * or the commit throws (the failure is rethrown; a failure to abort is added to it as suppressed).
 * For services that publish outside {@link TransactionalLoop}: the learner and replay. And the close
 * of a read-process-write pair of clients, which every such loop ends with.
 */
public final class Transactions {
  private static final Logger log = LoggerFactory.getLogger(Transactions.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private Transactions() {}

  /** What runs inside the transaction; may throw the caller's checked exception. */
  public interface Body<E extends Exception> {
    void run() throws E;
  }

  /** Runs {@code body} in one transaction of {@code producer}, which must have initialised transactions. */
  public static <E extends Exception> void run(Producer<?, ?> producer, Body<E> body) throws E {
    producer.beginTransaction();
    try {
      body.run();
      producer.commitTransaction();
    } catch (Exception e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException abort) {
        e.addSuppressed(abort);
      }
      throw e;
    }
  }

  /**
   * Closes a loop's consumer (leaving its group), then its producer, each within 5 s. A failure is
   * logged, not thrown: the other client still closes, and a loop that is stopping has nothing left
   * to save.
   */
  public static void close(Consumer<?, ?> consumer, Producer<?, ?> producer) {
    try {
      consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
    } catch (RuntimeException e) {
      log.warn("closing the consumer: {}", e.toString());
    }
    try {
      producer.close(CLOSE_TIMEOUT);
    } catch (RuntimeException e) {
      log.warn("closing the producer: {}", e.toString());
    }
  }
}
