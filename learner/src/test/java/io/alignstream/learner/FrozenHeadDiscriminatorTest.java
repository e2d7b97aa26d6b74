package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frozen-feature head on a tiny random π_0: demonstrations answer "yes <word> ." to any prompt,
 * π_0 babbles. The head must learn from pairs what kind of reply a demonstration is, tell held-out
 * demonstrations from their negatives, leave π_0's backbone as it was, and come back from a checkpoint
 * with the same scores.
 */
class FrozenHeadDiscriminatorTest {
  @TempDir
  Path dir;

  private static final String WORDS = "a b c d e f g h i j k l m n o p ? yes no .";

  @Test
  void learnsWhatKindOfReplyADemonstrationIsAndSurvivesACheckpoint() throws Exception {
    try (Tokenizer t = TinyModels.tokenizer(dir, WORDS);
        Policy base = TinyModels.policy(t)) {
      String[] letters = "a b c d e f g h i j k l m n o p".split(" ");
      Random random = new Random(5);
      List<Example> demos = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        String prompt = letters[random.nextInt(16)] + " " + letters[random.nextInt(16)] + " ?";
        demos.add(new Example(t.encode(prompt), t.responseIds("yes " + letters[random.nextInt(16)] + " .")));
      }
      Recipe recipe = Recipe.load(null, List.of("seed=9"));
      byte[] backbone = base.weightsToBytes();
      try (FrozenHeadDiscriminator d = FrozenHeadDiscriminator.start(recipe, base, demos)) {
        SamplePool pool = new SamplePool(64, 512);
        demos.forEach(e -> pool.add(Source.DEMONSTRATIONS, e));
        Map<String, Double> before = new HashMap<>();
        d.measure(new SamplePool(8, 8), before);
        assertEquals(0.0, before.get("reward.pair_accuracy"), "a zero head prefers nothing");
        Map<String, Double> m = new HashMap<>();
        d.train(pool, new Random(1), m);
        d.measure(new SamplePool(8, 8), m);
        assertTrue(m.get("reward.loss") < Math.log(2), "loss " + m);
        // Against π_0's babble and cut-short copies; a mismatched demonstration is the same kind of reply
        // here (the reply ignores the prompt), so only the real task can show that part.
        assertTrue(m.get("reward.pair_accuracy.base") > 0.9, "held-out pair accuracy " + m);
        assertTrue(m.get("reward.pair_accuracy.cut") > 0.9, "held-out pair accuracy " + m);
        // A new demonstration-like reply outscores π_0's kind of reply to an unseen prompt.
        long[] prompt = t.encode("p o ?");
        var s = d.score(List.of(new Example(prompt, t.responseIds("yes k .")), new Example(prompt, t.responseIds("yes"))));
        assertTrue(s.mean()[0] > s.mean()[1], "complete reply " + s.mean()[0] + " vs cut " + s.mean()[1]);
        // Scores from cached features equal the ensemble's own forward pass, as the rewarder computes them.
        assertArrayEquals(d.ensemble().score(demos).mean(), d.score(demos).mean(), 1e-4);
        assertArrayEquals(backbone, base.weightsToBytes(), "π_0 is only read");

        Path checkpoint = Files.createDirectories(dir.resolve("ckpt"));
        d.save(checkpoint);
        try (FrozenHeadDiscriminator back = FrozenHeadDiscriminator.load(checkpoint, recipe)) {
          assertArrayEquals(d.score(demos).mean(), back.score(demos).mean(), 1e-6);
          Map<String, Double> again = new HashMap<>();
          back.measure(new SamplePool(8, 8), again);
          assertEquals(m.get("reward.pair_accuracy"), again.get("reward.pair_accuracy"));
        }
      }
    }
  }

  @Test
  void swappedWordNegativesComeOnlyWhenAskedFor() throws Exception {
    try (Tokenizer t = TinyModels.tokenizer(dir, WORDS);
        Policy base = TinyModels.policy(t)) {
      List<Example> demos = new ArrayList<>();
      String[] letters = "a b c d e f g h".split(" ");
      for (int i = 0; i < 16; i++) {
        demos.add(new Example(t.encode(letters[i % 8] + " " + letters[i / 2 % 8] + " ?"),
            t.responseIds("yes " + letters[i % 8] + " " + letters[(i + 3) % 8] + " .")));
      }
      for (int swapped : new int[] {0, 2}) {
        Recipe recipe = Recipe.load(null, List.of("seed=9", "reward.swapped=" + swapped));
        try (FrozenHeadDiscriminator d = FrozenHeadDiscriminator.start(recipe, base, demos)) {
          Map<String, Double> m = new HashMap<>();
          d.measure(new SamplePool(8, 8), m);
          assertEquals(swapped > 0, m.containsKey("reward.pair_accuracy.swap"), "reward.swapped=" + swapped + ": " + m);
        }
      }
    }
  }
}
