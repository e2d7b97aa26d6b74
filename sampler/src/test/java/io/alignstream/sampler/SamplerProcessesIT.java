package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two sampler replicas as separate OS processes ({@link SamplerMain}) share one prompt topic: every
 * prompt is answered exactly K times, with token ids, behaviour log-probs and the policy version, and a
 * new version is hot-swapped into both without a restart.
 */
@ExtendWith(KafkaFixture.class)
class SamplerProcessesIT {
  private static final int K = 4;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private final List<Process> processes = new ArrayList<>();

  /**
   * A client properties file that shortens the group session (the broker's minimum, 6 s), so a killed
   * replica's partitions move to the survivor quickly.
   */
  private static Path fastFailover() throws IOException {
    Path file = Path.of("target", "sampler-it-client.properties");
    Files.createDirectories(file.getParent());
    return Files.writeString(file, "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
  }

  private Process startReplica(KafkaConnection kafka, Topics topics, String samplerId) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path log = Path.of("target", "sampler-" + samplerId + ".log");
    Files.createDirectories(log.getParent());
    var command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas",
        "-cp", classpath, SamplerMain.class.getName(),
        "--bootstrap", kafka.bootstrapServers(), "--kafka-config", fastFailover().toString(), "--run", topics.runId(), "--sampler-id", samplerId,
        "--samples-per-prompt", Integer.toString(K), "--prompts-per-batch", "3", "--max-new-tokens", "8",
        "--max-prompts-per-version", "0", "--seed", "5", "--weights-timeout", "90s",
        // One libtorch thread each: two replicas share two cores with the broker and the test.
        "--threads", "1");
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("DJL_OFFLINE", "true");
    Process p = builder.start();
    processes.add(p);
    return p;
  }

  @AfterEach
  void stopReplicas() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static void assertWellFormed(Generation g, UpstreamStub upstream, long version) {
    assertEquals(version, g.getPolicyVersion(), g.getId());
    assertEquals("policy", g.getPolicyName());
    assertEquals(g.getPromptId() + "/" + g.getRound() + "/policy/" + g.getSampleIndex(), g.getId());
    assertFalse(g.getResponseTokenIds().isEmpty(), g.getId());
    assertTrue(g.getResponseTokenIds().size() <= 8, g.getId());
    assertEquals(g.getResponseTokenIds().size(), g.getLogProbs().size(), "one log-prob per response token: " + g.getId());
    assertTrue(g.getLogProbs().stream().allMatch(lp -> lp <= 0 && Float.isFinite(lp)), g.getId());
    assertEquals(g.getResponseTokenIds().size() < 8 || g.getStoppedAtEos(),
        g.getResponseTokenIds().get(g.getResponseTokenIds().size() - 1) == upstream.tokenizer.eosId(), g.getId());
    assertEquals(IntStream.of(java.util.Arrays.stream(upstream.tokenizer.encode(g.getPrompt())).mapToInt(x -> (int) x).toArray())
        .boxed().toList(), g.getPromptTokenIds(), g.getId());
    assertEquals(1.0f, g.getTemperature());
    assertEquals(0.95f, g.getTopP());
  }

  /** Each prompt (id, round) answered exactly K times, with sample indexes 0..K-1. */
  private static void assertExactlyK(List<Generation> gens, Set<String> promptKeys) {
    assertEquals(gens.size(), gens.stream().map(Generation::getId).distinct().count(), "no generation twice");
    Map<String, List<Integer>> byPrompt = gens.stream().collect(Collectors.groupingBy(
        g -> g.getPromptId() + "/" + g.getRound(), Collectors.mapping(Generation::getSampleIndex, Collectors.toList())));
    assertEquals(promptKeys, byPrompt.keySet());
    byPrompt.forEach((p, idx) -> assertEquals(List.of(0, 1, 2, 3), idx.stream().sorted().toList(), p));
  }

  private static Set<String> samplers(List<Generation> gens) {
    return gens.stream().map(Generation::getSamplerId).collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  @Test
  void twoReplicaProcessesAnswerEveryPromptExactlyKTimesFollowNewVersionsAndSurviveACrash(KafkaConnection kafka, Topics topics)
      throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics)) {
      // Given version 0 of the policy
      upstream.publishVersion("policy", 0);

      // When two sampler processes run in the same group, and both have joined it
      startReplica(kafka, topics, "proc-a");
      startReplica(kafka, topics, "proc-b");
      String group = "alignstream." + topics.runId() + ".sampler.policy";
      upstream.awaitSettledMembers(group, 2);
      long t0 = System.nanoTime();
      List<String> first = upstream.publishPrompts(0, 12, 0);

      // Then every prompt is answered exactly K times at v0, by both replicas, and no more arrive later
      List<Generation> gens = upstream.awaitGenerations(g -> g.size() >= 12 * K, WAIT);
      double seconds = (System.nanoTime() - t0) / 1e9;
      Thread.sleep(1500);
      gens = upstream.generations();
      assertEquals(12 * K, gens.size(), "exactly K per prompt, read_committed");
      assertExactlyK(gens, first.stream().map(id -> id + "/0").collect(Collectors.toSet()));
      gens.forEach(g -> assertWellFormed(g, upstream, 0));
      assertEquals(Set.of("proc-a", "proc-b"), samplers(gens), "the replicas shared the prompts");
      long tokens = gens.stream().mapToLong(g -> g.getResponseTokenIds().size()).sum();
      System.out.printf("sampler processes: %d generations (%d tokens) in %.1f s from publish to read: %.1f generations/s,"
          + " %.0f tokens/s end to end%n", gens.size(), tokens, seconds, gens.size() / seconds, tokens / seconds);

      // When version 1 is published and both replicas have loaded it (hot swap, no restart)
      upstream.publishVersion("policy", 1);
      assertTrue(upstream.awaitEvent("version-loaded", "proc-a", "version", "1", WAIT), "proc-a loaded v1");
      assertTrue(upstream.awaitEvent("version-loaded", "proc-b", "version", "1", WAIT), "proc-b loaded v1");
      // And the first 6 prompts come back for round 1 (as the learner republishes them)
      List<String> again = upstream.publishPrompts(0, 6, 1);

      // Then their answers carry version 1, again exactly K each
      List<Generation> all = upstream.awaitGenerations(g -> g.size() >= 18 * K, WAIT);
      Thread.sleep(1500);
      all = upstream.generations();
      assertEquals(18 * K, all.size());
      List<Generation> round1 = all.stream().filter(g -> g.getRound() == 1).toList();
      assertExactlyK(round1, again.stream().map(id -> id + "/1").collect(Collectors.toSet()));
      round1.forEach(g -> assertWellFormed(g, upstream, 1));
      assertTrue(processes.stream().allMatch(Process::isAlive), "both replicas still running");

      // When 12 more prompts arrive and proc-a is killed (SIGKILL) once it has committed some of them
      List<String> late = upstream.publishPrompts(100, 112, 0);
      upstream.awaitGenerations(g -> g.stream().anyMatch(x -> x.getSamplerId().equals("proc-a")
          && late.contains(x.getPromptId())), WAIT);
      processes.get(0).destroyForcibly();
      assertTrue(processes.get(0).waitFor(10, TimeUnit.SECONDS));

      // Then the survivor takes over its partitions and every prompt is still answered exactly K times
      all = upstream.awaitGenerations(g -> g.size() >= 30 * K, WAIT);
      Thread.sleep(1500);
      all = upstream.generations();
      List<Generation> lateGens = all.stream().filter(g -> late.contains(g.getPromptId())).toList();
      assertExactlyK(lateGens, late.stream().map(id -> id + "/0").collect(Collectors.toSet()));
      assertEquals(30 * K, all.size());

      // When the survivor is stopped (SIGTERM, like Ctrl-C), it exits and leaves the group
      processes.get(1).destroy();
      assertTrue(processes.get(1).waitFor(30, TimeUnit.SECONDS), "clean shutdown");
      upstream.awaitSettledMembers(group, 0);
      assertTrue(upstream.awaitEvent("replica-stopped", "proc-b", "replica", "proc-b", WAIT), "proc-b closed cleanly");
      System.out.printf("sampler processes: generate calls averaged %.0f generations/s, %.0f tokens/s, %.0f ms per batch"
          + " (3 prompts x K=%d, <= 8 new tokens, tiny GPT)%n", upstream.meanMetric("sampler.generations_per_s"),
          upstream.meanMetric("sampler.tokens_per_s"), upstream.meanMetric("sampler.batch_latency_ms"), K);
    }
  }
}
