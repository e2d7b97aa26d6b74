package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.CheckpointStore;
import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner's training logic on a tiny model and a one-rule task: demonstrations always answer
 * "yes", the policy's samples say "yes" or "no". No Kafka: batches are built by hand.
 */
class LearnerTest {
  @TempDir
  Path dir;

  private static final List<String> PROMPTS = List.of("a b ?", "b c ?", "c d ?", "d e ?", "e f ?", "f g ?");

  private Tokenizer tokenizer() throws IOException {
    var b = new WordLevelTokenizerBuilder(64);
    b.addAll(List.of("a b c d e f g ? yes no ."));
    return Tokenizer.load(b.write(dir.resolve("tokenizer.json")));
  }

  private Learner learner(String... overrides) throws IOException {
    Tokenizer t = tokenizer();
    var config = new Gpt2Config(t.vocabSize(), 32, 32, 1, 2, 1e-5, t.eosId(), t.eosId());
    List<String> sets = new ArrayList<>(List.of("sft.steps=5", "sft.batch=4", "reward.warmup_updates=1",
        "samples.per_prompt=2", "reward.members=2", "policy.demo_weight=0.5"));
    sets.addAll(List.of(overrides));
    return Learner.fresh(Policy.create(config, 7), t, Recipe.load(null, sets));
  }

  private static ScoredSample scored(Learner l, String prompt, String response, SampleKind kind, int index) {
    Example e = l.demonstration(prompt, response);
    float[] lp = kind == SampleKind.DEMONSTRATION ? new float[0] : l.policy().tokenLogProbs(List.of(e))[0];
    List<Float> lps = new ArrayList<>();
    for (float f : lp) {
      lps.add(f);
    }
    String promptId = "p-" + prompt;
    return ScoredSample.newBuilder().setId(kind == SampleKind.DEMONSTRATION ? "d-" + prompt : promptId + "/0/policy/" + index)
        .setKind(kind).setPromptId(promptId).setRound(0).setPrompt(prompt).setResponse(response)
        .setPromptTokenIds(ints(e.prompt())).setResponseTokenIds(ints(e.response())).setLogProbs(lps)
        .setPolicyName(kind == SampleKind.DEMONSTRATION ? "demonstration" : "policy")
        .setPolicyVersion(kind == SampleKind.DEMONSTRATION ? -1 : l.version())
        .setRewards(List.of(0f)).setRewardMean(0f).setRewardStd(0f).setRewardModelVersion(0)
        .setCreatedAtMs(0).setScoredAtMs(0).build();
  }

  private static List<Integer> ints(long[] ids) {
    List<Integer> out = new ArrayList<>();
    for (long id : ids) {
      out.add((int) id);
    }
    return out;
  }

  /** Each update sees a different slice of the prompts, so the sample pools' history matters. */
  private static List<TrainingBatch> batches(Learner l) {
    List<TrainingBatch> out = new ArrayList<>();
    int shift = (int) (l.version() % PROMPTS.size());
    for (int i = 0; i < 4; i++) {
      String p = PROMPTS.get((i + shift) % PROMPTS.size());
      out.add(TrainingBatch.newBuilder().setId("p-" + p + "/0/policy").setPromptId("p-" + p).setRound(0)
          .setSamples(List.of(scored(l, p, "yes .", SampleKind.DEMONSTRATION, 0),
              scored(l, p, "yes .", SampleKind.GENERATION, 0), scored(l, p, "no .", SampleKind.GENERATION, 1)))
          .setComplete(true).setCreatedAtMs(0).build());
    }
    return out;
  }

  private static List<Example> demos(Learner l) {
    return PROMPTS.stream().map(p -> l.demonstration(p, "yes .")).toList();
  }

  @Test
  void theDiscriminatorLearnsDemonstrationsFromPolicySamplesAndVersionsAdvance() throws IOException {
    try (Learner l = learner("reward.steps_per_update=4", "reward.lr=3e-3", "policy.objective=best_of_n")) {
      l.sft(demos(l), step -> { });
      assertEquals(1, l.version());
      Learner.UpdateResult last = null;
      for (int i = 0; i < 12; i++) {
        last = l.update(batches(l));
      }
      assertEquals(13, l.version());
      assertTrue(last.policyUpdated());
      for (String key : List.of("reward.loss", "policy.loss", "kl.behaviour", "kl.base", "lag.mean",
          "reward.generations_mean", "policy.importance_weight")) {
        assertTrue(last.metrics().containsKey(key), "metrics have " + key + ": " + last.metrics());
      }
      // "no ." is never demonstrated, so it must score below the demonstrated "yes .".
      Example yes = l.demonstration("g a ?", "yes .");
      Example no = l.demonstration("g a ?", "no .");
      var scores = l.reward().score(List.of(yes, no));
      assertTrue(scores.mean()[0] > scores.mean()[1], "r(yes)=" + scores.mean()[0] + " r(no)=" + scores.mean()[1]);
    }
  }

  /** Init-SFT: the reward model learns π_SFT's samples (positives) from π_0's (negatives), not the demonstrations. */
  @Test
  void initSftTakesPositivesFromTheSftLineAndNegativesFromTheBaseLine() throws IOException {
    try (Learner l = learner("reward.positive=sft", "reward.negative=base", "reward.steps_per_update=4",
        "reward.lr=3e-3")) {
      l.sft(demos(l), step -> { });
      for (int i = 0; i < 12; i++) {
        List<TrainingBatch> batches = new ArrayList<>();
        for (String p : PROMPTS) {
          var sft = ScoredSample.newBuilder(scored(l, p, "yes .", SampleKind.GENERATION, 0)).setPolicyName("sft")
              .setId("p-" + p + "/0/sft/0").build();
          var base = ScoredSample.newBuilder(scored(l, p, "no .", SampleKind.GENERATION, 0)).setPolicyName("base")
              .setId("p-" + p + "/0/base/0").build();
          batches.add(TrainingBatch.newBuilder().setId("p-" + p + "/0/sft").setPromptId("p-" + p).setRound(0)
              .setSamples(List.of(sft, base)).setComplete(true).setCreatedAtMs(0).build());
        }
        var r = l.update(batches);
        assertFalse(r.policyUpdated(), "no samples of the trained line: the policy waits");
      }
      var scores = l.reward().score(List.of(l.demonstration("g a ?", "yes ."), l.demonstration("g a ?", "no .")));
      assertTrue(scores.mean()[0] > scores.mean()[1], "r(sft-like)=" + scores.mean()[0] + " r(base-like)=" + scores.mean()[1]);
    }
  }

  @Test
  void everyObjectiveRuns() throws IOException {
    for (String objective : List.of("sft", "dpo", "ipo", "slic")) {
      try (Learner l = learner("policy.objective=" + objective)) {
        l.sft(demos(l), step -> { });
        l.update(batches(l));
        var r = l.update(batches(l));
        assertTrue(r.policyUpdated(), objective + " updated the policy: " + r.metrics());
        assertTrue(Double.isFinite(r.metrics().get("policy.loss")), objective);
      }
    }
  }

  @Test
  void aBatchItCannotTrainOnSaysWhy() throws IOException {
    try (Learner l = learner()) {
      TrainingBatch good = batches(l).get(0);
      assertEquals(java.util.Optional.empty(), l.unusable(good));
      TrainingBatch badId = TrainingBatch.newBuilder(good).build();
      badId.getSamples().get(1).setPromptTokenIds(List.of(l.policy().config().vocabSize()));
      assertTrue(l.unusable(badId).orElseThrow().contains("outside the vocabulary"), l.unusable(badId).toString());
      TrainingBatch shortLogProbs = TrainingBatch.newBuilder(good).build();
      shortLogProbs.getSamples().get(2).setLogProbs(List.of(-1f));
      assertTrue(l.unusable(shortLogProbs).orElseThrow().contains("log-probs for"), l.unusable(shortLogProbs).toString());
      TrainingBatch nanReward = TrainingBatch.newBuilder(good).build();
      nanReward.getSamples().get(0).setRewardMean(Float.NaN);
      assertTrue(l.unusable(nanReward).orElseThrow().contains("not all finite"), l.unusable(nanReward).toString());
      TrainingBatch empty = TrainingBatch.newBuilder(good).build();
      empty.getSamples().get(1).setResponseTokenIds(List.of());
      assertTrue(l.unusable(empty).orElseThrow().startsWith("sample " + good.getSamples().get(1).getId() + ": empty response"),
          l.unusable(empty).toString());
    }
  }

  @Test
  void samplesBeyondTheLagBoundAreDroppedNotTrainedOn() throws IOException {
    try (Learner l = learner("policy.max_lag=0")) {
      l.sft(demos(l), step -> { });
      List<TrainingBatch> old = batches(l); // generated at version 1
      l.update(batches(l));
      var r = l.update(old); // now at version 2: lag 1 > 0
      long heldOut = old.stream().filter(b -> TrainingInput.heldOut(b.getPromptId())).count();
      assertEquals(2 * (old.size() - heldOut), r.metrics().get("samples.stale_dropped"), 1e-9);
      assertEquals(1.0, r.metrics().get("lag.max"));
    }
  }

  @Test
  void aRestoredCheckpointContinuesBitForBit() throws IOException {
    byte[] uninterrupted;
    Path checkpoint = dir.resolve("ckpt");
    try (Learner l = learner()) {
      l.sft(demos(l), step -> { });
      l.update(batches(l));
      l.save(checkpoint, Map.of("offset", 17));
      l.update(batches(l));
      l.update(batches(l));
      uninterrupted = l.policy().weightsToBytes();
    }
    assertEquals(17, LearnerCheckpoint.extra(checkpoint).get("offset"));
    try (Learner r = Learner.load(checkpoint, Recipe.load(null, List.of("sft.steps=5", "sft.batch=4",
        "reward.warmup_updates=1", "samples.per_prompt=2", "reward.members=2", "policy.demo_weight=0.5")))) {
      assertEquals(2, r.version());
      r.update(batches(r));
      r.update(batches(r));
      assertEquals(4, r.version());
      assertArrayEquals(uninterrupted, r.policy().weightsToBytes(), "resumed = never stopped");
    }
  }

  @Test
  void theAnchoredRankingKeepsPiSftFrozenThroughTheLoopAndACheckpoint() throws IOException {
    String ranking = "policy.ranking=anchored_likelihood";
    byte[] uninterrupted;
    byte[] sft;
    Path checkpoint = dir.resolve("anchored");
    try (Learner l = learner(ranking)) {
      l.sft(demos(l), step -> { });
      sft = l.policy().weightsToBytes();
      l.update(batches(l)); // the reward model's warm-up update: no policy step
      l.update(batches(l));
      var third = l.update(batches(l));
      assertTrue(third.metrics().containsKey("kl.sft"), "KL to π_SFT is reported: " + third.metrics());
      assertTrue(third.metrics().get("kl.sft") != 0.0, "the policy has moved from π_SFT: " + third.metrics());
      assertArrayEquals(sft, l.anchor().weightsToBytes(), "π_SFT stays as the SFT stage left it");
      l.save(checkpoint, Map.of());
      l.update(batches(l));
      uninterrupted = l.policy().weightsToBytes();
    }
    List<String> sets = new ArrayList<>(List.of("sft.steps=5", "sft.batch=4", "reward.warmup_updates=1",
        "samples.per_prompt=2", "reward.members=2", "policy.demo_weight=0.5", ranking));
    try (Learner r = Learner.load(checkpoint, Recipe.load(null, sets))) {
      assertArrayEquals(sft, r.anchor().weightsToBytes(), "the checkpoint holds π_SFT");
      r.update(batches(r));
      assertArrayEquals(uninterrupted, r.policy().weightsToBytes(), "resumed = never stopped");
    }
  }

  @Test
  void withAContrastWeightTheRankingAddsTheAnswersPmiAgainstTheUpdatesOtherPrompts() throws IOException {
    try (Learner plain = learner(); Learner contrasted = learner("policy.contrast_weight=1")) {
      for (Learner l : List.of(plain, contrasted)) {
        l.sft(demos(l), step -> { });
        l.update(batches(l)); // the reward model's warm-up update
      }
      var without = plain.update(batches(plain)).metrics();
      var with = contrasted.update(batches(contrasted)).metrics();
      assertFalse(without.containsKey("policy.contrast_mean"));
      assertTrue(Double.isFinite(with.get("policy.contrast_mean")), with.toString());
      assertEquals(without.get("policy.ranked_score_mean") + with.get("policy.contrast_mean"),
          with.get("policy.ranked_score_mean"), 1e-6, "the same scores, each plus its PMI");
    }
  }

  @Test
  void aLaterCheckpointLinksTheFrozenModelsAndStandsAloneWhenTheEarlierOneIsPruned() throws IOException {
    String ranking = "policy.ranking=anchored_likelihood";
    Path first = dir.resolve("first");
    Path second = dir.resolve("second");
    byte[] base;
    byte[] sft;
    byte[] policy;
    try (Learner l = learner(ranking)) {
      l.sft(demos(l), step -> { });
      l.save(first, Map.of(), null);
      l.update(batches(l));
      l.update(batches(l));
      l.save(second, Map.of(), first);
      base = l.base().weightsToBytes();
      sft = l.anchor().weightsToBytes();
      policy = l.policy().weightsToBytes();
    }
    for (String frozen : List.of(LearnerCheckpoint.BASE, LearnerCheckpoint.ANCHOR)) {
      assertTrue(Files.isSameFile(first.resolve(frozen).resolve("model.safetensors"),
          second.resolve(frozen).resolve("model.safetensors")), frozen + " is linked, not written again");
    }
    assertFalse(Files.isSameFile(first.resolve(LearnerCheckpoint.POLICY).resolve("model.safetensors"),
        second.resolve(LearnerCheckpoint.POLICY).resolve("model.safetensors")), "the trained policy is written");
    CheckpointStore.deleteRecursively(first);
    List<String> sets = new ArrayList<>(List.of("sft.steps=5", "sft.batch=4", "reward.warmup_updates=1",
        "samples.per_prompt=2", "reward.members=2", "policy.demo_weight=0.5", ranking));
    try (Learner r = Learner.load(second, Recipe.load(null, sets))) {
      assertArrayEquals(base, r.base().weightsToBytes());
      assertArrayEquals(sft, r.anchor().weightsToBytes());
      assertArrayEquals(policy, r.policy().weightsToBytes());
    }
  }

  @Test
  void aCheckpointHoldsExactlyTheBytesThatArePublished() throws IOException {
    // The learner service publishes each update's weights from the checkpoint it just saved.
    Path checkpoint = dir.resolve("published");
    try (Learner l = learner()) {
      l.sft(demos(l), step -> { });
      l.update(batches(l));
      l.update(batches(l));
      l.save(checkpoint, Map.of());
      assertArrayEquals(l.policy().weightsToBytes(), LearnerCheckpoint.policyBytes(checkpoint));
      assertArrayEquals(l.reward().weightsToBytes(), LearnerCheckpoint.rewardBytes(checkpoint));
      assertEquals(2, l.reward().size(), "both members, in order");
      // Exported as the run's models: a policy model directory and the ensemble, the same weights.
      LearnerCheckpoint.exportModels(checkpoint, dir.resolve("out"), dir.resolve("out/reward"));
      try (Policy exported = Policy.load(dir.resolve("out")); Tokenizer tok = Tokenizer.load(dir.resolve("out"));
          var reward = io.alignstream.model.RewardEnsemble.load(dir.resolve("out/reward"), 0)) {
        assertArrayEquals(l.policy().weightsToBytes(), exported.weightsToBytes());
        assertEquals(l.tokenizer().vocabSize(), tok.vocabSize());
        assertArrayEquals(l.reward().weightsToBytes(), reward.weightsToBytes());
      }
    }
  }

  @Test
  void withLoraTheBaseStaysFrozenTheAdapterIsPublishedAndAResumeIsBitExact() throws IOException {
    String[] lora = {"lora.rank=4", "lora.alpha=8", "lora.dropout=0.1", "sft.lr=1e-2", "policy.lr=1e-2"};
    Path checkpoint = dir.resolve("lora");
    byte[] uninterrupted;
    try (Learner l = learner(lora)) {
      assertEquals(4, l.policy().lora().rank());
      byte[] before = l.policy().adapterToBytes();
      l.sft(demos(l), step -> { });
      l.update(batches(l));
      l.save(checkpoint, Map.of());
      // The policy's own copy of π_0 is bit for bit the base; the adapter alone moved, and is what goes out.
      assertArrayEquals(java.nio.file.Files.readAllBytes(checkpoint.resolve("base/model.safetensors")),
          java.nio.file.Files.readAllBytes(checkpoint.resolve("policy/model.safetensors")));
      assertFalse(java.util.Arrays.equals(before, l.policy().adapterToBytes()), "the adapter trained");
      assertArrayEquals(l.policy().adapterToBytes(), LearnerCheckpoint.policyAdapterBytes(checkpoint));
      assertFalse(java.util.Arrays.equals(l.base().weightsToBytes(), l.policy().weightsToBytes()),
          "the policy (merged) differs from π_0");
      l.update(batches(l));
      l.update(batches(l));
      uninterrupted = l.policy().adapterToBytes();
    }
    List<String> sets = new ArrayList<>(List.of("sft.steps=5", "sft.batch=4", "reward.warmup_updates=1",
        "samples.per_prompt=2", "reward.members=2", "policy.demo_weight=0.5"));
    sets.addAll(List.of(lora));
    try (Learner r = Learner.load(checkpoint, Recipe.load(null, sets))) {
      assertEquals(4, r.policy().lora().rank(), "the adapter comes back from the checkpoint");
      r.update(batches(r));
      r.update(batches(r));
      assertArrayEquals(uninterrupted, r.policy().adapterToBytes(), "resumed = never stopped, dropout included");
    }
  }

  @Test
  void sameInputsGiveBitIdenticalWeights() throws IOException {
    byte[][] runs = new byte[2][];
    for (int run = 0; run < 2; run++) {
      try (Learner l = learner()) {
        l.sft(demos(l), step -> { });
        for (int i = 0; i < 3; i++) {
          l.update(batches(l));
        }
        runs[run] = l.policy().weightsToBytes();
        assertFalse(l.reward() == null);
      }
    }
    assertArrayEquals(runs[0], runs[1]);
  }
}
