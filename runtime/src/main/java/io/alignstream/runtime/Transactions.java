package io.alignstream.runtime;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;

/**
 * One producer transaction around a block of sends: begun, then committed, or aborted when the block
 * or the commit throws (the failure is rethrown; a failure to abort is added to it as suppressed).
 * For services that publish outside {@link TransactionalLoop}: the learner and replay.
 */
public final class Transactions {
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
}
