package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** One transaction around a block, and the close of a loop's two clients. */
class TransactionsTest {
  private final MockProducer<String, String> producer =
      new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());

  @Test
  void aBlockThatThrowsIsAbortedAndItsFailureRethrown() {
    producer.initTransactions();
    var failure = assertThrows(IllegalStateException.class, () -> Transactions.run(producer, () -> {
      producer.send(new ProducerRecord<>("t", "k", "v"));
      throw new IllegalStateException("block failed");
    }));
    assertEquals("block failed", failure.getMessage());
    assertTrue(producer.transactionAborted());
    assertFalse(producer.transactionCommitted());
    assertTrue(producer.history().isEmpty(), "nothing of an aborted transaction is visible");
  }

  @Test
  void theProducerClosesEvenWhenTheConsumerFailsToClose() {
    var consumer = new MockConsumer<String, String>("earliest") {
      @Override
      public synchronized void close(CloseOptions option) {
        throw new KafkaException("broker gone");
      }

      @Override
      public synchronized void close(Duration timeout) {
        throw new KafkaException("broker gone");
      }
    };

    Transactions.close(consumer, producer); // logged, not thrown

    assertTrue(producer.closed());
  }
}
