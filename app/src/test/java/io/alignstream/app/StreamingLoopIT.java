package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.LearnerCheckpoint;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.LearnerService;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.TrainingInput;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.rewarder.RewarderConfig;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.sampler.SamplerConfig;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on a real broker, every service in this JVM talking through Kafka: demonstrations
 * in as raw JSON, SFT, samplers (two replicas), rewarder, batching, learner updates, weights back to
 * the samplers and the rewarder. A tiny model on the built-in task.
 */
@ExtendWith(KafkaFixture.class)
class StreamingLoopIT {
  static final int K = 2;
  static final int UPDATES = 8;
  static final int MAX_LAG = 3;

  @TempDir
  Path dir;

  /** A random tiny π_0 with a word-level tokenizer over the task; returns its model directory. */
  static Path tinyBase(Path dir, BuiltinTask task) throws Exception {
    var builder = new WordLevelTokenizerBuilder(1000);
    task.corpus().forEach(e -> builder.add(e.prompt()).add(e.response()));
    task.evalPrompts().forEach(p -> builder.add(p.text()));
    Path base = dir.resolve("base");
    try (Tokenizer tok = Tokenizer.load(builder.write(dir.resolve("tokenizer.json")));
        Policy p = Policy.create(new Gpt2Config(tok.vocabSize(), 64, 64, 2, 4, 1e-5, tok.eosId(), tok.eosId()), 3)) {
      p.save(base);
      tok.save(base);
    }
    return base;
  }

  static void produceRaw(KafkaConnection kafka, Topics topics, List<io.alignstream.task.LabelledPair> demos) {
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (var d : demos) {
        String json = "{\"prompt\": \"" + d.prompt() + "\", \"response\": \"" + d.response() + "\"}";
        producer.send(new ProducerRecord<>(topics.demosRaw.name(), json.getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  static Recipe recipe(int updates) {
    return Recipe.load(null, List.of("samples.per_prompt=" + K, "sft.steps=30", "sft.batch=8", "sft.lr=2e-3",
        "reward.members=2", "reward.warmup_updates=1", "reward.steps_per_update=2", "reward.lr=1e-3",
        "loop.prompts_per_update=4", "loop.rounds=2", "loop.max_updates=" + updates, "policy.max_lag=" + MAX_LAG,
        "policy.lr=5e-4"));
  }

  static Pipeline.Settings settings(Topics topics, Path dir, Path base, Recipe recipe) {
    var learner = new LearnerConfig(topics, dir.resolve("checkpoints"), base, recipe, 16, Duration.ofMinutes(2),
        Duration.ofSeconds(5), 3);
    // Pacing by prompts in flight: lag ≤ gate + replicas × promptsPerBatch / U + 1 = 1 + 2 × 2 / 4 + 1 = 3.
    var sampler = new SamplerConfig(topics.runId(), "s", "policy", K, 2, new SamplingConfig(1.0, 1.0, 0, 24, true),
        5, 0, 1, Duration.ofMinutes(3), false);
    var rewarder = RewarderConfig.defaults(topics.runId()).withRewarderId("r").withWeightsTimeout(Duration.ofMinutes(3));
    return new Pipeline.Settings(learner, sampler, 2, rewarder, Duration.ofSeconds(5), dir.resolve("state"), true);
  }

  @Test
  void theLoopTrainsBothModelsAndVersionsReachTheSamplers() throws Exception {
    KafkaConnection kafka = KafkaFixture.connection();
    Topics topics = KafkaFixture.freshTopics("loop");
    // The older shape of the task (every item demonstrated, 500 demonstrations): enough held-out prompts
    // for the interleaving below; the pipeline's mechanics are what this test is about.
    BuiltinTask task = BuiltinTask.generate(new TaskConfig(42, 2000, 0.35, 0.6, 500, 150));
    Path base = tinyBase(dir, task);
    Recipe recipe = recipe(UPDATES);

    // A quarter of the prompts from the held-out tenth (which only measures the reward model), so that
    // whichever prompts the samplers happen to take first, some measure it.
    List<io.alignstream.task.LabelledPair> held = new ArrayList<>();
    List<io.alignstream.task.LabelledPair> rest = new ArrayList<>();
    for (var d : task.demonstrations()) {
      (TrainingInput.heldOut(ContentId.ofPrompt(d.prompt())) ? held : rest).add(d);
    }
    // Interleaved, every fourth one held out: the samplers take prompts in the order they arrive, and
    // with the held-out ones last they could all be left unsampled when the learner stops.
    List<io.alignstream.task.LabelledPair> demos = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      demos.add(i % 4 == 3 ? held.get(i / 4) : rest.get(i - i / 4));
    }
    produceRaw(kafka, topics, demos);
    try (Pipeline pipeline = Pipeline.start(kafka, settings(topics, dir, base, recipe))) {
      assertTrue(pipeline.awaitVersion(1 + UPDATES, Duration.ofMinutes(6)),
          "the learner reached version " + pipeline.learner().version());

      // Versions propagate: the samplers generated with weights newer than the SFT version...
      List<Generation> gens = values(TopicReader.readCommitted(kafka, topics.generations));
      long newest = gens.stream().mapToLong(Generation::getPolicyVersion).max().orElse(-1);
      assertTrue(newest >= 3, "generations carry policy versions up to " + newest);
      // ...and the rewarder scored with reward-model versions newer than the first.
      List<ScoredSample> scored = values(TopicReader.readCommitted(kafka, topics.scored));
      assertTrue(scored.stream().mapToLong(ScoredSample::getRewardModelVersion).max().orElse(-1) >= 3);
      // Under the default frozen backbone every reward version travelled as its heads alone, over π_0.
      List<ModelVersion> rewardVersions = values(TopicReader.readCommitted(kafka, topics.modelVersions)).stream()
          .filter(m -> m.getModelName().equals(ModelLines.REWARD)).toList();
      assertTrue(rewardVersions.size() >= 3 && rewardVersions.stream().allMatch(m -> m.getFormat().equals(
          PublishedWeights.HEADS) && m.getTotalBytes() < 4096), "reward versions as published: " + rewardVersions.stream()
          .map(m -> m.getFormat() + " " + m.getTotalBytes()).toList());

      // Every (prompt, round) was sampled exactly K times, though two replicas shared the prompts.
      Map<String, Long> perGroup = gens.stream().collect(Collectors.groupingBy(
          g -> g.getPromptId() + "/" + g.getRound() + "/" + g.getPolicyName(), Collectors.counting()));
      var wrong = perGroup.entrySet().stream().filter(e -> e.getValue() != K).toList();
      assertTrue(wrong.isEmpty(), "groups without exactly K samples: " + wrong + " of " + perGroup.size());
      assertEquals(gens.size(), gens.stream().map(Generation::getId).distinct().count(), "no duplicates");

      // Metrics: the discriminator separates held-out demonstrations from policy samples above chance,
      // and the lag of trained samples stayed within its bound.
      Map<String, List<Double>> metrics = new HashMap<>();
      for (Metric m : values(TopicReader.readCommitted(kafka, topics.metrics))) {
        metrics.computeIfAbsent(m.getName(), k -> new ArrayList<>()).add(m.getValue());
      }
      List<Double> accuracy = metrics.getOrDefault("reward.accuracy", List.of());
      var batches = values(TopicReader.readCommitted(kafka, topics.batches));
      assertTrue(!accuracy.isEmpty() && accuracy.get(accuracy.size() - 1) > 0.5, "reward-model accuracy " + accuracy
          + " (" + batches.size() + " batches, " + batches.stream().filter(b -> TrainingInput.heldOut(b.getPromptId())).count()
          + " held out; metrics " + metrics.keySet() + ")");
      List<Double> lag = metrics.getOrDefault("lag.max", List.of());
      assertTrue(!lag.isEmpty() && lag.stream().allMatch(l -> l <= MAX_LAG), "lag.max " + lag);

      // The loop trained the policy: the last version's weights are not π_SFT's (v1, kept by the learner).
      // Not asserted: that late generations score higher than early ones under the final reward model.
      // The discriminator is trained against the newest samples, so under it the sign of that difference
      // is not fixed; it flipped in 2 of 24 runs (e.g. v1 -0.93, v7+ -1.29), so the check failed at
      // random. What the update itself does is tested in the model and learner unit tests.
      LearnerService.Snapshot last = pipeline.learner().snapshot();
      assertFalse(java.util.Arrays.equals(LearnerCheckpoint.policyBytes(dir.resolve("checkpoints/v000001")),
          LearnerCheckpoint.policyBytes(last.checkpoint())), "the policy at v" + last.version() + " still has π_SFT's weights");
    }
  }

  static <V> List<V> values(List<? extends ConsumerRecord<?, V>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }
}
