package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.BatchingService;
import io.alignstream.learner.Recipe;
import io.alignstream.model.Tokenizer;
import io.alignstream.producer.IngestConfig;
import io.alignstream.producer.IngestService;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.LabelledPair;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.ScratchDirectory;
import io.alignstream.testkit.ServiceProcess;
import io.alignstream.testkit.TopicReader;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crashes in the middle of a run. The broker ({@code alignstream broker}, fixed ports and data
 * directory), two samplers, the rewarder and the learner each run as their own OS process; at seeded
 * random moments the test kills -9 samplers, the rewarder and the learner, restarting each with the
 * same id, and stops and restarts the broker on the same port while everything runs. Afterwards,
 * reading committed data only: every demonstration was scored exactly once, every prompt the samplers
 * consumed has exactly K generations and every generation exactly one score, every training batch is
 * whole and emitted once, each update trained exactly its batches (none twice, none skipped), model
 * versions only increase, and the learner finished its updates.
 *
 * <p>The seed is printed; {@code -Dalignstream.faults.seed=N} (or {@code ALIGNSTREAM_FAULT_SEED})
 * repeats a plan. Every wait is a liveness bound that fails with the services' logs, never a speed
 * claim. This test does not use {@link KafkaFixture}'s broker: it needs one it can restart.
 */
class FaultInjectionIT {
  static final int K = StreamingLoopIT.K;
  static final int UPDATES = 24;
  /**
   * 60 prompts in 2 rounds: enough batches for UPDATES updates of 4. Half of them come in only once every
   * fault has struck: until then the learner has at most 30 x 2 = 60 batches, 15 updates' worth, so it
   * cannot finish before the last fault however fast it runs and however slowly services restart.
   */
  static final int DEMONSTRATIONS = 60;
  static final int HELD_BACK = 30;
  static final int MAX_NEW_TOKENS = 24;
  /** Longest any one wait may take before the test fails (a hung run, not a slow one). */
  static final Duration BOUND = Duration.ofMinutes(4);
  static final String SEED_PROPERTY = "alignstream.faults.seed";

  @TempDir
  Path dir;

  private final List<ServiceProcess> processes = new ArrayList<>();
  /** Service logs and, after a failure, the broker's data: kept under target/ for a post-mortem. */
  private Path logs;

  enum Target { SAMPLER, REWARDER, LEARNER, BROKER }

  /**
   * One fault of the plan: once the learner has published policy {@code afterVersion} and the target is
   * at work (for the broker: every service), wait {@code delayMs}, then kill -9 the target and restart it
   * with the same id; or, for the broker, stop it (SIGTERM), leave it down {@code downMs} more, and start
   * it again on the same port and data directory.
   */
  record Fault(Target target, int replica, long afterVersion, long delayMs, long downMs) {
    /** Two sampler kills, one rewarder kill, two learner kills and one broker restart, in random order. */
    static List<Fault> plan(Random random) {
      List<Target> targets = new ArrayList<>(List.of(Target.SAMPLER, Target.SAMPLER, Target.REWARDER,
          Target.LEARNER, Target.LEARNER, Target.BROKER));
      Collections.shuffle(targets, random);
      // Versions 2 .. 10: after SFT and the first update, and well within what the demonstrations that are
      // there from the start allow (see HELD_BACK).
      long[] after = LongStream.range(0, targets.size()).map(i -> 2 + random.nextInt(9)).sorted().toArray();
      List<Fault> plan = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        Target t = targets.get(i);
        plan.add(new Fault(t, t == Target.SAMPLER ? random.nextInt(2) : 0, after[i], random.nextInt(3000),
            t == Target.BROKER ? random.nextInt(3000) : 0));
      }
      return plan;
    }

    String describe() {
      return switch (target) {
        case SAMPLER -> "kill -9 sampler s" + (replica + 1);
        case REWARDER -> "kill -9 rewarder";
        case LEARNER -> "kill -9 learner";
        case BROKER -> "restart broker (down +" + downMs + " ms)";
      } + " after policy v" + afterVersion + " +" + delayMs + " ms";
    }
  }

  /** Set when every assertion held: the broker's data is then deleted, else kept beside the logs. */
  private boolean passed;

  @AfterEach
  void killLeftovers() throws IOException, InterruptedException {
    for (ServiceProcess p : processes) {
      p.close();
    }
    if (passed && logs != null) {
      ScratchDirectory.deleteTree(logs.resolve("kafka"));
    }
  }

  @Test
  void killedServicesAndARestartedBrokerNeitherLoseNorRepeatWork() throws Exception {
    long seed = seed();
    List<Fault> plan = Fault.plan(new Random(seed));
    System.out.printf("FaultInjectionIT seed %d (repeat with -D%s=%d)%n", seed, SEED_PROPERTY, seed);
    plan.forEach(f -> System.out.println("  planned: " + f.describe()));
    long t0 = System.nanoTime();

    // Given a broker process with its own ports and data directory, and the run's demonstrations
    int port = freePort();
    int controllerPort = freePort();
    Topics topics = Topics.forRun(KafkaFixture.uniqueRunId("faults"));
    logs = Path.of("target", "fault-injection", topics.runId()).toAbsolutePath();
    System.out.println("  service logs in " + logs);
    KafkaConnection kafka = KafkaConnection.of("127.0.0.1:" + port);
    ServiceProcess broker = service("broker", "-Xmx768m", List.of("broker", "--port", Integer.toString(port),
        "--controller-port", Integer.toString(controllerPort), "--data-dir", logs.resolve("kafka").toString(),
        "--run", topics.runId()));
    awaitBroker(kafka, broker);

    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    List<LabelledPair> demos = fitting(task, base);
    Set<String> promptIds = demos.stream().map(d -> ContentId.ofPrompt(d.prompt())).collect(Collectors.toSet());
    ingest(kafka, topics, demos, 0, DEMONSTRATIONS - HELD_BACK);

    // And the learner, the rewarder and two samplers, each its own process
    Path clientConfig = Files.writeString(dir.resolve("client.properties"),
        // The broker's minimum session: a killed member's partitions move on within seconds, not 45 s.
        "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
    List<String> kafkaArgs = List.of("--bootstrap", kafka.bootstrapServers(), "--kafka-config",
        clientConfig.toString(), "--run", topics.runId());
    List<String> learnerArgs = new ArrayList<>(List.of("learner", "--base", base.toString(), "--checkpoints",
        dir.resolve("checkpoints").toString(), "--min-demonstrations", "16",
        // Longer than any outage here: every batch is whole, so exact counts can be asserted.
        "--batch-wait", "3m",
        // Never an update on fewer than loop.prompts_per_update batches, so the counts below are exact.
        "--idle-flush", "0s"));
    learnerArgs.addAll(kafkaArgs);
    Recipe recipe = StreamingLoopIT.recipe(UPDATES);
    recipe.toMap().forEach((k, v) -> learnerArgs.addAll(List.of("--set", k + "=" + v)));
    ServiceProcess learner = service("learner", "-Xmx1g", learnerArgs);
    List<String> rewarderArgs = new ArrayList<>(List.of("rewarder", "--rewarder-id", "r", "--device", "cpu",
        "--weights-timeout", "4m"));
    rewarderArgs.addAll(kafkaArgs);
    ServiceProcess rewarder = service("rewarder", "-Xmx512m", rewarderArgs);
    List<ServiceProcess> samplers = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      List<String> args = new ArrayList<>(List.of("sampler", "--sampler-id", "s" + i, "-k", Integer.toString(K),
          "--prompts-per-batch", "2", "--max-new-tokens", Integer.toString(MAX_NEW_TOKENS), "--top-p", "1.0",
          // The in-flight gate on (it once counted offsets, markers included, and stalled this loop).
          "--max-prompts-per-version", "0", "--max-lag", "2", "--seed", Integer.toString(4 + i), "--threads", "1",
          "--weights-timeout", "4m"));
      args.addAll(kafkaArgs);
      samplers.add(service("sampler-s" + i, "-Xmx512m", args));
    }
    Groups groups = new Groups(topics);

    // When faults strike at the planned moments
    List<String> done = new ArrayList<>();
    try (Admin admin = kafka.admin(); VersionWatch versions = new VersionWatch(kafka, topics)) {
      for (Fault f : plan) {
        await("policy v" + f.afterVersion() + " and the target at work, before: " + f.describe(),
            () -> versions.policy() >= f.afterVersion() && groups.working(admin, f.target(), f.replica()));
        Thread.sleep(f.delayMs());
        long at = versions.policy();
        groups.killing(admin, f.target(), f.replica());
        switch (f.target()) {
          case SAMPLER -> restartKilled(samplers.get(f.replica()));
          case REWARDER -> restartKilled(rewarder);
          case LEARNER -> restartKilled(learner);
          case BROKER -> {
            assertTrue(broker.stop(Duration.ofSeconds(90)), "the broker stopped on SIGTERM:\n" + broker.logTail(3000));
            Thread.sleep(f.downMs());
            broker.start();
            awaitBroker(kafka, broker);
          }
          default -> throw new AssertionError(f.target());
        }
        String line = String.format("+%.0f s at policy v%d: %s", seconds(t0), at, f.describe());
        done.add(line);
        System.out.println("FaultInjectionIT fault " + line);
      }

      // Then, with the rest of the demonstrations, the learner finishes its updates, and the run drains
      ingest(kafka, topics, demos, DEMONSTRATIONS - HELD_BACK, DEMONSTRATIONS);
      await("the learner's last update (v" + (1 + UPDATES) + ")", () -> requireAlive(learner) && !learner.alive());
      assertEquals(0, learner.exitValue(), "the learner finished cleanly:\n" + learner.logTail(4000));
      for (ServiceProcess s : samplers) {
        assertTrue(s.stop(Duration.ofSeconds(60)), s.name() + " stopped on SIGTERM:\n" + s.logTail(3000));
      }
      await("the rewarder scoring everything committed", () -> groups.rewarderCaughtUp(kafka, admin));
      assertTrue(rewarder.stop(Duration.ofSeconds(60)), "the rewarder stopped on SIGTERM:\n" + rewarder.logTail(3000));

      Invariants counts = assertInvariants(kafka, admin, topics, groups, demos, promptIds,
          recipe.promptsPerUpdate());
      // Records of transactions the kills left open (aborted when the restarted replica fenced them): evidence
      // that kills interrupted work in flight. Reported, not asserted: a kill may land between two batches.
      System.out.printf("FaultInjectionIT aborted records: generations %d, scored %d, batches %d%n",
          aborted(kafka, topics.generations), aborted(kafka, topics.scored), aborted(kafka, topics.batches));
      System.out.printf("FaultInjectionIT seed %d: %d faults (%d kills, 1 broker restart) in %.0f s; %s%n", seed,
          done.size(), done.size() - 1, seconds(t0), counts);
      done.forEach(l -> System.out.println("  " + l));
      processes.forEach(p -> System.out.println("  " + p.name() + ": started " + p.starts() + " times"));
    }
    passed = true;
  }

  /** What the committed topics hold at the end, as asserted. */
  record Invariants(int demonstrations, int promptsSampled, int generations, int batches, long batchesTrained,
      int versions) {
    @Override
    public String toString() {
      return demonstrations + " demonstrations scored once, " + promptsSampled + " prompts x " + K + " = "
          + generations + " generations scored once, " + batches + " whole batches (" + batchesTrained
          + " trained once), policy v1..v" + versions;
    }
  }

  private Invariants assertInvariants(KafkaConnection kafka, Admin admin, Topics topics, Groups groups,
      List<LabelledPair> demos, Set<String> promptIds, int promptsPerUpdate) throws Exception {
    // Every demonstration was scored exactly once.
    List<Demonstration> demonstrations = values(TopicReader.readCommitted(kafka, topics.demonstrations));
    List<ScoredSample> scored = values(TopicReader.readCommitted(kafka, topics.scored));
    Set<String> demoIds = demonstrations.stream().map(Demonstration::getId).collect(Collectors.toSet());
    assertEquals(demos.size(), demoIds.size(), "demonstrations ingested");
    assertEquals(demoIds, idsOf(scored, SampleKind.DEMONSTRATION).keySet(), "every demonstration scored");
    assertOnce(idsOf(scored, SampleKind.DEMONSTRATION), "scored demonstration");

    // Every prompt the samplers consumed has exactly K generations (sample indexes 0..K-1), and no other has any.
    List<ConsumerRecord<String, Prompt>> prompts = TopicReader.readCommitted(kafka, topics.prompts);
    Map<String, Long> promptKeys = prompts.stream().collect(Collectors.groupingBy(
        r -> r.value().getPromptId() + "/" + r.value().getRound(), TreeMap::new, Collectors.counting()));
    assertOnce(promptKeys, "prompt (id/round)");
    Map<TopicPartition, OffsetAndMetadata> sampled = groupOffsets(admin, groups.sampler());
    Set<String> consumed = prompts.stream().filter(r -> r.offset() < committed(sampled, r))
        .map(r -> r.value().getPromptId() + "/" + r.value().getRound() + "/" + ModelLines.POLICY)
        .collect(Collectors.toCollection(LinkedHashSet::new));
    List<Generation> generations = values(TopicReader.readCommitted(kafka, topics.generations));
    Map<String, List<Integer>> indexes = generations.stream().collect(Collectors.groupingBy(
        g -> g.getPromptId() + "/" + g.getRound() + "/" + g.getPolicyName(), TreeMap::new,
        Collectors.mapping(Generation::getSampleIndex, Collectors.toList())));
    assertEquals(new TreeMap<>(consumed.stream().collect(Collectors.toMap(k -> k, k -> IntStream.range(0, K).boxed()
        .toList()))), new TreeMap<>(indexes.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
            e -> e.getValue().stream().sorted().toList()))), "each consumed prompt's generations, by sample index");
    assertEquals(K * consumed.size(), generations.size(), "K generations per consumed prompt");
    assertTrue(prompts.stream().filter(r -> r.value().getRound() == 0).map(r -> r.value().getPromptId())
        .collect(Collectors.toSet()).equals(promptIds), "round-0 prompts are the demonstrations' prompts");

    // Every generation was scored exactly once.
    Map<String, Long> scoredGenerations = idsOf(scored, SampleKind.GENERATION);
    assertEquals(generations.stream().map(Generation::getId).collect(Collectors.toSet()), scoredGenerations.keySet(),
        "every generation scored");
    assertOnce(scoredGenerations, "scored generation");

    // Every batch is whole: one per (prompt, round), its K generations, emitted once.
    List<ConsumerRecord<String, TrainingBatch>> batches = TopicReader.readCommitted(kafka, topics.batches);
    assertOnce(batches.stream().collect(Collectors.groupingBy(r -> r.value().getId(), Collectors.counting())), "batch");
    for (var r : batches) {
      TrainingBatch b = r.value();
      List<ScoredSample> gens = b.getSamples().stream().filter(s -> s.getKind() == SampleKind.GENERATION).toList();
      assertTrue(b.getComplete(), "batch " + b.getId() + " was emitted whole");
      assertEquals(IntStream.range(0, K).boxed().toList(),
          gens.stream().map(s -> Integer.parseInt(s.getId().substring(s.getId().lastIndexOf('/') + 1))).sorted().toList(),
          "batch " + b.getId() + " holds its prompt's K generations");
      assertTrue(gens.stream().allMatch(s -> (s.getPromptId() + "/" + s.getRound()).equals(b.getPromptId() + "/"
          + b.getRound())), "batch " + b.getId() + " holds only its own prompt's samples");
    }

    // Model versions only increase: each version of each line published once, in order, 1 to 1 + UPDATES.
    List<ModelVersion> manifests = values(TopicReader.readCommitted(kafka, topics.modelVersions));
    List<Long> expected = LongStream.rangeClosed(1, 1 + UPDATES).boxed().toList();
    for (String line : List.of(ModelLines.POLICY, ModelLines.REWARD)) {
      assertEquals(expected, manifests.stream().filter(m -> m.getModelName().equals(line))
          .map(ModelVersion::getVersion).toList(), line + " versions as published");
    }

    // No batch trained twice or skipped: each policy version records the batches offset it trained up to;
    // version v trained exactly the loop.prompts_per_update batches between v-1's offset and its own (no
    // partial updates: --idle-flush 0s), and the last offset is the learner's committed one; and each
    // trained round-0 batch started exactly one round-1 prompt. The count the samplers' gate reads is
    // the records, however many markers lie between: (v - 1) × prompts_per_update.
    List<ModelVersion> policyManifests = manifests.stream().filter(m -> m.getModelName().equals(ModelLines.POLICY)).toList();
    List<Long> offsets = policyManifests.stream()
        .map(m -> Long.parseLong(m.getMetadata().get(ModelLines.BATCHES_OFFSET))).toList();
    assertEquals(LongStream.range(0, policyManifests.size()).map(i -> i * promptsPerUpdate).boxed().toList(),
        policyManifests.stream().map(m -> Long.parseLong(m.getMetadata().get(ModelLines.BATCHES_CONSUMED))).toList(),
        "batch records consumed, as advertised to the samplers");
    assertEquals(0L, offsets.get(0), "v1 (SFT) trained no batch");
    for (int i = 1; i < offsets.size(); i++) {
      long from = offsets.get(i - 1);
      long to = offsets.get(i);
      assertEquals(promptsPerUpdate, batches.stream().filter(r -> r.offset() >= from && r.offset() < to).count(),
          "batches trained by policy v" + (i + 1) + " (offsets " + from + " to " + to + "; all: " + offsets + ")");
    }
    long trainedEnd = committed(groupOffsets(admin, groups.learner()), new TopicPartition(topics.batches.name(), 0));
    assertEquals(offsets.get(offsets.size() - 1), trainedEnd, "the learner's committed offset is its last version's");
    Map<String, Long> trainedRoundZero = batches.stream().filter(r -> r.offset() < trainedEnd)
        .map(ConsumerRecord::value).filter(b -> b.getRound() == 0)
        .collect(Collectors.groupingBy(TrainingBatch::getPromptId, TreeMap::new, Collectors.counting()));
    Map<String, Long> roundOne = prompts.stream().map(ConsumerRecord::value).filter(p -> p.getRound() == 1)
        .collect(Collectors.groupingBy(Prompt::getPromptId, TreeMap::new, Collectors.counting()));
    assertEquals(trainedRoundZero, roundOne, "one round-1 prompt per trained round-0 batch");
    long trained = batches.stream().filter(r -> r.offset() < trainedEnd).count();
    assertEquals((long) UPDATES * promptsPerUpdate, trained, "batches trained");
    return new Invariants(demoIds.size(), consumed.size(), generations.size(), batches.size(), trained,
        1 + UPDATES);
  }

  /** The run's consumer groups, and whether every service is up in them. */
  private final class Groups {
    private final Topics topics;
    private final Set<String> dead = new java.util.HashSet<>(); // member ids of killed processes

    Groups(Topics topics) {
      this.topics = topics;
    }

    String sampler() {
      return "alignstream." + topics.runId() + ".sampler." + ModelLines.POLICY;
    }

    String rewarder() {
      return "alignstream." + topics.runId() + ".rewarder";
    }

    String learner() {
      return "alignstream." + topics.runId() + ".learner";
    }

    String batching() {
      return BatchingService.applicationId(topics);
    }

    /**
     * Whether the fault's target is at work, so that killing it interrupts real work: it is a member of
     * its stable group, and not a killed process's member (listed until its session times out). For the
     * broker restart, every service is. Fails at once, with the log, if any process died on its own.
     */
    boolean working(Admin admin, Target target, int replica) {
      requireAlive(null);
      Map<String, ConsumerGroupDescription> d = describe(admin);
      if (d == null) {
        return false;
      }
      if (target == Target.BROKER) {
        return working(d, Target.SAMPLER, 0) && working(d, Target.SAMPLER, 1) && working(d, Target.REWARDER, 0)
            && working(d, Target.LEARNER, 0);
      }
      return working(d, target, replica);
    }

    private boolean working(Map<String, ConsumerGroupDescription> d, Target target, int replica) {
      List<MemberDescription> members = membersOf(d, target, replica);
      return d.get(groupOf(target)).groupState() == GroupState.STABLE && members.size() == 1;
    }

    /** Remembers the group members of {@code target}, about to be killed: they no longer count as working. */
    void killing(Admin admin, Target target, int replica) {
      if (target == Target.BROKER) {
        return;
      }
      Map<String, ConsumerGroupDescription> d = describe(admin);
      assertTrue(d != null, "the groups could be described before a kill");
      membersOf(d, target, replica).forEach(m -> dead.add(m.consumerId()));
    }

    private String groupOf(Target target) {
      return switch (target) {
        case SAMPLER -> sampler();
        case REWARDER -> rewarder();
        case LEARNER -> batching(); // the learner process runs the batching topology
        case BROKER -> throw new IllegalArgumentException("the broker has no group");
      };
    }

    /** The live (not yet known dead) members of the target's group that belong to the target. */
    private List<MemberDescription> membersOf(Map<String, ConsumerGroupDescription> d, Target target, int replica) {
      return d.get(groupOf(target)).members().stream()
          .filter(m -> target != Target.SAMPLER || m.clientId().equals("s" + (replica + 1) + "-prompts"))
          .filter(m -> !dead.contains(m.consumerId())).toList();
    }

    private Map<String, ConsumerGroupDescription> describe(Admin admin) {
      try {
        return admin.describeConsumerGroups(List.of(sampler(), rewarder(), batching())).all().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        return null; // e.g. the broker is restarting or still loading its groups
      }
    }

    /**
     * Every committed demonstration and generation lies below the rewarder's committed offset of its
     * partition. (Not "offset == end": the end of a transactional partition is past its last commit marker.)
     */
    boolean rewarderCaughtUp(KafkaConnection kafka, Admin admin) {
      try {
        var offsets = groupOffsets(admin, rewarder());
        return allBelow(TopicReader.readCommitted(kafka, topics.demonstrations), offsets)
            && allBelow(TopicReader.readCommitted(kafka, topics.generations), offsets);
      } catch (Exception e) {
        return false;
      }
    }

    private static boolean allBelow(List<? extends ConsumerRecord<?, ?>> records,
        Map<TopicPartition, OffsetAndMetadata> offsets) {
      return records.stream().allMatch(r -> r.offset() < committed(offsets, r));
    }
  }

  /**
   * The newest committed policy version, from a read_committed consumer that follows the manifests
   * topic; like the services, it rides through the broker's restart.
   */
  private static final class VersionWatch implements AutoCloseable {
    private final KafkaConsumer<String, ModelVersion> consumer;
    private final Topics topics;
    private long policy = -1;

    VersionWatch(KafkaConnection kafka, Topics topics) {
      this.topics = topics;
      this.consumer = new KafkaConsumer<>(kafka.readerConfig("fault-injection-versions"),
          topics.modelVersions.keySerde().deserializer(), topics.modelVersions.valueSerde().deserializer());
      var tp = new TopicPartition(topics.modelVersions.name(), 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
    }

    long policy() {
      try {
        for (ConsumerRecord<String, ModelVersion> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() != null && r.value().getModelName().equals(ModelLines.POLICY)) {
            policy = Math.max(policy, r.value().getVersion());
          }
        }
      } catch (SerializationException e) {
        throw new AssertionError("a manifest did not decode on " + topics.modelVersions.name(), e);
      }
      return policy;
    }

    @Override
    public void close() {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /** Fails, with its log, if a process other than {@code except} died on its own; true otherwise. */
  private boolean requireAlive(ServiceProcess except) {
    for (ServiceProcess p : processes) {
      if (p != except && !p.alive()) {
        fail(p.name() + " died on its own (exit " + p.exitValue() + "):\n" + p.logTail(6000));
      }
    }
    return true;
  }

  /** Kills the process with SIGKILL and starts it again with the same command line (same id). */
  private static void restartKilled(ServiceProcess p) throws InterruptedException {
    if (!p.alive()) {
      fail(p.name() + " died on its own before its planned kill (exit " + p.exitValue() + "):\n" + p.logTail(6000));
    }
    p.kill();
    p.start();
  }

  private ServiceProcess service(String name, String heap, List<String> args) {
    List<String> jvm = new ArrayList<>(ServiceProcess.SERVICE_JVM_OPTIONS);
    jvm.addAll(List.of(heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    ServiceProcess p = ServiceProcess.start(new ServiceProcess.Spec(name, Main.class.getName(), jvm, args,
        dir.resolve(name), logs.resolve(name + ".log")));
    processes.add(p);
    return p;
  }

  /**
   * Streams demonstrations {@code from} to {@code to} in through the ingest topology (run in this JVM), and
   * waits until the first {@code to} are demonstrations and round-0 prompts.
   */
  private void ingest(KafkaConnection kafka, Topics topics, List<LabelledPair> demos, int from, int to)
      throws InterruptedException {
    long prompts = demos.subList(0, to).stream().map(d -> ContentId.ofPrompt(d.prompt())).distinct().count();
    try (IngestService ingest = IngestService.start(kafka, topics, IngestConfig.defaults())) {
      ingest.awaitRunning(BOUND);
      StreamingLoopIT.produceRaw(kafka, topics, demos.subList(from, to));
      await("ingest of demonstrations " + from + " to " + to, () ->
          TopicReader.readCommitted(kafka, topics.prompts).stream().filter(r -> r.value().getRound() == 0).count()
              >= prompts && TopicReader.readCommitted(kafka, topics.demonstrations).size() >= to);
    }
  }

  /** Until the broker answers an admin request (it was started or restarted), failing if it died. */
  private void awaitBroker(KafkaConnection kafka, ServiceProcess broker) throws InterruptedException {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "request.timeout.ms", 2_000, "default.api.timeout.ms", 3_000))) {
      await("the broker to answer", () -> {
        if (!broker.alive()) {
          fail("the broker exited (" + broker.exitValue() + "):\n" + broker.logTail(6000));
        }
        try {
          return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  /** Polls {@code condition} until it holds; fails after {@link #BOUND} with every service's log tail. */
  private void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        StringBuilder logs = new StringBuilder();
        for (ServiceProcess p : processes) {
          logs.append("\n--- ").append(p).append(" ---\n").append(p.logTail(2500));
        }
        fail("no " + what + " within " + BOUND.toMinutes() + " min" + logs);
      }
      Thread.sleep(250);
    }
  }

  /** Demonstrations that fit the tiny model's context, so none is skipped as too long anywhere. */
  private static List<LabelledPair> fitting(BuiltinTask task, Path base) throws IOException {
    try (Tokenizer tok = Tokenizer.load(base)) {
      int context = io.alignstream.model.ModelConfig.fromJson(Files.readString(base.resolve("config.json")))
          .contextLength();
      // Distinct by content id: ingest drops a repeated demonstration, and the counts below are exact.
      Map<String, LabelledPair> byId = new java.util.LinkedHashMap<>();
      task.demonstrations().stream()
          .filter(d -> tok.encode(d.prompt()).length + Math.max(MAX_NEW_TOKENS, tok.responseIds(d.response()).length)
              <= context)
          .forEach(d -> byId.putIfAbsent(ContentId.ofDemonstration(d.prompt(), d.response()), d));
      List<LabelledPair> out = byId.values().stream().limit(DEMONSTRATIONS).toList();
      assertEquals(DEMONSTRATIONS, out.size(), "enough short demonstrations in the task");
      return out;
    }
  }

  private static long seed() {
    String s = System.getProperty(SEED_PROPERTY, System.getenv("ALIGNSTREAM_FAULT_SEED"));
    return s == null || s.isBlank() ? new Random().nextLong() : Long.parseLong(s.strip());
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static Map<TopicPartition, OffsetAndMetadata> groupOffsets(Admin admin, String group) throws Exception {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
  }

  private static long committed(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerRecord<?, ?> r) {
    return committed(offsets, new TopicPartition(r.topic(), r.partition()));
  }

  private static long committed(Map<TopicPartition, OffsetAndMetadata> offsets, TopicPartition tp) {
    OffsetAndMetadata o = offsets.get(tp);
    return o == null ? 0 : o.offset();
  }

  /** Records visible to read_uncommitted but not to read_committed: those of aborted transactions. */
  private static long aborted(KafkaConnection kafka, io.alignstream.schemas.Topic<?, ?> topic) {
    return TopicReader.readUncommitted(kafka, topic).size() - TopicReader.readCommitted(kafka, topic).size();
  }

  private static Map<String, Long> idsOf(List<ScoredSample> scored, SampleKind kind) {
    return scored.stream().filter(s -> s.getKind() == kind)
        .collect(Collectors.groupingBy(ScoredSample::getId, TreeMap::new, Collectors.counting()));
  }

  private static void assertOnce(Map<String, Long> counts, String what) {
    var repeated = counts.entrySet().stream().filter(e -> e.getValue() != 1).toList();
    assertTrue(repeated.isEmpty(), "each " + what + " exactly once; repeated: " + repeated);
  }

  private static <V> List<V> values(List<? extends ConsumerRecord<?, V>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }
}
