package io.alignstream.testkit;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Transactions on the fixture's broker (embedded here, external or Testcontainers elsewhere). */
@ExtendWith(KafkaFixture.class)
class TransactionsIT {
  @Test
  void readCommittedSeesCommittedTransactionsOnly(KafkaConnection kafka, Topics topics) {
    TransactionalRoundTrip.check(kafka, topics);
  }
}
