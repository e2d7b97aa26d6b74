package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.Recipe;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.ServiceProcess;
import io.alignstream.testkit.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner as its own process, killed and restarted: once at the worst moment (after a
 * checkpoint, before its transaction), once with kill -9 at whatever moment it is. Reading committed
 * data only, every version is published exactly once and in order, and every trained batch started
 * exactly one next round: no batch was applied twice or skipped.
 */
@ExtendWith(KafkaFixture.class)
class LearnerResumeIT {
  static final int UPDATES = 7;

  @TempDir
  Path dir;

  @Test
  void aKilledLearnerResumesWithNoBatchAppliedTwiceOrSkipped() throws Exception {
    KafkaConnection kafka = KafkaFixture.connection();
    Topics topics = KafkaFixture.freshTopics("resume");
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    Recipe recipe = StreamingLoopIT.recipe(UPDATES);
    StreamingLoopIT.produceRaw(kafka, topics, task.demonstrations().subList(0, 40));

    var s = StreamingLoopIT.settings(topics, dir, base, recipe);
    var samplersAndRewarder = new Pipeline.Settings(s.learner(), s.sampler(), s.samplers(), s.rewarder(), s.batchWait(),
        s.stateDir(), false);
    try (Pipeline pipeline = Pipeline.start(kafka, samplersAndRewarder)) {
      // 1. Halts itself right after checkpointing v3, before publishing it.
      ServiceProcess first = learner(kafka, topics, base, recipe, 3);
      assertTrue(first.awaitExit(Duration.ofMinutes(5)), "the first learner halted");
      assertEquals(137, first.exitValue());
      assertTrue(Files.isDirectory(dir.resolve("checkpoints/v000003")), "v3 was checkpointed");
      assertEquals(2, publishedPolicyVersions(kafka, topics).stream().mapToLong(Long::longValue).max().orElse(-1),
          "but not published");

      // 2. Resumes (publishing v3 first), and is killed -9 once it has gone further.
      ServiceProcess learner = learner(kafka, topics, base, recipe, -1);
      awaitPublished(kafka, topics, 5, learner);
      learner.kill();

      // 3. Started again the same way, finishes the run.
      learner.start();
      assertTrue(learner.awaitExit(Duration.ofMinutes(5)), "the third learner finished its updates");
      assertEquals(0, learner.exitValue());
    }

    // Every version once, in order: 1 (SFT) to 1 + UPDATES.
    List<Long> versions = publishedPolicyVersions(kafka, topics);
    List<Long> expected = new ArrayList<>();
    for (long v = 1; v <= 1 + UPDATES; v++) {
      expected.add(v);
    }
    assertEquals(expected, versions);

    // Every batch the learner consumed started exactly one next round (rounds = 2: round-0 batches only).
    long consumed = committedLearnerOffset(kafka, topics);
    List<TrainingBatch> trained = TopicReader.readCommitted(kafka, topics.batches).stream()
        .filter(r -> r.offset() < consumed).map(ConsumerRecord::value).toList();
    long roundZero = trained.stream().filter(b -> b.getRound() == 0).count();
    Map<String, Long> nextRound = TopicReader.readCommitted(kafka, topics.prompts).stream()
        .map(ConsumerRecord::value).filter(p -> p.getRound() == 1)
        .collect(Collectors.groupingBy(Prompt::getPromptId, Collectors.counting()));
    assertEquals(roundZero, nextRound.values().stream().mapToLong(Long::longValue).sum(),
        "one round-1 prompt per trained round-0 batch");
    assertTrue(roundZero >= (long) UPDATES, "batches trained: " + roundZero);
  }

  private ServiceProcess learner(KafkaConnection kafka, Topics topics, Path base, Recipe recipe, long haltAfter) {
    List<String> jvm = new ArrayList<>(ServiceProcess.SERVICE_JVM_OPTIONS);
    jvm.add("-Xmx1g");
    // The halting one is the same command with a listener that halts the JVM (HaltingLearner).
    List<String> args = new ArrayList<>(haltAfter > 0 ? List.of(Long.toString(haltAfter)) : List.of("learner"));
    args.addAll(List.of(
        "--bootstrap", kafka.bootstrapServers(), "--run", topics.runId(), "--base", base.toString(),
        "--checkpoints", dir.resolve("checkpoints").toString(), "--min-demonstrations", "16",
        "--batch-wait", "5s", "--idle-flush", "5s"));
    recipe.toMap().forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    String name = haltAfter > 0 ? "learner-halting" : "learner";
    String main = haltAfter > 0 ? HaltingLearner.class.getName() : Main.class.getName();
    return ServiceProcess.start(new ServiceProcess.Spec(name, main, jvm, args, dir, dir.resolve(name + ".log")));
  }

  private static List<Long> publishedPolicyVersions(KafkaConnection kafka, Topics topics) {
    return TopicReader.readCommitted(kafka, topics.modelVersions).stream().map(ConsumerRecord::value)
        .filter(m -> m.getModelName().equals(ModelLines.POLICY)).map(ModelVersion::getVersion).toList();
  }

  private static void awaitPublished(KafkaConnection kafka, Topics topics, long version, ServiceProcess p)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (publishedPolicyVersions(kafka, topics).stream().noneMatch(v -> v >= version)) {
      assertTrue(p.alive(), "the learner died early:\n" + p.logTail(4000));
      assertTrue(System.nanoTime() < deadline, "v" + version + " was not published in time");
      Thread.sleep(200);
    }
  }

  private static long committedLearnerOffset(KafkaConnection kafka, Topics topics) throws Exception {
    String group = new LearnerConfig(topics, Path.of("unused"), null, Recipe.defaults(), 1, Duration.ZERO,
        Duration.ZERO, 1).groupId();
    try (var admin = kafka.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      return offsets.get(new TopicPartition(topics.batches.name(), 0)).offset();
    }
  }
}
