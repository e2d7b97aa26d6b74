package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Topics;
import java.util.List;
import org.junit.jupiter.api.Test;

class KafkaFixtureTest {
  @Test
  void uniqueRunIdsAreValidForAnyHint() {
    for (String hint : List.of("readCommitted", "[1] weird name()", "__x", "", "é", "x".repeat(200))) {
      String id = KafkaFixture.uniqueRunId(hint);
      Topics.forRun(id); // throws if the id is not a valid run id
      assertTrue(id.length() <= 64, id);
    }
    assertNotEquals(KafkaFixture.uniqueRunId("t"), KafkaFixture.uniqueRunId("t"));
  }
}
