package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardModel;
import io.alignstream.model.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Precision against the demonstrations on a tiny random π_0's features: demonstrations answer
 * "yes <letter> ." to any prompt. More answers of the same kind to new prompts must fall in the
 * demonstrations' balls than answers of another kind, and every demonstration in its own.
 */
class DemoLikenessTest {
  @TempDir
  Path dir;

  @Test
  void answersOfTheDemonstratedKindLieNearerThanAnotherKind() throws Exception {
    try (Tokenizer t = TinyModels.tokenizer(dir, "a b c d e f g h i j k l m n o p ? yes no .");
        Policy base = TinyModels.policy(t);
        RewardModel features = RewardModel.fromPolicy(base, 1, 0.0)) {
      String[] letters = "a b c d e f g h i j k l m n o p".split(" ");
      Random random = new Random(5);
      Supplier<String> letter = () -> letters[random.nextInt(16)];
      List<Example> demos = new ArrayList<>();
      for (int i = 0; i < 48; i++) {
        demos.add(new Example(t.encode(letter.get() + " " + letter.get() + " ?"), t.responseIds("yes " + letter.get() + " .")));
      }
      DemoLikeness near = new DemoLikeness(features, demos);
      // Prompts no demonstration has, so the nearest of all demonstrations counts.
      Set<String> shown = new HashSet<>();
      demos.forEach(d -> shown.add(Arrays.toString(d.prompt())));
      Function<Supplier<String>, List<Example>> answers = reply -> Stream.generate(() -> t.encode(letter.get() + " "
              + letter.get() + " ?")).filter(p -> !shown.contains(Arrays.toString(p))).limit(64)
          .map(p -> new Example(p, t.responseIds(reply.get()))).toList();
      var same = near.measure(answers.apply(() -> "yes " + letter.get() + " ."));
      var other = near.measure(answers.apply(() -> "no " + letter.get() + " " + letter.get()));
      var copies = near.measure(demos);

      assertEquals(64, other.answers());
      assertTrue(same.meanDistance() < other.meanDistance(), same + " vs " + other);
      assertTrue(same.precision() > other.precision(), same + " vs " + other);
      assertEquals(0.0, copies.meanDistance(), 1e-9, "a demonstration is nearest to itself");
      assertEquals(1.0, copies.precision(), 1e-9);
      // Against its own prompt's demonstration only: the same reply to a demonstrated prompt is at 0, another is not.
      Example d0 = demos.get(0);
      assertTrue(near.measure(List.of(new Example(d0.prompt(), t.responseIds("no a b")))).meanDistance() > 0);
    }
  }
}
