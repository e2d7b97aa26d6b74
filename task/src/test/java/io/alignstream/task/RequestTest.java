package io.alignstream.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every request kind: its slots make it again, its desired answer passes its check, its wrong one fails. */
class RequestTest {
  @Test
  void everyItemRoundTripsThroughItsSlotsAndJudgesItsOwnAnswers() {
    Random rnd = new Random(3);
    for (Kind kind : Kind.values()) {
      List<Request> items = Request.items(kind, rnd);
      assertFalse(items.isEmpty(), kind.name());
      for (Request r : items) {
        assertEquals(kind, r.kind());
        assertEquals(Optional.of(r), Request.of(kind, r.slots()), r.item());
        assertTrue(r.check(tokens(r.desired(rnd))).success(), r.item() + ": " + r.desired(new Random(1)));
        if (kind != Kind.HARMFUL) { // a harmful request's wrong answer is compliance, judged by GoldenJudge
          assertFalse(r.check(tokens(r.wrong(rnd))).success(), r.item() + ": " + r.wrong(new Random(1)));
        }
      }
    }
  }

  @Test
  void aFactQuestionNeedsAFactKindAndASubjectOfItsTable() {
    assertEquals("legs of dog", new FactQuestion(Kind.ANIMAL_LEGS, "dog").item());
    assertThrows(IllegalArgumentException.class, () -> new FactQuestion(Kind.CAPITAL, "atlantis"));
    assertThrows(IllegalArgumentException.class, () -> new FactQuestion(Kind.LIST, "colors"));
    assertEquals(Optional.empty(), Request.of(Kind.ANIMAL_SOUND, java.util.Map.of("animal", "a unicorn")));
  }

  private static List<String> tokens(String response) {
    return Arrays.asList(response.split(" "));
  }
}
