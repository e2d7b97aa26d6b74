package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.console.ProgressBar;
import io.alignstream.learner.Learner;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.RewardLine;
import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import io.alignstream.rewarder.ScoringInput;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.RunReporter;
import io.alignstream.runtime.Transactions;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Replays a recorded run A into a new run B: B's learner, with B's recipe, trains on exactly the
 * demonstrations and generations A recorded (nothing is regenerated), in A's recorded order.
 *
 * <p>What happens, in order:
 * <ol>
 *   <li>π_0 and A's recipe come from A's own topics (the learner publishes π_0 with its recipe), so
 *       a replay needs nothing but the cluster; B's recipe is A's changed by the caller's overrides.</li>
 *   <li>A's demonstrations and generations are copied into B's topics, partition by partition, in A's
 *       order (one transaction per topic: a reader of B sees all of a copy or none of it).</li>
 *   <li>SFT on the demonstrations, ordered by id as the learner service orders them.</li>
 *   <li>The learner updates on A's batches, in the order of A's single-partition batches topic and
 *       with A's batch composition (which sample ids went together), grouped
 *       {@code loop.prompts_per_update} at a time, up to {@code loop.max_updates}. The policy's
 *       importance weights use each generation's recorded behaviour log-probs: relative to B's
 *       policy the samples are off-policy, and the recipe's importance cap applies.</li>
 * </ol>
 *
 * <p>Determinism: the live rewarder scores with whatever reward-model version it holds when a
 * sample arrives, which depends on timing. A replay instead scores every batch synchronously with
 * its own learner's current ensemble just before the update that uses it, and forms groups by count
 * over an ordered stream; so the same run replayed twice with the same recipe gives bit-identical
 * weights. The rescored samples and the batches B trained on are written to B's {@code scored}
 * and {@code batches} topics, so B is a complete run record (dashboard, export, and replay again).
 */
final class Replay {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @param fromRun the recorded run A
   * @param asRun the new run B (its topics must hold no data yet)
   * @param recipeFile recipe keys that change A's recipe (may be null)
   * @param overrides {@code key=value} changes applied after the file
   * @param out where B's final models and summary go
   * @param weightsWait how long to wait for A's π_0 to arrive through Kafka
   */
  record Config(String fromRun, String asRun, Path recipeFile, List<String> overrides, Path out,
      Duration weightsWait) {
    Config {
      Topics.forRun(fromRun); // validates the ids with the usual message
      Topics.forRun(asRun);
      if (fromRun.equals(asRun)) {
        throw new IllegalArgumentException("--as must name a new run, not the recorded run '" + fromRun + "'");
      }
      overrides = List.copyOf(overrides);
      Objects.requireNonNull(out, "out");
      if (weightsWait.isNegative() || weightsWait.isZero()) {
        throw new IllegalArgumentException("weightsWait must be positive, got " + weightsWait);
      }
    }
  }

  /**
   * What a replay did.
   *
   * @param recipe B's recipe
   * @param recordedRecipe whether A's recipe was found in its topics (false: the defaults were changed)
   * @param demonstrations demonstrations copied (and used by SFT when they fit the context)
   * @param generations generations copied
   * @param batchesRecorded batches A recorded
   * @param batchesTrained of those, how many B's updates used
   * @param missingSamples samples of A's batches found in neither copy (skipped)
   * @param updates learner updates after SFT
   * @param policyDir B's final policy (model directory)
   * @param rewardDir B's final reward ensemble
   */
  record Result(Recipe recipe, boolean recordedRecipe, int demonstrations, int generations, int batchesRecorded,
      int batchesTrained, int missingSamples, long updates, Path policyDir, Path rewardDir, String policySha256,
      String rewardSha256) {}

  private Replay() {}

  /** Runs the whole replay; {@code log} gets a line per stage. */
  static Result run(KafkaConnection kafka, Config config, PrintStream log) throws IOException, InterruptedException {
    Topics from = Topics.forRun(config.fromRun());
    Topics to = Topics.forRun(config.asRun());
    try (TopicAdmin admin = TopicAdmin.open(kafka)) {
      var runs = admin.runs();
      if (!runs.contains(from.runId())) {
        throw new IllegalArgumentException("no run '" + from.runId() + "' on " + kafka.bootstrapServers()
            + (runs.isEmpty() ? " (it has no alignstream runs)" : "; its runs: " + String.join(", ", runs)));
      }
      admin.ensure(to);
    }
    RecordedRun.requireEmpty(kafka, to);

    PublishedWeights base = RecordedRun.base(kafka, from, config.weightsWait());
    Optional<Recipe> recordedRecipe = Recipe.fromMetadata(base.manifest().getMetadata());
    Recipe recipe = recordedRecipe.orElse(Recipe.defaults()).with(config.recipeFile(), config.overrides());
    log.println("replay: " + from.runId() + " -> " + to.runId() + "; π_0 from " + from.runId() + "'s topics; recipe: "
        + (recordedRecipe.isPresent() ? from.runId() + "'s" : "the defaults (" + from.runId() + " records none)")
        + (config.overrides().isEmpty() && config.recipeFile() == null ? "" : " changed by " + changes(config)));

    try (Producer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(kafka, to), new ByteArraySerializer(),
        new ByteArraySerializer());
        RunReporter reporter = new RunReporter(new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
            new ByteArraySerializer()), to, "replay");
        Learner learner = learner(base, recipe)) {
      producer.initTransactions();
      reporter.event("stage", "replay of run " + from.runId() + " started", Map.of("stage", "replay",
          "from", from.runId()));

      // 1. The record: A's inputs become B's, in A's order.
      Map<String, Demonstration> demos = new LinkedHashMap<>();
      Map<String, Generation> gens = new HashMap<>();
      int copiedDemos = RecordedRun.copy(kafka, producer, from.demonstrations, to.demonstrations, d -> demos.put(d.getId(), d));
      int copiedGens = RecordedRun.copy(kafka, producer, from.generations, to.generations, g -> gens.put(g.getId(), g));
      List<TrainingBatch> recorded = new ArrayList<>();
      RecordedRun.readAll(kafka, from.batches, b -> recorded.add(b));
      log.printf("replay: copied %d demonstrations and %d generations; %d batches recorded%n", copiedDemos,
          copiedGens, recorded.size());

      // 2. SFT, on the demonstrations in id order, as the learner service does.
      List<Example> sft = new ArrayList<>();
      new TreeMap<>(demos).values().forEach(d -> {
        Example e = learner.demonstration(d.getPrompt(), d.getResponse());
        if (e != null) {
          sft.add(e);
        }
      });
      try (ProgressBar bar = ProgressBar.start("sft", recipe.sftSteps(), "steps")) {
        learner.sft(sft, bar::setDone);
      }
      Transactions.run(producer, () -> {
        var publisher = new WeightPublisher(producer, to);
        Map<String, String> baseMeta = new LinkedHashMap<>(recipe.toMetadata());
        baseMeta.put("stage", "base");
        baseMeta.put("replay_of", from.runId());
        publish(publisher, learner, ModelLines.BASE, 0, learner.base(), baseMeta);
        publish(publisher, learner, ModelLines.SFT, 1, learner.policy(), Map.of("stage", "sft"));
      });

      // 3. The updates, on A's batches in A's order.
      int perUpdate = recipe.promptsPerUpdate();
      int groups = (recorded.size() + perUpdate - 1) / perUpdate;
      int updates = recipe.maxUpdates() > 0 ? Math.min(recipe.maxUpdates(), groups) : groups;
      int missing = 0;
      int trained = 0;
      try (ProgressBar bar = ProgressBar.start("replay", updates, "updates")) {
        for (int u = 0; u < updates; u++) {
          List<TrainingBatch> group = recorded.subList(u * perUpdate, Math.min(recorded.size(), (u + 1) * perUpdate));
          Rescored r = rescore(learner, group, demos, gens);
          missing += r.missing();
          trained += group.size();
          Transactions.run(producer, () -> {
            for (TrainingBatch b : r.batches()) {
              for (ScoredSample s : b.getSamples()) {
                producer.send(to.scored.record(s.getPromptId(), s));
              }
              producer.send(to.batches.record(b.getPromptId(), b));
            }
          });
          Learner.UpdateResult result = learner.update(r.batches());
          result.metrics().forEach((k, v) -> reporter.metric(k, v, learner.updates(), result.version()));
          reporter.metric("learner.policy_version", result.version(), learner.updates(), result.version());
          if (result.metrics().containsKey("reward.accuracy")) {
            bar.set("rm acc", "%.2f", result.metrics().get("reward.accuracy"));
          }
          bar.step(1);
        }
      }
      if (updates < groups) {
        log.printf("replay: stopped at loop.max_updates=%d; %d of the %d recorded batches were not used%n",
            recipe.maxUpdates(), recorded.size() - trained, recorded.size());
      }
      if (missing > 0) {
        log.printf("replay: %d samples of the recorded batches were in neither copy and were skipped%n", missing);
      }

      // 4. B's final models: through Kafka like any run's, and as directories.
      long v = learner.version();
      Transactions.run(producer, () -> {
        var publisher = new WeightPublisher(producer, to);
        publish(publisher, learner, ModelLines.POLICY, v, learner.policy(), Map.of("stage", "replay"));
        RewardLine.publish(publisher, learner, v, RewardLine.headsOnly(learner) ? null : learner.reward().weightsToBytes(),
            learner.tokenizer().toJson());
      });
      Path policyDir = config.out().resolve("policy");
      Path rewardDir = config.out().resolve("reward");
      learner.policy().save(policyDir);
      learner.tokenizer().save(policyDir);
      learner.reward().save(rewardDir);
      Result result = new Result(recipe, recordedRecipe.isPresent(), copiedDemos, copiedGens, recorded.size(), trained,
          missing, learner.updates(), policyDir, rewardDir, ContentId.sha256(learner.policy().weightsToBytes()),
          ContentId.sha256(learner.reward().weightsToBytes()));
      writeSummary(config, result);
      reporter.event("stage", "replay done: " + learner.updates() + " updates, policy and reward v" + v,
          Map.of("stage", "done", "version", Long.toString(v)));
      return result;
    }
  }

  /** A fresh learner whose π_0 is the published base. */
  private static Learner learner(PublishedWeights base, Recipe recipe) throws IOException {
    ModelVersion m = base.manifest();
    Tokenizer tokenizer = Tokenizer.fromJson(m.getTokenizerJson());
    try {
      return Learner.fresh(Policy.fromBytes(ModelConfig.fromJson(m.getConfigJson()), base.payload(), 0), tokenizer,
          recipe);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** Batches rebuilt from the copies and scored now, and how many recorded samples were in neither copy. */
  private record Rescored(List<TrainingBatch> batches, int missing) {}

  /**
   * A's batches with their samples taken from the copied demonstrations and generations, scored by
   * the learner's current ensemble (the version the live rewarder would ideally have used, but here
   * the same on every replay). Samples keep A's order, token ids, policy stamps and log-probs.
   */
  static Rescored rescore(Learner learner, List<TrainingBatch> group, Map<String, Demonstration> demos,
      Map<String, Generation> gens) {
    ModelConfig config = learner.policy().config();
    List<List<ScoringInput>> inputs = new ArrayList<>();
    List<Example> examples = new ArrayList<>();
    int missing = 0;
    for (TrainingBatch b : group) {
      List<ScoringInput> batch = new ArrayList<>();
      for (ScoredSample s : b.getSamples()) {
        ScoringInput in = null;
        if (s.getKind() == SampleKind.DEMONSTRATION && demos.containsKey(s.getId())) {
          in = ScoringInput.of(demos.get(s.getId()), learner.tokenizer());
        } else if (s.getKind() == SampleKind.GENERATION && gens.containsKey(s.getId())) {
          in = ScoringInput.of(gens.get(s.getId()));
        }
        if (in == null) {
          missing++;
        } else if (in.unfit(config).isEmpty()) { // the rewarder would have skipped it too
          batch.add(in);
          examples.add(in.example());
        }
      }
      inputs.add(batch);
    }
    RewardEnsemble.Scores scores = examples.isEmpty() ? null : learner.reward().score(examples); // (members, samples)
    long now = System.currentTimeMillis();
    List<TrainingBatch> out = new ArrayList<>();
    int row = 0;
    for (int i = 0; i < group.size(); i++) {
      List<ScoredSample> samples = new ArrayList<>();
      for (ScoringInput in : inputs.get(i)) {
        double[] rewards = new double[scores.perMember().length];
        for (int k = 0; k < rewards.length; k++) {
          rewards[k] = scores.perMember()[k][row];
        }
        samples.add(in.scored(rewards, scores.mean()[row], scores.std()[row], learner.version(), now));
        row++;
      }
      TrainingBatch b = group.get(i);
      out.add(TrainingBatch.newBuilder().setId(b.getId()).setPromptId(b.getPromptId()).setRound(b.getRound())
          .setSamples(samples).setComplete(b.getComplete()).setCreatedAtMs(now).build());
    }
    return new Rescored(out, missing);
  }

  private static void publish(WeightPublisher publisher, Learner learner, String line, long version, Policy model,
      Map<String, String> metadata) throws IOException {
    publisher.publish(line, version, model.weightsToBytes(), model.config().toJson(), learner.tokenizer().toJson(),
        learner.trainedSamples(), metadata);
  }

  private static Map<String, Object> producerConfig(KafkaConnection kafka, Topics to) {
    Map<String, Object> p = new HashMap<>(kafka.transactionalProducerConfig("alignstream." + to.runId() + ".replay"));
    p.putAll(WeightPublisher.producerOverrides());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "replay");
    // A copy of a long run is one transaction per topic: give it longer than the default minute.
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) Duration.ofMinutes(15).toMillis());
    return p;
  }

  private static String changes(Config config) {
    List<String> c = new ArrayList<>();
    if (config.recipeFile() != null) {
      c.add(config.recipeFile().toString());
    }
    c.addAll(config.overrides());
    return String.join(", ", c);
  }

  private static void writeSummary(Config config, Result r) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("from_run", config.fromRun());
    s.put("as_run", config.asRun());
    s.put("recipe", r.recipe().toMap());
    s.put("recipe_recorded", r.recordedRecipe());
    s.put("overrides", config.overrides());
    s.put("demonstrations", r.demonstrations());
    s.put("generations", r.generations());
    s.put("batches_recorded", r.batchesRecorded());
    s.put("batches_trained", r.batchesTrained());
    s.put("missing_samples", r.missingSamples());
    s.put("updates", r.updates());
    s.put("policy_sha256", r.policySha256());
    s.put("reward_sha256", r.rewardSha256());
    Files.createDirectories(config.out());
    JSON.writerWithDefaultPrettyPrinter().writeValue(config.out().resolve("replay.json").toFile(), s);
  }
}
