package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.learner.Learner;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.Recipe;
import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.rewarder.RewarderConfig;
import io.alignstream.sampler.SamplerConfig;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.ScratchDirectory;
import io.alignstream.testkit.TopicReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test: the price of streaming. One alignment workload (the same random-initialised tiny π_0,
 * the same recipe, one sampler) run two ways: in process through {@link InProcessLoop} (sample, score,
 * batch and update with direct calls) and through Kafka with {@link Pipeline} on the embedded broker
 * (ingest, sampler, rewarder, batching and learner exchanging Avro records and published weights).
 * Throughput is timed from policy version 1 + W to 1 + W + N: start-up, SFT and W warm-up updates
 * (reward-model warm-up, JIT, filling the pipeline) are left out. The ratio of the two throughputs is
 * what the architecture costs.
 *
 * <p>The driver makes π_0 once and runs every arm in its own JVM, alternating arms (A B A B ...):
 * first pinned to one core ({@code taskset -c 0}), where the pipeline's stages cannot overlap and
 * the difference is the transport's own cost, then unpinned, where they can. The in-process JVM
 * also times, on the same learner, the per-update work only the Kafka arm does (checkpoint,
 * weights to bytes and back, Avro), to split the difference.
 *
 * <p>Driver: {@code StreamingCostBenchmark [pairs=2] [updates=20]} ({@code -Dbench.warmup=5} updates before
 * the window); run it with
 * {@code bench/streaming/run.sh}. One arm: {@code --arm inprocess|kafka BASE_DIR WORK_DIR UPDATES}.
 */
public final class StreamingCostBenchmark {
  static final int K = 4;
  static final int PROMPTS_PER_UPDATE = 8;
  /**
   * Updates left out before the timed window: the recipe's 3 reward-only updates (reward.warmup_updates)
   * and 2 with policy steps, so JIT compilation and the pipeline's filling are mostly over. More
   * ({@code -Dbench.warmup=N}, the same for both arms) times a steadier state, with less compilation.
   */
  static final int WARMUP = Integer.getInteger("bench.warmup", 5);
  static final int SFT_STEPS = 20;
  static final int MAX_NEW_TOKENS = 32;
  static final long SEED = 1;
  static final SamplingConfig SAMPLING = new SamplingConfig(1.0, 1.0, 0, MAX_NEW_TOKENS, true);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RESULT = "RESULT ";

  private StreamingCostBenchmark() {}

  /** What one arm measured; {@code parts} are milliseconds per update unless named otherwise. */
  record ArmResult(String arm, int cpus, double startupSeconds, double seconds, int updates, long generations,
      long tokens, double cpuSeconds, Map<String, Double> parts) {
    double updatesPerS() {
      return updates / seconds;
    }

    double msPerUpdate() {
      return 1e3 * seconds / updates;
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    if (WARMUP < 3) {
      throw new IllegalArgumentException("bench.warmup must be at least 3 (the reward-only updates), got " + WARMUP);
    }
    if (args.length > 0 && args[0].equals("--arm")) {
      Path base = Path.of(args[2]);
      Path work = Path.of(args[3]);
      int updates = Integer.parseInt(args[4]);
      ArmResult r = switch (args[1]) {
        case "inprocess" -> inProcess(base, updates);
        case "kafka" -> kafka(base, work, updates);
        default -> throw new IllegalArgumentException("--arm inprocess|kafka, got " + args[1]);
      };
      System.out.println(RESULT + JSON.writeValueAsString(r));
      System.out.flush();
      System.exit(0); // Kafka and libtorch leave non-daemon threads behind
    }
    drive(args.length > 0 ? Integer.parseInt(args[0]) : 2, args.length > 1 ? Integer.parseInt(args[1]) : 20);
  }

  static BuiltinTask task() {
    return BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
  }

  static Recipe recipe(int updates) {
    return Recipe.load(null, List.of("samples.per_prompt=" + K, "sft.steps=" + SFT_STEPS,
        "loop.prompts_per_update=" + PROMPTS_PER_UPDATE, "loop.rounds=1", "loop.max_updates=" + (WARMUP + updates),
        "reward.warmup_updates=3", "seed=" + SEED));
  }

  /** π_0: the tiny preset, random weights, a word-level tokenizer over the task. */
  static Path tinyBase(Path dir) throws Exception {
    BuiltinTask task = task();
    var builder = new WordLevelTokenizerBuilder(4000);
    task.corpus().forEach(e -> builder.add(e.prompt()).add(e.response()));
    task.demonstrations().forEach(e -> builder.add(e.prompt()).add(e.response()));
    task.evalPrompts().forEach(p -> builder.add(p.text()));
    Path base = dir.resolve("base");
    try (Tokenizer tok = Tokenizer.load(builder.write(dir.resolve("tokenizer.json")));
        Policy p = Policy.create(Gpt2Config.tiny(tok.vocabSize(), tok.eosId()), SEED)) {
      p.save(base);
      tok.save(base);
    }
    return base;
  }

  // ---------------------------------------------------------------- the in-process arm

  static ArmResult inProcess(Path base, int updates) throws Exception {
    long t0 = System.nanoTime();
    BuiltinTask task = task();
    Map<String, Double> parts = new LinkedHashMap<>();
    try (Learner learner = Learner.fresh(Policy.load(base), Tokenizer.load(base), recipe(updates))) {
      // SFT on the demonstrations in the learner service's order (by content id, duplicates once).
      TreeMap<String, Example> byId = new TreeMap<>();
      for (var d : task.demonstrations()) {
        Example e = learner.demonstration(d.prompt(), d.response());
        if (e != null) {
          byId.put(ContentId.ofDemonstration(d.prompt(), d.response()), e);
        }
      }
      learner.sft(new ArrayList<>(byId.values()), s -> { });
      double startup = (System.nanoTime() - t0) / 1e9;

      var loop = new InProcessLoop(learner, K, SAMPLING, SEED);
      List<InProcessLoop.Demo> demos = task.demonstrations().stream()
          .map(d -> new InProcessLoop.Demo(d.prompt(), d.response())).toList();
      long start = 0;
      long generations = 0;
      long tokens = 0;
      long sampleScoreNanos = 0;
      long updateNanos = 0;
      List<TrainingBatch> last = List.of();
      Snapshot window0 = null;
      for (int u = 1; u <= WARMUP + updates; u++) {
        if (u == WARMUP + 1) {
          start = System.nanoTime();
          window0 = snapshot();
        }
        List<InProcessLoop.Demo> part = new ArrayList<>();
        for (int i = 0; i < PROMPTS_PER_UPDATE; i++) {
          part.add(demos.get(((u - 1) * PROMPTS_PER_UPDATE + i) % demos.size()));
        }
        long a = System.nanoTime();
        last = loop.batches(part);
        long b = System.nanoTime();
        loop.update(last);
        if (u > WARMUP) {
          sampleScoreNanos += b - a;
          updateNanos += System.nanoTime() - b;
          generations += count(last, true);
          tokens += count(last, false);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Snapshot window1 = snapshot();
      double cpu = (window1.processCpuNanos() - window0.processCpuNanos()) / 1e9;
      parts.putAll(cpuByRole(window0, window1, updates));
      parts.put("inprocess.sample_score_ms", sampleScoreNanos / 1e6 / updates);
      parts.put("inprocess.update_ms", updateNanos / 1e6 / updates);
      kafkaOnlyWork(learner, last, parts);
      return new ArmResult("inprocess", Runtime.getRuntime().availableProcessors(), startup, seconds, updates,
          generations, tokens, cpu, parts);
    }
  }

  /**
   * Per-update work the Kafka arm does and the in-process arm does not, timed on this learner (best
   * of 5): the learner's checkpoint; the policy and reward ensemble to bytes (publication), their
   * SHA-256 (each chunk is hashed by the publisher and by every subscriber that reads it), and back
   * into models (the sampler's in-place load, the rewarder's new ensemble); Avro for one update's
   * records on the hops sampler → rewarder → batching → learner.
   */
  static void kafkaOnlyWork(Learner learner, List<TrainingBatch> batches, Map<String, Double> parts) throws Exception {
    Path dir = Files.createTempDirectory("cost-checkpoint-");
    parts.put("checkpoint_ms", best(() -> {
      try {
        learner.save(dir.resolve("v" + System.nanoTime()), Map.of("batchesOffset", 0L));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return null;
    }));
    ScratchDirectory.deleteTree(dir);
    byte[][] payload = new byte[2][];
    parts.put("weights_to_bytes_ms", best(() -> {
      payload[0] = learner.policy().weightsToBytes();
      payload[1] = learner.reward().weightsToBytes();
      return null;
    }));
    parts.put("weights_mb_per_update", (payload[0].length + payload[1].length) / 1e6);
    parts.put("sha256_ms_per_pass", best(() -> {
      ContentId.sha256(payload[0]);
      ContentId.sha256(payload[1]);
      return null;
    }));
    try (Policy copy = learner.policy().copy()) {
      ModelConfig rewardConfig = learner.reward().members().get(0).config();
      parts.put("weights_load_ms", best(() -> {
        copy.loadWeights(payload[0], copy.version() + 1);
        RewardEnsemble.fromBytes(rewardConfig, payload[1], 1, 0).close();
        return null;
      }));
    }
    Topics topics = Topics.forRun("cost");
    parts.put("avro_ms", best(() -> {
      for (TrainingBatch b : batches) {
        for (ScoredSample s : b.getSamples()) {
          for (int hop = 0; hop < 2; hop++) { // a generation, then a scored sample (≈ the same record)
            byte[] bytes = topics.scored.valueSerde().serializer().serialize(topics.scored.name(), s);
            topics.scored.valueSerde().deserializer().deserialize(topics.scored.name(), bytes);
          }
        }
        byte[] bytes = topics.batches.valueSerde().serializer().serialize(topics.batches.name(), b);
        topics.batches.valueSerde().deserializer().deserialize(topics.batches.name(), bytes);
      }
      return null;
    }));
  }

  private static double best(Supplier<Void> work) {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long t = System.nanoTime();
      work.get();
      best = Math.min(best, (System.nanoTime() - t) / 1e6);
    }
    return best;
  }

  /** Generations (or their response tokens) in these batches. */
  static long count(List<TrainingBatch> batches, boolean generations) {
    long n = 0;
    for (TrainingBatch b : batches) {
      for (ScoredSample s : b.getSamples()) {
        if (s.getKind() == SampleKind.GENERATION) {
          n += generations ? 1 : s.getResponseTokenIds().size();
        }
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- the Kafka arm

  static ArmResult kafka(Path base, Path work, int updates) throws Exception {
    long t0 = System.nanoTime();
    BuiltinTask task = task();
    Recipe recipe = recipe(updates);
    try (EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(work.resolve("kafka")))) {
      KafkaConnection kafka = broker.connection();
      Topics topics = Topics.forRun("cost");
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        admin.ensure(topics);
      }
      int distinct = (int) task.demonstrations().stream().map(d -> d.prompt() + "\u0000" + d.response())
          .distinct().count();
      // As the demo wires it, with one sampler generating a whole update's prompts per call (as the
      // in-process loop does) and the in-flight gate at policy.max_lag - 2 updates.
      var learner = new LearnerConfig(topics, work.resolve("checkpoints"), base, recipe, distinct,
          Duration.ofMinutes(5), Duration.ofSeconds(60), 3);
      var sampler = new SamplerConfig(topics.runId(), "cost-sampler", "policy", K, PROMPTS_PER_UPDATE, SAMPLING, SEED,
          0, Math.max(1, recipe.maxLag() - 2), Duration.ofMinutes(5), false);
      var rewarder = RewarderConfig.defaults(topics.runId()).withRewarderId("cost-rewarder")
          .withWeightsTimeout(Duration.ofMinutes(5));
      var settings = new Pipeline.Settings(learner, sampler, 1, rewarder, Duration.ofSeconds(30),
          work.resolve("state"), true);
      try (Pipeline pipeline = Pipeline.start(kafka, settings)) {
        produceRaw(kafka, topics, task.demonstrations());
        awaitVersion(pipeline, 1);
        double startup = (System.nanoTime() - t0) / 1e9;
        awaitVersion(pipeline, 1 + WARMUP);
        long start = System.nanoTime();
        long startMs = System.currentTimeMillis();
        Snapshot window0 = snapshot();
        Map<String, Double> broker0 = brokerCounters();
        awaitVersion(pipeline, 1 + WARMUP + updates);
        double seconds = (System.nanoTime() - start) / 1e9;
        Snapshot window1 = snapshot();
        Map<String, Double> broker1 = brokerCounters();
        // The machinery's cost while nothing flows (polls, heartbeats, the in-flight gate's offset
        // reads, the KRaft quorum): the learner has stopped at its last update; let the sampler's
        // run-ahead batch settle, then measure.
        Thread.sleep(3000);
        Snapshot idle0 = snapshot();
        Thread.sleep(4000);
        Snapshot idle1 = snapshot();
        double idleSeconds = 4.0;
        double cpu = (window1.processCpuNanos() - window0.processCpuNanos()) / 1e9;
        Map<String, Double> cpuByRole = cpuByRole(window0, window1, updates);
        long endMs = System.currentTimeMillis();

        // The updates of the window trained on these batches (one partition, U per update).
        // (Records, not offsets: transaction markers take offsets too.)
        var batches = TopicReader.readCommitted(kafka, topics.batches);
        List<TrainingBatch> trained = new ArrayList<>();
        for (int i = WARMUP * PROMPTS_PER_UPDATE; i < Math.min(batches.size(), (WARMUP + updates) * PROMPTS_PER_UPDATE); i++) {
          trained.add(batches.get(i).value());
        }
        // Where the time went, from the services' own metrics in the window.
        Map<String, Double> parts = new LinkedHashMap<>();
        double samplerMs = 0;
        double learnerS = 0;
        for (ConsumerRecord<String, Metric> r : TopicReader.readCommitted(kafka, topics.metrics)) {
          Metric m = r.value();
          if (m.getName().equals("sampler.batch_latency_ms") && m.getTimestampMs() >= startMs
              && m.getTimestampMs() <= endMs) {
            samplerMs += m.getValue();
          } else if (m.getName().equals("learner.update_seconds") && m.getPolicyVersion() > 1 + WARMUP
              && m.getPolicyVersion() <= 1 + WARMUP + updates) {
            learnerS += m.getValue();
          }
        }
        parts.put("kafka.sampler_generate_ms", samplerMs / updates);
        parts.put("kafka.learner_update_and_checkpoint_ms", 1e3 * learnerS / updates);
        parts.putAll(cpuByRole);
        broker1.forEach((k, v) -> parts.put(k, (v - broker0.getOrDefault(k, 0.0)) / updates));
        // Idle CPU per second, by role (cpuByRole divides by its last argument: here seconds, not updates).
        cpuByRole(idle0, idle1, 1).forEach((k, v) -> {
          if (k.startsWith("cpu.")) {
            parts.put("idle_per_s." + k.substring(4), v / idleSeconds);
          }
        });
        return new ArmResult("kafka", Runtime.getRuntime().availableProcessors(), startup, seconds, updates,
            count(trained, true), count(trained, false), cpu, parts);
      }
    }
  }

  private static void awaitVersion(Pipeline pipeline, long version) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (pipeline.learner().version() < version) {
      if (pipeline.learner().failure().isPresent()) {
        throw new IllegalStateException("the learner failed", pipeline.learner().failure().get());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("version " + version + " not reached in 10 minutes");
      }
      // 20 ms: a window's ends are placed to within 20 ms of ~40 s, and the poller, which is the
      // benchmark's and not the pipeline's, costs the Kafka arm about 3 ms of CPU per update (at 5 ms, 12).
      Thread.sleep(20);
    }
  }

  static void produceRaw(KafkaConnection kafka, Topics topics, List<io.alignstream.task.LabelledPair> demos)
      throws Exception {
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (var d : demos) {
        byte[] json = JSON.writeValueAsBytes(Map.of("prompt", d.prompt(), "response", d.response()));
        producer.send(new ProducerRecord<>(topics.demosRaw.name(), json));
      }
    }
  }

  /** A thread's name and CPU time so far. */
  record ThreadCpu(String name, long nanos) {}

  /** The process's CPU time, each live thread's, and the JVM's GC and JIT time, at one moment. */
  record Snapshot(long processCpuNanos, Map<Long, ThreadCpu> threads, long gcMillis, long jitMillis) {}

  static Snapshot snapshot() {
    var mx = ManagementFactory.getThreadMXBean();
    Map<Long, ThreadCpu> threads = new LinkedHashMap<>();
    for (var info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null) {
        long nanos = mx.getThreadCpuTime(info.getThreadId());
        if (nanos >= 0) {
          threads.put(info.getThreadId(), new ThreadCpu(info.getThreadName(), nanos));
        }
      }
    }
    long gc = ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionTime()))
        .sum();
    return new Snapshot(cpuNanos(), threads, gc, ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
  }

  /**
   * CPU milliseconds per update of each role's threads over the window ({@code cpu.<role>_ms}); what no
   * Java thread accounts for (GC, JIT compilers) is {@code cpu.jvm_ms}. Every thread is listed too
   * ({@code thread.<name>_ms}, digits as #) so the roles can be checked.
   */
  static Map<String, Double> cpuByRole(Snapshot before, Snapshot after, int updates) {
    Map<String, Double> roles = new TreeMap<>();
    Map<String, Double> names = new TreeMap<>();
    double threads = 0;
    for (var e : after.threads().entrySet()) {
      ThreadCpu b = before.threads().get(e.getKey());
      double ms = (e.getValue().nanos() - (b == null ? 0 : b.nanos())) / 1e6 / updates;
      threads += ms;
      String name = e.getValue().name().replaceAll("[0-9]+", "#");
      names.merge("thread." + name + "_ms", ms, Double::sum);
      roles.merge("cpu." + role(name) + "_ms", ms, Double::sum);
    }
    roles.put("cpu.jvm_ms", (after.processCpuNanos() - before.processCpuNanos()) / 1e6 / updates - threads);
    roles.put("jvm.gc_ms", (after.gcMillis() - before.gcMillis()) / (double) updates);
    roles.put("jvm.jit_ms", (after.jitMillis() - before.jitMillis()) / (double) updates);
    names.entrySet().removeIf(e -> e.getValue() < 1);
    roles.putAll(names);
    return roles;
  }

  /** Which part of the system a thread belongs to, by the names Kafka, the services and the JDK give. */
  static String role(String name) {
    if (name.equals("main") || name.equals("learner") || name.startsWith("sampler-") || name.equals("rewarder")) {
      return "service." + (name.startsWith("sampler-") ? "sampler" : name);
    }
    if (name.startsWith("weights-")) {
      return "weights_subscribers";
    }
    if (name.contains("StreamThread") || name.contains("-StateUpdater") || name.contains("streams")) {
      return "kafka_streams";
    }
    if (name.startsWith("kafka-producer-network-thread") || name.contains("consumer") || name.contains("heartbeat")
        || name.startsWith("kafka-admin-client") || name.contains("adminclient")) {
      return "kafka_clients";
    }
    return "broker_and_other";
  }

  /**
   * The embedded broker's request counts by type ({@code broker.requests.<type>}) and bytes in and out
   * over all topics ({@code broker.mb_in}, {@code broker.mb_out}), from its JMX meters.
   */
  static Map<String, Double> brokerCounters() throws Exception {
    var server = ManagementFactory.getPlatformMBeanServer();
    Map<String, Double> out = new TreeMap<>();
    for (var name : server.queryNames(new javax.management.ObjectName(
        "kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
      out.merge("broker.requests." + name.getKeyProperty("request"),
          ((Number) server.getAttribute(name, "Count")).doubleValue(), Double::sum);
    }
    for (String dir : new String[] {"In", "Out"}) {
      var name = new javax.management.ObjectName("kafka.server:type=BrokerTopicMetrics,name=Bytes" + dir + "PerSec");
      if (server.isRegistered(name)) {
        out.put("broker.mb_" + dir.toLowerCase(Locale.ROOT), ((Number) server.getAttribute(name, "Count")).doubleValue() / 1e6);
      }
    }
    return out;
  }

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  // ---------------------------------------------------------------- the driver

  static void drive(int pairs, int updates) throws Exception {
    // With loop.rounds=1 the Kafka arm gets one prompt per distinct demonstration prompt, no more.
    long prompts = task().demonstrations().stream().map(d -> d.prompt()).distinct().count();
    if ((long) (WARMUP + updates) * PROMPTS_PER_UPDATE > prompts) {
      throw new IllegalArgumentException("updates: at most " + (prompts / PROMPTS_PER_UPDATE - WARMUP) + " (the task has "
          + prompts + " distinct prompts, " + PROMPTS_PER_UPDATE + " per update, " + WARMUP + " warm-up updates)");
    }
    Path work = Files.createTempDirectory("streaming-cost-");
    Path base = tinyBase(work);
    try (Policy p = Policy.load(base)) {
      System.out.printf(Locale.ROOT, "π_0: tiny preset, random weights, %,d parameters, vocabulary %d; K = %d, "
          + "%d prompts per update, ≤ %d new tokens, SFT %d steps; timed: versions %d → %d (%d updates)%n",
          p.parameterCount(), p.config().vocabSize(), K, PROMPTS_PER_UPDATE, MAX_NEW_TOKENS, SFT_STEPS, 1 + WARMUP,
          1 + WARMUP + updates, updates);
    }
    Map<Boolean, List<ArmResult[]>> byMode = new LinkedHashMap<>();
    System.out.println();
    System.out.println("| cores | pair | arm | start-up + SFT s | window s | updates/s | generations/s | tokens/s "
        + "| CPU s per update | CPU share of window | Kafka / in-process updates/s |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    // -Dbench.modes=pinned or =unpinned runs one mode only; -Dbench.jvmOpts="..." goes to every arm's JVM.
    List<String> modes = Arrays.asList(System.getProperty("bench.modes", "pinned,unpinned").split(","));
    for (boolean pinned : new boolean[] {true, false}) {
      if (!modes.contains(pinned ? "pinned" : "unpinned")) {
        continue;
      }
      List<ArmResult[]> results = new ArrayList<>();
      byMode.put(pinned, results);
      for (int pair = 1; pair <= pairs; pair++) {
        ArmResult[] ab = new ArmResult[2];
        String[] arms = {"inprocess", "kafka"};
        for (int i = 0; i < 2; i++) {
          Path runDir = Files.createDirectories(work.resolve((pinned ? "pinned-" : "free-") + pair + "-" + arms[i]));
          ab[i] = runArm(arms[i], pinned, base, runDir, updates);
          // Keep result.json and the logs; the broker's data and the checkpoints are ~300 MB a run.
          for (String data : List.of("kafka", "checkpoints", "state")) {
            ScratchDirectory.deleteTree(runDir.resolve(data));
          }
          ArmResult r = ab[i];
          System.out.printf(Locale.ROOT, "| %s | %d | %s | %.1f | %.1f | %.3f | %.1f | %.0f | %.3f | %.2f | %s |%n",
              pinned ? "1 (taskset -c 0)" : r.cpus() + "", pair, r.arm(), r.startupSeconds(), r.seconds(),
              r.updatesPerS(), r.generations() / r.seconds(), r.tokens() / r.seconds(), r.cpuSeconds() / r.updates(),
              r.cpuSeconds() / r.seconds(),
              i == 1 ? String.format(Locale.ROOT, "%.3f", ab[1].updatesPerS() / ab[0].updatesPerS()) : "");
        }
        results.add(ab);
      }
    }
    System.out.println();
    for (var e : byMode.entrySet()) {
      double[] ratios = e.getValue().stream().mapToDouble(ab -> ab[1].updatesPerS() / ab[0].updatesPerS()).toArray();
      double[] cpuRatios = e.getValue().stream()
          .mapToDouble(ab -> (ab[0].cpuSeconds() / ab[0].updates()) / (ab[1].cpuSeconds() / ab[1].updates())).toArray();
      double[] tokenRatios = e.getValue().stream()
          .mapToDouble(ab -> (ab[1].tokens() / ab[1].seconds()) / (ab[0].tokens() / ab[0].seconds())).toArray();
      System.out.printf(Locale.ROOT, "%s: Kafka / in-process updates/s per pair %s, median %.3f (cost %.1f%%); "
          + "tokens/s median %.3f; updates per CPU-second per pair %s, median %.3f%n",
          e.getKey() ? "pinned to one core" : "unpinned", rounded(ratios), median(ratios), 100 * (1 - median(ratios)),
          median(tokenRatios), rounded(cpuRatios), median(cpuRatios));
    }
    // Where the Kafka arm's extra CPU per update goes (medians over the pairs).
    for (var e : byMode.entrySet()) {
      List<ArmResult[]> runs = e.getValue();
      System.out.println();
      System.out.println((e.getKey() ? "Pinned" : "Unpinned") + ": CPU ms per update by threads (median over pairs)");
      System.out.println("| threads | in-process | Kafka |");
      System.out.println("|---|---|---|");
      for (String[] role : new String[][] {{"service.main", "loop (in process) / benchmark's poller (Kafka)"},
          {"service.learner", "learner: update, checkpoint, publish"}, {"service.sampler", "sampler"},
          {"service.rewarder", "rewarder"}, {"weights_subscribers", "weight subscribers (fetch, verify, assemble)"},
          {"kafka_clients", "Kafka client I/O and heartbeat threads"},
          {"kafka_streams", "Kafka Streams (ingest, batching)"}, {"broker_and_other", "broker (and other threads)"},
          {"jvm", "JVM: GC and JIT threads"}}) {
        String key = "cpu." + role[0] + "_ms";
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f |%n", role[1], medianPart(runs, 0, key), medianPart(runs, 1, key));
      }
      System.out.printf(Locale.ROOT, "| of which GC time (collector MXBeans) | %.0f | %.0f |%n",
          medianPart(runs, 0, "jvm.gc_ms"), medianPart(runs, 1, "jvm.gc_ms"));
      System.out.printf(Locale.ROOT, "| of which JIT compile time (compilation MXBean) | %.0f | %.0f |%n",
          medianPart(runs, 0, "jvm.jit_ms"), medianPart(runs, 1, "jvm.jit_ms"));
      System.out.printf(Locale.ROOT, "| **process total** | **%.0f** | **%.0f** |%n",
          median(runs.stream().mapToDouble(ab -> 1e3 * ab[0].cpuSeconds() / ab[0].updates()).toArray()),
          median(runs.stream().mapToDouble(ab -> 1e3 * ab[1].cpuSeconds() / ab[1].updates()).toArray()));
      System.out.printf(Locale.ROOT, "| (Kafka idle afterwards, nothing flowing: process CPU ms per second) | | %.0f |%n",
          median(runs.stream().mapToDouble(ab -> ab[1].parts().entrySet().stream()
              .filter(p -> p.getKey().startsWith("idle_per_s.")).mapToDouble(Map.Entry::getValue).sum()).toArray()));
      System.out.printf(Locale.ROOT, "| wall ms per update | %.0f | %.0f |%n",
          median(runs.stream().mapToDouble(ab -> ab[0].msPerUpdate()).toArray()),
          median(runs.stream().mapToDouble(ab -> ab[1].msPerUpdate()).toArray()));
    }
    List<ArmResult[]> all = byMode.values().stream().flatMap(List::stream).toList();
    System.out.println();
    System.out.println("Kafka arm, per update (median over all runs): broker requests by type, MB in and out");
    System.out.println("| broker counter | per update |");
    System.out.println("|---|---|");
    all.get(0)[1].parts().keySet().stream().filter(k -> k.startsWith("broker."))
        .map(k -> Map.entry(k, medianPart(all, 1, k))).filter(e -> e.getValue() >= 0.5)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> System.out.printf(Locale.ROOT, "| %s | %.1f |%n", e.getKey().substring("broker.".length()),
            e.getValue()));
    System.out.println();
    System.out.println("Per-update work only the Kafka arm does, timed in the in-process JVM (best of 5; median over runs):");
    System.out.println("| work | ms |");
    System.out.println("|---|---|");
    for (String[] item : new String[][] {{"checkpoint_ms", "checkpoint (Learner.save: weights, optimisers, pools)"},
        {"weights_to_bytes_ms", "policy + reward ensemble to bytes"},
        {"sha256_ms_per_pass", "SHA-256 of those bytes, one pass (publisher, then each subscriber)"},
        {"weights_load_ms", "bytes to weights: sampler's policy + rewarder's ensemble"},
        {"avro_ms", "Avro encode + decode of one update's records on 3 hops"},
        {"weights_mb_per_update", "(MB of weights published per update)"}}) {
      System.out.printf(Locale.ROOT, "| %s | %.1f |%n", item[1], medianPart(all, 0, item[0]));
    }
    System.out.printf(Locale.ROOT, "| (in process: sample + score / learner update, wall) | %.0f / %.0f |%n",
        medianPart(all, 0, "inprocess.sample_score_ms"), medianPart(all, 0, "inprocess.update_ms"));
    System.out.printf(Locale.ROOT, "| (Kafka: sampler generate / learner update + checkpoint, wall, their metrics) "
        + "| %.0f / %.0f |%n", medianPart(all, 1, "kafka.sampler_generate_ms"),
        medianPart(all, 1, "kafka.learner_update_and_checkpoint_ms"));
    System.out.println("logs: " + work);
  }

  private static double medianPart(List<ArmResult[]> runs, int arm, String key) {
    return median(runs.stream().mapToDouble(ab -> ab[arm].parts().getOrDefault(key, 0.0)).toArray());
  }

  private static String rounded(double[] xs) {
    return Arrays.toString(Arrays.stream(xs).map(x -> Math.round(x * 1000) / 1000.0).toArray());
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static ArmResult runArm(String arm, boolean pinned, Path base, Path runDir, int updates) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (pinned) {
      cmd.addAll(List.of("taskset", "-c", "0"));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String jvmOpts = System.getProperty("bench.jvmOpts", "").trim();
    if (!jvmOpts.isEmpty()) {
      cmd.addAll(Arrays.asList(jvmOpts.split("\\s+")));
    }
    cmd.addAll(List.of("-Xmx2g", "-Dbench.warmup=" + WARMUP, "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
        "-cp", System.getProperty("java.class.path"), StreamingCostBenchmark.class.getName(), "--arm", arm,
        base.toString(), runDir.toString(), Integer.toString(updates)));
    Process p = new ProcessBuilder(cmd).redirectError(runDir.resolve("stderr.log").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    int code = p.waitFor();
    for (String line : out.split("\n")) {
      if (line.startsWith(RESULT)) {
        Files.writeString(runDir.resolve("result.json"), line.substring(RESULT.length()));
        return JSON.readValue(line.substring(RESULT.length()), ArmResult.class);
      }
    }
    throw new IllegalStateException(arm + " arm exited " + code + " without a result; see " + runDir.resolve("stderr.log"));
  }
}
