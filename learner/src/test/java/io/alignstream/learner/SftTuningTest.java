package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT's learning rate and length chosen by held-out NLL: within the budget, from the grid, better than not training. */
class SftTuningTest {
  @TempDir
  Path dir;

  @Test
  void choosesALearningRateAndAStepCountByHeldOutNll() throws Exception {
    try (Tokenizer t = TinyModels.tokenizer(dir, "a b c d e f g h ? yes no .");
        Policy base = TinyModels.policy(t)) {
      List<Example> demos = new ArrayList<>();
      String[] letters = "a b c d e f g h".split(" ");
      for (String x : letters) {
        for (String y : letters) {
          demos.add(new Example(t.encode(x + " " + y + " ?"), t.responseIds("yes " + y + " .")));
        }
      }
      List<Integer> progress = new ArrayList<>();
      SftTuning.Choice c = SftTuning.choose(base, demos, 40, 8, 1e-3, 1, progress::add);
      assertTrue(c.steps() >= 1 && c.steps() <= 40, c.describe());
      assertTrue(List.of(1e-3 / 3, 1e-3, 3e-3).stream().anyMatch(lr -> Math.abs(lr - c.lr()) < 1e-12), c.describe());
      assertEquals(3, c.trials().size(), c.describe());
      assertTrue(progress.size() >= 3 && progress.size() <= 120, "steps taken " + progress.size());
      double untrained = SftTuning.nllPerToken(base, demos);
      assertTrue(c.heldOutNll() < untrained, c.describe() + " vs untrained " + untrained);
      // Too few demonstrations to hold any out: the recipe's rate and the whole budget.
      SftTuning.Choice few = SftTuning.choose(base, demos.subList(0, 5), 40, 8, 1e-3, 1, s -> { });
      assertEquals(new SftTuning.Choice(1e-3, 40, Double.NaN, List.of()).lr(), few.lr());
      assertEquals(40, few.steps());
    }
  }
}
