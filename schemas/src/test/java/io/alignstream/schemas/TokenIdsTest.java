package io.alignstream.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenIdsTest {
  @Test
  void idsRoundTripBetweenTheRecordsAndTheModel() {
    long[] ids = {0, 7, 50_256};
    assertEquals(List.of(0, 7, 50_256), TokenIds.toList(ids));
    assertArrayEquals(ids, TokenIds.toArray(TokenIds.toList(ids)));
    assertArrayEquals(new long[0], TokenIds.toArray(List.of()));
  }
}
