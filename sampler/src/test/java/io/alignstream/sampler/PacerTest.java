package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PacerTest {
  @Test
  void spendsTheBudgetOfAVersionThenWaitsForANewerOne() {
    var pacer = new Pacer(5);
    assertEquals(5, pacer.remaining(0));
    pacer.record(0, 3);
    assertEquals(2, pacer.remaining(0));
    pacer.record(0, 2);
    assertEquals(0, pacer.remaining(0)); // pause
    assertEquals(5, pacer.remaining(1)); // a newer version resumes with a full budget
    pacer.record(1, 4);
    assertEquals(1, pacer.remaining(1));
  }

  @Test
  void aBatchGeneratedAtAnOlderVersionDoesNotSpendTheNewBudget() {
    var pacer = new Pacer(4);
    pacer.record(1, 1);
    pacer.record(0, 3); // committed after v1 arrived, but generated at v0
    assertEquals(3, pacer.remaining(1));
  }

  @Test
  void overspendingClampsToZero() {
    var pacer = new Pacer(2);
    pacer.record(7, 5);
    assertEquals(0, pacer.remaining(7));
  }

  @Test
  void zeroTurnsPacingOff() {
    var pacer = new Pacer(0);
    pacer.record(0, 1_000_000);
    assertEquals(Integer.MAX_VALUE, pacer.remaining(0));
  }

  @Test
  void rejectsANegativeBudget() {
    assertThrows(IllegalArgumentException.class, () -> new Pacer(-1));
  }
}
