package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.learner.Recipe.PolicyObjective;
import io.alignstream.model.DiscriminatorConfig.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {
  @TempDir
  Path dir;

  @Test
  void defaultsAreTheContinuousAfdLoop() {
    Recipe r = Recipe.defaults();
    assertEquals(Source.DEMONSTRATIONS, r.rewardPositive());
    assertEquals(Source.CURRENT_POLICY_SAMPLES, r.rewardNegative());
    assertEquals(PolicyObjective.BEST_OF_N, r.policyObjective());
  }

  @Test
  void aFileThenOverridesAndTheMapRoundTrips() throws Exception {
    Path file = dir.resolve("recipe.properties");
    Files.writeString(file, "# Init-SFT with BPO\nreward.positive = sft\nreward.negative = base\npolicy.objective = dpo\n");
    Recipe r = Recipe.load(file, List.of("policy.beta=0.05", "samples.include_greedy=true"));
    assertTrue(r.includeGreedy());
    assertEquals(Source.SFT_SAMPLES, r.rewardPositive());
    assertEquals(Source.INIT_SAMPLES, r.rewardNegative());
    assertEquals(PolicyObjective.DPO, r.policyObjective());
    assertEquals(0.05, r.beta());
    assertEquals(r, Recipe.parse(r.toMap()));
  }

  @Test
  void loraIsOffByDefaultAndItsKeysRoundTrip() {
    assertFalse(Recipe.defaults().lora().enabled(), "lora.rank=0: full fine-tuning");
    Recipe r = Recipe.load(null, List.of("lora.rank=8", "lora.alpha=32", "lora.dropout=0.05", "lora.targets=q_proj, v_proj"));
    assertEquals(new io.alignstream.model.lora.LoraConfig(8, 32, 0.05, List.of("q_proj", "v_proj")), r.lora());
    assertEquals(r, Recipe.parse(r.toMap()));
    var rank = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("lora.rank", "-1")));
    assertTrue(rank.getMessage().startsWith("recipe: lora rank must be >= 0"), rank.getMessage());
    var dropout = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("lora.dropout", "1")));
    assertTrue(dropout.getMessage().contains("[0, 1)"), dropout.getMessage());
    var target = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("lora.targets", "q-proj")));
    assertTrue(target.getMessage().contains("not a module name"), target.getMessage());
  }

  @Test
  void aLinearlyDecayingPolicyRateEndsAtZeroWhenTheLoopsBudgetIsSpent() {
    assertEquals(1e-4, Recipe.defaults().policySchedule().at(1_000), "constant by default");
    Recipe r = Recipe.load(null, List.of("policy.lr_decay=linear", "loop.max_updates=50", "policy.lr=2e-4"));
    assertEquals(2e-4 * 49 / 50, r.policySchedule().at(1), 1e-12);
    assertEquals(1e-4, r.policySchedule().at(25), 1e-12);
    assertEquals(0.0, r.policySchedule().at(50), 1e-12);
    assertEquals(r, Recipe.parse(r.toMap()));
    var unbounded = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("policy.lr_decay", "linear")));
    assertTrue(unbounded.getMessage().contains("loop.max_updates"), unbounded.getMessage());
    var bad = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("policy.lr_decay", "cosine")));
    assertTrue(bad.getMessage().contains("use constant or linear"), bad.getMessage());
  }

  @Test
  void mistakesGetOneLineThatSaysHowToFixThem() {
    var typo = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("polcy.objective", "dpo")));
    assertTrue(typo.getMessage().contains("did you mean 'policy.objective'"), typo.getMessage());
    var objective = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("policy.objective", "ppo")));
    assertTrue(objective.getMessage().contains("use one of sft, best_of_n, dpo, ipo, slic"), objective.getMessage());
    var number = assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("policy.lr", "fast")));
    assertTrue(number.getMessage().contains("policy.lr=fast is not a number"), number.getMessage());
    var same = assertThrows(IllegalArgumentException.class,
        () -> Recipe.parse(Map.of("reward.positive", "demos", "reward.negative", "demonstrations")));
    assertTrue(same.getMessage().contains("must differ"), same.getMessage());
    var pairs = assertThrows(IllegalArgumentException.class,
        () -> Recipe.parse(Map.of("policy.objective", "ipo", "samples.per_prompt", "1")));
    assertTrue(pairs.getMessage().contains("needs pairs"), pairs.getMessage());
    var greedy = assertThrows(IllegalArgumentException.class,
        () -> Recipe.parse(Map.of("samples.include_greedy", "yes", "samples.per_prompt", "1")));
    assertTrue(greedy.getMessage().contains("samples.include_greedy needs samples.per_prompt of at least 2"), greedy.getMessage());
    var form = assertThrows(IllegalArgumentException.class, () -> Recipe.load(null, List.of("policy.lr")));
    assertTrue(form.getMessage().contains("key=value"), form.getMessage());
    var missing = assertThrows(IllegalArgumentException.class, () -> Recipe.load(dir.resolve("none"), List.of()));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void aRecordedRecipeComesBackFromManifestMetadataAndTakesChanges() {
    Recipe recorded = Recipe.load(null, List.of("policy.objective=dpo", "loop.max_updates=7"));
    Map<String, String> metadata = new java.util.HashMap<>(recorded.toMetadata());
    metadata.put("stage", "base");
    assertEquals(recorded, Recipe.fromMetadata(metadata).orElseThrow());
    assertTrue(Recipe.fromMetadata(Map.of("stage", "base")).isEmpty(), "no recipe recorded");

    Recipe changed = recorded.with(null, List.of("policy.lr=1e-3"));
    assertEquals(1e-3, changed.policyLr());
    assertEquals(PolicyObjective.DPO, changed.policyObjective(), "the rest stays as recorded");
    assertEquals(7, changed.maxUpdates());
    var typo = assertThrows(IllegalArgumentException.class, () -> recorded.with(null, List.of("polcy.lr=1")));
    assertTrue(typo.getMessage().contains("did you mean 'policy.lr'"), typo.getMessage());
  }
}
