package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.alignstream.schemas.ModelLines;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InFlightGateTest {
  private static Map<String, String> manifest(long consumed, int perUpdate) {
    return Map.of(ModelLines.BATCHES_CONSUMED, Long.toString(consumed), ModelLines.PROMPTS_PER_UPDATE,
        Integer.toString(perUpdate));
  }

  @Test
  void atMostMaxLagUpdatesOfPromptsAreInFlight() {
    var gate = new InFlightGate(2);
    assertEquals(16, gate.remaining(0, manifest(0, 8)), "2 updates of 8 prompts may run ahead");
    assertEquals(6, gate.remaining(10, manifest(0, 8)));
    assertEquals(0, gate.remaining(16, manifest(0, 8)), "full: wait for the learner");
    assertEquals(0, gate.remaining(20, manifest(0, 8)), "never negative");
    assertEquals(12, gate.remaining(20, manifest(16, 8)), "the learner consumed 16: room again");
  }

  @Test
  void linesThatDoNotAdvertiseProgressAndTheOffSwitchAreNotGated() {
    assertEquals(Long.MAX_VALUE, new InFlightGate(2).remaining(1000, Map.of("stage", "base")));
    assertEquals(Long.MAX_VALUE, new InFlightGate(2).remaining(1000, null));
    assertEquals(Long.MAX_VALUE, new InFlightGate(0).remaining(1000, manifest(0, 8)));
    assertThrows(IllegalArgumentException.class, () -> new InFlightGate(-1));
  }
}
