package io.alignstream.task;

import static io.alignstream.task.Answers.mentioned;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A question about one animal ({@link AnimalLegs}, {@link AnimalSound}): the phrasing's slot, the answer's
 * subject and the check that the response talks about no other animal are the same for every such fact.
 */
sealed interface AnimalQuestion extends Request permits AnimalLegs, AnimalSound {
  String animal();

  @Override
  default Map<String, String> slots() {
    return Map.of("animal", Facts.article(animal()) + " " + animal());
  }

  /** The subject of an answer: "a dog" most of the time, else "it". */
  default String subject(Random rnd) {
    return rnd.nextDouble() < 0.7 ? Facts.article(animal()) + " " + animal() : "it";
  }

  /** A failing verdict when the response mentions another animal. */
  default Optional<Verdict> otherAnimal(List<String> tokens) {
    return mentioned(tokens, Facts.LEGS.keySet()).stream().filter(a -> !a.equals(animal())).findFirst()
        .map(a -> Verdict.fail("wrong-answer", "talks about " + a + ", not " + animal()));
  }
}
