package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.Recipe;
import io.alignstream.model.Tokenizer;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.LabelledPair;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay on a real broker: a short live run A (every service in this JVM, as in {@link StreamingLoopIT})
 * is replayed into new runs. Same settings → bit-identical weights, which also equal A's own learner's;
 * another policy learning rate → other policy weights.
 */
@ExtendWith(KafkaFixture.class)
class ReplayIT {
  static final int UPDATES = 4;
  static final int PROMPTS_PER_UPDATE = 4;

  @TempDir
  Path dir;

  @Test
  void replaysOfARecordedRunAreBitIdenticalAndOtherSettingsChangeThem() throws Exception {
    KafkaConnection kafka = KafkaFixture.connection();
    Topics a = KafkaFixture.freshTopics("replay-a");
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    List<LabelledPair> demos = fitting(base, task.demonstrations(), 40);
    Recipe recipe = StreamingLoopIT.recipe(UPDATES);
    assertEquals(PROMPTS_PER_UPDATE, recipe.promptsPerUpdate());

    // Given run A, recorded live. SFT waits for every demonstration and no partial group is ever
    // trained (no idle flush), so A's learner groups its batches by count exactly as a replay does.
    StreamingLoopIT.produceRaw(kafka, a, demos);
    Path checkpoints = dir.resolve("a-checkpoints");
    var learner = new LearnerConfig(a, checkpoints, base, recipe, demos.size(), Duration.ofMinutes(2), Duration.ZERO, 3);
    var live = StreamingLoopIT.settings(a, dir, base, recipe);
    var settings = new Pipeline.Settings(learner, live.sampler(), live.samplers(), live.rewarder(), live.batchWait(),
        live.stateDir(), true);
    try (Pipeline pipeline = Pipeline.start(kafka, settings)) {
      assertTrue(pipeline.awaitVersion(1 + UPDATES, Duration.ofMinutes(6)),
          "run A reached version " + pipeline.learner().version());
    }

    // When it is replayed twice with its own recipe, and once with another policy learning rate...
    Replay.Result b1 = replay(kafka, a.runId(), "replay-b1", List.of());
    Replay.Result b2 = replay(kafka, a.runId(), "replay-b2", List.of());
    Replay.Result faster = replay(kafka, a.runId(), "replay-lr", List.of("policy.lr=2e-3"));

    // ...the two same-settings replays have the same bytes, policy and every reward member.
    assertTrue(b1.recordedRecipe(), "A's recipe came from its topics");
    assertEquals(recipe, b1.recipe());
    assertEquals(UPDATES, b1.updates());
    assertArrayEquals(policy(b1.policyDir()), policy(b2.policyDir()), "policy of two identical replays");
    assertEquals(rewards(b1.rewardDir()).keySet(), Set.of("member-00", "member-01"));
    rewards(b1.rewardDir()).forEach((member, bytes) ->
        assertArrayEquals(bytes, rewards(b2.rewardDir()).get(member), "reward " + member + " of two identical replays"));
    assertEquals(b1.policySha256(), b2.policySha256());
    assertEquals(b1.rewardSha256(), b2.rewardSha256());
    // A replay with A's recipe trains exactly what A's learner trained (its updates use the recorded
    // samples, never the live rewarder's timing-dependent scores), so it ends on A's last checkpoint.
    Path lastOfA = checkpoints.resolve(String.format("v%06d", 1 + UPDATES));
    assertArrayEquals(policy(lastOfA.resolve("policy")), policy(b1.policyDir()), "A's own final policy");
    assertArrayEquals(rewards(lastOfA.resolve("reward")).get("member-00"), rewards(b1.rewardDir()).get("member-00"));
    // Another learning rate: the same data, another policy.
    assertEquals(2e-3, faster.recipe().policyLr());
    assertFalse(java.util.Arrays.equals(policy(b1.policyDir()), policy(faster.policyDir())),
        "policy.lr=2e-3 must change the policy's weights");

    // B is a whole run record: A's generations, unchanged, and the batches B trained on, in A's order
    // and composition, each generation with A's recorded behaviour log-probs.
    Topics t1 = Topics.forRun(runOf(b1));
    List<Generation> genA = values(TopicReader.readCommitted(kafka, a.generations));
    List<Generation> genB = values(TopicReader.readCommitted(kafka, t1.generations));
    assertEquals(ids(genA.stream().map(Generation::getId)), ids(genB.stream().map(Generation::getId)));
    List<TrainingBatch> batchesA = values(TopicReader.readCommitted(kafka, a.batches));
    List<TrainingBatch> batchesB = values(TopicReader.readCommitted(kafka, t1.batches));
    assertEquals(UPDATES * PROMPTS_PER_UPDATE, batchesB.size());
    assertEquals(batchesA.subList(0, batchesB.size()).stream().map(TrainingBatch::getId).toList(),
        batchesB.stream().map(TrainingBatch::getId).toList(), "A's batch order");
    Map<String, Generation> byId = genA.stream().collect(Collectors.toMap(Generation::getId, Function.identity()));
    for (int i = 0; i < batchesB.size(); i++) {
      assertEquals(batchesA.get(i).getSamples().stream().map(ScoredSample::getId).toList(),
          batchesB.get(i).getSamples().stream().map(ScoredSample::getId).toList(), "composition of batch " + i);
      for (ScoredSample s : batchesB.get(i).getSamples()) {
        if (s.getKind() == SampleKind.GENERATION) {
          assertEquals(byId.get(s.getId()).getLogProbs(), s.getLogProbs(), "behaviour log-probs of " + s.getId());
          assertEquals(byId.get(s.getId()).getPolicyVersion(), s.getPolicyVersion());
        }
        // Scored by B's learner just before the update that used the batch: v1 for the first group.
        assertEquals(1 + i / PROMPTS_PER_UPDATE, s.getRewardModelVersion());
      }
    }

    // A replay of the replay is the same run again.
    Replay.Result again = replay(kafka, runOf(b1), "replay-c", List.of());
    assertArrayEquals(policy(b1.policyDir()), policy(again.policyDir()), "a replay of B1 gives B1's policy");

    // Mistakes are one clear line.
    var used = assertThrows(IllegalStateException.class, () -> Replay.run(kafka, new Replay.Config(a.runId(), runOf(b1),
        null, List.of(), dir.resolve("x"), Duration.ofMinutes(1)), quiet()));
    assertTrue(used.getMessage().contains("already has records"), used.getMessage());
    var unknown = assertThrows(IllegalArgumentException.class, () -> Replay.run(kafka, new Replay.Config(
        "no-such-run-" + System.nanoTime(), KafkaFixture.uniqueRunId("replay-x"), null, List.of(), dir.resolve("y"),
        Duration.ofMinutes(1)), quiet()));
    assertTrue(unknown.getMessage().startsWith("no run 'no-such-run-"), unknown.getMessage());
  }

  private final Map<Replay.Result, String> runIds = new java.util.IdentityHashMap<>();

  private Replay.Result replay(KafkaConnection kafka, String from, String hint, List<String> overrides) throws Exception {
    String as = KafkaFixture.uniqueRunId(hint);
    Replay.Result r = Replay.run(kafka, new Replay.Config(from, as, null, overrides, dir.resolve(as),
        Duration.ofMinutes(2)), quiet());
    runIds.put(r, as);
    return r;
  }

  private String runOf(Replay.Result r) {
    return runIds.get(r);
  }

  /** Distinct demonstrations that fit the tiny base's context, so SFT can wait for every one of them. */
  static List<LabelledPair> fitting(Path base, List<LabelledPair> all, int n) throws Exception {
    List<LabelledPair> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try (Tokenizer tok = Tokenizer.load(base)) {
      for (LabelledPair e : all) {
        int p = tok.encode(e.prompt()).length;
        int r = tok.responseIds(e.response()).length;
        if (p > 0 && r > 0 && p + r <= 64 && seen.add(e.prompt()) && out.size() < n) {
          out.add(e);
        }
      }
    }
    assertEquals(n, out.size(), "enough demonstrations fit the context");
    return out;
  }

  private static byte[] policy(Path modelDir) throws Exception {
    return Files.readAllBytes(modelDir.resolve("model.safetensors"));
  }

  private static Map<String, byte[]> rewards(Path ensembleDir) {
    try (Stream<Path> members = Files.list(ensembleDir)) {
      return members.collect(Collectors.toMap(p -> p.getFileName().toString(), p -> {
        try {
          return Files.readAllBytes(p.resolve("model.safetensors"));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> ids(Stream<String> ids) {
    return ids.sorted().toList();
  }

  private static <V> List<V> values(List<? extends org.apache.kafka.clients.consumer.ConsumerRecord<?, V>> records) {
    return records.stream().map(org.apache.kafka.clients.consumer.ConsumerRecord::value).toList();
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }
}
