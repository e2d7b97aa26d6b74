package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights, model directories and checkpoints round-trip bit-exactly; resumed training is identical. */
class CheckpointTest {
  static final Gpt2Config CONFIG = new Gpt2Config(20, 16, 16, 2, 2, 1e-5, 0, 1);
  static final List<Example> BATCH = TestData.randomExamples(6, 20, 1, 4);

  @Test
  void bytesAndModelDirectoryRoundTripBitExactly(@TempDir Path dir) throws Exception {
    try (Policy policy = Policy.create(CONFIG, 1)) {
      byte[] bytes = policy.weightsToBytes();
      try (Policy fromBytes = Policy.fromBytes(CONFIG, bytes, 7)) {
        assertArrayEquals(bytes, fromBytes.weightsToBytes());
        assertEquals(7, fromBytes.version());
      }
      policy.save(dir);
      assertTrue(Files.exists(dir.resolve("config.json")) && Files.exists(dir.resolve("model.safetensors")));
      try (Policy loaded = Policy.load(dir)) {
        assertEquals(CONFIG, loaded.config());
        assertArrayEquals(bytes, loaded.weightsToBytes());
        assertArrayEquals(Probes.logits(policy, new long[] {3, 4, 5}), Probes.logits(loaded, new long[] {3, 4, 5}));
      }
    }
  }

  @Test
  void resumingFromACheckpointIsBitIdenticalToNotStopping(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    byte[] uninterrupted;
    Path checkpoint;
    try (Policy policy = Policy.create(CONFIG, 2);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.cosine(1e-2, 2, 10)))) {
      for (int i = 0; i < 4; i++) {
        t.sftStep(BATCH);
      }
      checkpoint = store.save(4, policy, t.optimizer(), null, Map.of("step", 4, "note", "test"));
      for (int i = 0; i < 4; i++) {
        t.sftStep(BATCH);
      }
      uninterrupted = policy.weightsToBytes();
    }
    assertEquals(dir.resolve("v000004"), checkpoint);
    assertEquals(List.of(4L), store.versions());
    assertEquals(checkpoint, store.latest().orElseThrow());
    assertEquals("test", CheckpointStore.metadata(checkpoint).get("note"));
    try (Policy policy = CheckpointStore.loadPolicy(checkpoint);
        PolicyTrainer t = new PolicyTrainer(policy, CheckpointStore.loadOptimizer(checkpoint))) {
      assertEquals(4, policy.version());
      assertEquals(4, t.optimizer().stepCount());
      for (int i = 0; i < 4; i++) {
        t.sftStep(BATCH);
      }
      assertArrayEquals(uninterrupted, policy.weightsToBytes());
    }
  }

  @Test
  void anyLayoutIsWrittenWholeOrNotAtAllAndPruningKeepsThePinned(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    for (long v = 1; v <= 5; v++) {
      String note = "v" + v;
      store.write(v, d -> Files.writeString(Files.createDirectories(d.resolve("policy")).resolve("note"), note));
    }
    assertThrows(IOException.class, () -> store.write(6, d -> {
      Files.writeString(d.resolve("half"), "x");
      throw new IOException("disk full");
    }));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), store.versions(), "a failed write leaves no checkpoint");
    try (var entries = Files.list(dir)) {
      assertEquals(5, entries.count(), "nor its temporary directory");
    }
    store.prune(2, Set.of(1L));
    assertEquals(List.of(1L, 4L, 5L), store.versions(), "the newest two and the pinned one");
    assertEquals("v5", Files.readString(store.latest().orElseThrow().resolve("policy/note")));
  }

  @Test
  void anOptimiserThatNeverSteppedRoundTrips(@TempDir Path dir) throws Exception {
    try (AdamW fresh = new AdamW(AdamWConfig.defaults(), LrSchedule.cosine(1e-3, 10, 100))) {
      fresh.save(dir);
    }
    try (AdamW loaded = AdamW.load(dir)) {
      assertEquals(0, loaded.stepCount());
      assertEquals(LrSchedule.cosine(1e-3, 10, 100), loaded.schedule());
      assertEquals(AdamWConfig.defaults(), loaded.config());
    }
  }

  @Test
  void rewardModelWithHeadRoundTrips(@TempDir Path dir) throws Exception {
    try (Policy policy = Policy.create(CONFIG, 3);
        RewardModel reward = RewardModel.fromPolicy(policy, 5, 0.1)) {
      double[] before = reward.score(BATCH);
      reward.save(dir.resolve("rm"));
      try (RewardModel loaded = RewardModel.load(dir.resolve("rm"))) {
        assertArrayEquals(reward.weightsToBytes(), loaded.weightsToBytes());
        assertArrayEquals(before, loaded.score(BATCH), 0);
      }
      policy.save(dir.resolve("policy"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RewardModel.load(dir.resolve("policy")));
      assertTrue(e.getMessage().contains("score.weight"), e.getMessage());
    }
  }

  @Test
  void hotSwapReplacesWeightsAndCopiesAreIndependent() {
    try (Policy a = Policy.create(CONFIG, 10); Policy b = Policy.create(CONFIG, 11); Policy snapshot = a.copy();
        PolicyTrainer t = new PolicyTrainer(a, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-2)))) {
      byte[] original = snapshot.weightsToBytes();
      t.sftStep(BATCH);
      assertArrayEquals(original, snapshot.weightsToBytes(), "the copy does not follow training");
      assertNotEquals(java.util.Arrays.hashCode(original), java.util.Arrays.hashCode(a.weightsToBytes()));
      a.loadWeights(b.weightsToBytes(), 42);
      assertEquals(42, a.version());
      assertArrayEquals(Probes.logits(b, new long[] {2, 3}), Probes.logits(a, new long[] {2, 3}));
      t.sftStep(BATCH); // the trainer keeps working on the swapped-in weights
      assertEquals(43, a.version());
      try (Policy wider = Policy.create(new Gpt2Config(20, 16, 32, 2, 2, 1e-5, 0, 1), 1)) {
        assertThrows(IllegalArgumentException.class, () -> a.loadWeights(wider.weightsToBytes(), 1));
      }
      byte[] good = b.weightsToBytes();
      byte[] current = a.weightsToBytes();
      assertThrows(IllegalArgumentException.class, () -> a.loadWeights(java.util.Arrays.copyOf(good, good.length / 2), 1));
      assertThrows(IllegalArgumentException.class, () -> a.loadWeights(new byte[] {1, 2, 3}, 1));
      assertEquals(43, a.version(), "a refused payload leaves the model as it was");
      assertArrayEquals(current, a.weightsToBytes());
    }
  }
}
