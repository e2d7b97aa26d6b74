package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.console.ProgressBar;
import io.alignstream.dashboard.Dashboard;
import io.alignstream.dashboard.DashboardConfig;
import io.alignstream.dashboard.MetricsStore;
import io.alignstream.dashboard.RunFollower;
import io.alignstream.learner.LearnerCheckpoint;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.LearnerService;
import io.alignstream.learner.Recipe;
import io.alignstream.model.CheckpointStore;
import io.alignstream.model.NativeArrays;
import io.alignstream.model.SamplingConfig;
import io.alignstream.rewarder.RewarderConfig;
import io.alignstream.runtime.ResourceReport;
import io.alignstream.sampler.SamplerConfig;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One alignment run, the one behind {@code demo} and {@code align}: settings, then every service of
 * the run in this process over Kafka ({@link Pipeline}), the demonstrations streamed in, progress
 * followed until the learner has made its updates, and the run's models saved. The demo adds only
 * its task, its judge, its baselines and its report ({@link Observer}); align adds its input checks.
 *
 * <p>The main thread sees the learner only through the {@link LearnerService.Snapshot}s the learner
 * thread publishes, and reads models from the checkpoints they name.
 */
final class AlignmentRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TICK = Duration.ofMillis(500);

  /**
   * @param topics the run's topics
   * @param workDir the learner's checkpoints ({@code learner/}) and the topologies' state ({@code state/})
   * @param base π_0's model directory
   * @param recipe the recipe, with {@code loop.max_updates} set: the run ends at version 1 + that
   * @param demonstrations distinct demonstrations that fit the base's context: SFT waits for all of them
   * @param samplers sampler replicas
   * @param maxNewTokens longest sampled response
   * @param seed seed of the first sampler (each further one adds 1)
   * @param name what runs it ({@code demo}, {@code align}): names its services and its resource report
   * @param dashboardPort live dashboard port; 0 any free port, negative none
   * @param stallTimeout after SFT, stop (keeping what was trained) when no version came for this long;
   *     null waits for every update
   * @param timeBudget stop (keeping what was trained) this long after SFT; null for no limit
   */
  record Settings(Topics topics, Path workDir, Path base, Recipe recipe, int demonstrations, int samplers,
      int maxNewTokens, long seed, String name, int dashboardPort, Duration stallTimeout, Duration timeBudget) {
    Settings {
      Objects.requireNonNull(topics, "topics");
      Objects.requireNonNull(workDir, "workDir");
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(recipe, "recipe");
      Objects.requireNonNull(name, "name");
      if (recipe.maxUpdates() < 1) {
        throw new IllegalArgumentException("a run needs loop.max_updates of at least 1, got " + recipe.maxUpdates());
      }
      if (stallTimeout != null && (stallTimeout.isNegative() || stallTimeout.isZero())) {
        throw new IllegalArgumentException("the stall timeout must be positive, got " + stallTimeout);
      }
    }

    /** The version the run ends at: π_SFT, then one per update. */
    long target() {
      return 1L + recipe.maxUpdates();
    }

    /**
     * The pipeline of the run: each sampler takes {@code prompts_per_update / samplers} prompts a batch
     * and keeps at most {@code policy.max_lag - 2} updates' worth in flight, so the lag of trained
     * samples (≤ gate + samplers × promptsPerBatch / U + 1, see InFlightGate) stays within the recipe's bound.
     */
    Pipeline.Settings pipeline() {
      var learner = new LearnerConfig(topics, checkpoints(), base, recipe, demonstrations, Duration.ofMinutes(5),
          Duration.ofSeconds(20), 3);
      int promptsPerBatch = Math.max(1, recipe.promptsPerUpdate() / samplers);
      var sampler = new SamplerConfig(topics.runId(), name + "-sampler", ModelLines.POLICY, recipe.samplesPerPrompt(),
          promptsPerBatch, SamplingConfig.sample(maxNewTokens), seed, 0,
          Math.max(1, recipe.maxLag() - 2), Duration.ofMinutes(10), recipe.includeGreedy());
      var rewarder = RewarderConfig.defaults(topics.runId()).withRewarderId(name + "-rewarder")
          .withWeightsTimeout(Duration.ofMinutes(10));
      return new Pipeline.Settings(learner, sampler, samplers, rewarder, Duration.ofSeconds(30),
          workDir.resolve("state"), true);
    }

    /** Where the learner's versioned checkpoints go. */
    Path checkpoints() {
      return workDir.resolve("learner");
    }
  }

  /** A demonstration, or a practice prompt (no response), as any client sends it to the run's raw topic. */
  record Raw(String prompt, String response, String source) {
    /** A practice prompt: the samplers answer it and the reward model judges the answers. */
    static Raw prompt(String prompt, String source) {
      return new Raw(prompt, null, source);
    }
  }

  /**
   * The run's id: {@code given}, or {@code <command>-<date>-<time>} when none was given.
   *
   * @throws IllegalArgumentException if it cannot name the run's topics (before anything is written)
   */
  static String runId(String given, String command) {
    String id = given != null ? given : command + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Topics.forRun(id);
    return id;
  }

  /**
   * The recipe with at most one update's prompts per distinct prompt of the run: a run of 5 prompts
   * updates on those 5 (each round of them) instead of waiting for 16 that never come.
   */
  static Recipe fitToPrompts(Recipe recipe, int distinctPrompts) {
    return distinctPrompts >= recipe.promptsPerUpdate() || distinctPrompts < 1 ? recipe
        : recipe.with(null, List.of("loop.prompts_per_update=" + distinctPrompts));
  }

  /** The caller's part of following a run, on the main thread. */
  interface Observer {
    Observer NONE = (snapshot, bar) -> { };

    /** The learner's newest snapshot, about twice a second; {@code bar} shows the run's progress, with room for the caller's figures. */
    void observe(LearnerService.Snapshot snapshot, ProgressBar bar) throws Exception;

    /** The last snapshot, once the learner has finished (or stalled) and before the pipeline stops. */
    default void finished(LearnerService.Snapshot last) throws Exception {}
  }

  /**
   * What a run produced.
   *
   * @param last the learner's last snapshot: its version, updates and checkpoint
   * @param sft the checkpoint of version 1, π_SFT (kept by the learner for every comparison)
   * @param stalled whether it stopped early, with no version for the stall timeout
   * @param deadLetters the run's dead letters by reason
   * @param seconds from the start of the pipeline to the end of the run
   */
  record Outcome(LearnerService.Snapshot last, Path sft, boolean stalled, SortedMap<String, Long> deadLetters,
      double seconds) {
    /** Writes the run's final policy as a model directory and its reward ensemble. */
    void save(Path policyDir, Path rewardDir) throws IOException {
      LearnerCheckpoint.exportModels(last.checkpoint(), policyDir, rewardDir);
    }
  }

  private AlignmentRun() {}

  /**
   * Runs the pipeline until the learner reaches {@link Settings#target()} (or stalls), streaming
   * {@code demonstrations} in first; prints the dashboard and the pipeline to {@code log}.
   */
  static Outcome run(KafkaConnection kafka, Settings s, List<Raw> demonstrations, Observer observer, PrintStream log)
      throws Exception {
    long t0 = System.nanoTime();
    Topics topics = s.topics();
    MetricsStore store = new MetricsStore();
    try (RunFollower follower = s.dashboardPort() < 0 ? null : RunFollower.start(kafka, topics, store);
        Dashboard dashboard = s.dashboardPort() < 0 ? null
            : Dashboard.start(DashboardConfig.loopback(topics.runId(), s.dashboardPort()), store);
        Pipeline pipeline = Pipeline.start(kafka, s.pipeline());
        // One process runs every service here: its memory, threads and native arrays, as each service reports its own.
        ResourceReport resources = ResourceReport.start(kafka.producerConfig(), topics, s.name(),
            NativeArrays::liveInProcess)) {
      if (dashboard != null) {
        log.println("dashboard: " + dashboard.url() + "  (live charts of this run)");
      }
      send(kafka, topics, demonstrations);
      long prompts = demonstrations.stream().filter(d -> d.response() == null).count();
      log.println("run " + topics.runId() + ": streaming " + (demonstrations.size() - prompts) + " demonstrations and "
          + prompts + " practice prompts; "
          + s.samplers() + " samplers, rewarder, batching and learner over Kafka at " + kafka.bootstrapServers());
      End end = follow(pipeline, s, observer);
      boolean stalled = end == End.STALLED;
      if (stalled) {
        log.printf(Locale.ROOT, "%s: no new version for %d s (are the prompts' rounds used up?); keeping v%d%n",
            s.name(), s.stallTimeout().toSeconds(), pipeline.learner().version());
      } else if (end == End.OUT_OF_TIME) {
        log.printf(Locale.ROOT, "%s: %d minutes after SFT, the time budget is spent; keeping v%d%n", s.name(),
            s.timeBudget().toMinutes(), pipeline.learner().version());
      } else {
        // The learner stops by itself at loop.max_updates; let it finish before the pipeline stops.
        pipeline.learner().awaitFinished(Duration.ofMinutes(2));
      }
      observer.finished(pipeline.learner().snapshot());
      return new Outcome(pipeline.learner().snapshot(), new CheckpointStore(s.checkpoints()).directory(1), stalled,
          TopicExport.deadLettersByReason(kafka, topics), (System.nanoTime() - t0) / 1e9);
    }
  }

  /** Why following a run ended. */
  private enum End { TARGET, STALLED, OUT_OF_TIME }

  /**
   * Shows progress until the learner reaches the target version, no version came for the stall
   * timeout, or the time budget is spent (both counted after SFT, whose length depends on the model
   * and is not bounded here).
   */
  private static End follow(Pipeline pipeline, Settings s, Observer observer) throws Exception {
    long lastVersion = -1;
    long lastChange = System.nanoTime();
    long loopStart = -1;
    try (ProgressBar bar = ProgressBar.start(s.name(), s.target(), "versions")) {
      while (true) {
        if (pipeline.learner().failure().isPresent()) {
          throw new IllegalStateException("the learner failed: " + pipeline.learner().failure().get().getMessage());
        }
        LearnerService.Snapshot snapshot = pipeline.learner().snapshot();
        long v = snapshot.version();
        if (v >= s.target()) {
          bar.setDone(s.target());
          return End.TARGET;
        }
        if (v >= 1 && loopStart < 0) {
          loopStart = System.nanoTime();
        }
        if (v != lastVersion) {
          lastVersion = v;
          lastChange = System.nanoTime();
        } else if (s.stallTimeout() != null && v >= 1 && System.nanoTime() - lastChange > s.stallTimeout().toNanos()) {
          return End.STALLED;
        }
        if (s.timeBudget() != null && loopStart >= 0 && System.nanoTime() - loopStart > s.timeBudget().toNanos()) {
          return End.OUT_OF_TIME;
        }
        bar.setDone(Math.max(0, v));
        bar.set("stage", v < 1 ? "sft" : "loop");
        bar.set("samplers@", "v%d", pipeline.samplers().stream().mapToLong(x -> x.policyVersion()).min().orElse(-1));
        Map<String, Double> m = snapshot.metrics();
        if (m.containsKey("reward.accuracy")) { // the reward model's held-out accuracy, once measured
          bar.set("rm acc", "%.2f", m.get("reward.accuracy"));
        }
        bar.set("scored/s", "%.0f", pipeline.rewarder().samplesPerSecond());
        observer.observe(snapshot, bar);
        Thread.sleep(TICK.toMillis());
      }
    }
  }

  /**
   * Sends the demonstrations to the run's raw topic as the JSON any client would send; the ingest
   * topology turns them into demonstrations and prompts.
   */
  static void send(KafkaConnection kafka, Topics topics, List<Raw> demonstrations) {
    var failure = new AtomicReference<Exception>();
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Raw d : demonstrations) {
        var json = JSON.createObjectNode().put("prompt", d.prompt()).put("source", d.source());
        if (d.response() == null) {
          json.put("kind", "prompt");
        } else {
          json.put("response", d.response());
        }
        try {
          producer.send(new ProducerRecord<>(topics.demosRaw.name(), JSON.writeValueAsBytes(json)), (meta, e) -> {
            if (e != null) {
              failure.compareAndSet(null, e);
            }
          });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException("cannot encode a demonstration of prompt " + d.prompt(), e);
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("sending demonstrations to " + topics.demosRaw.name() + " failed: "
          + failure.get().getMessage(), failure.get());
    }
  }
}
