package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardHeads;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One rewarder replica on a thread against a real broker: exactly-once scoring of demonstrations and
 * generations that matches the ensemble computed locally, hot swap to a new version, a corrupt version
 * rejected, and bad records skipped; and versions of heads alone over π_0 on the base line, scoring as the
 * whole ensemble does.
 */
@ExtendWith(KafkaFixture.class)
class RewarderServiceIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final double TOLERANCE = 1e-5;

  /** What the learner, producer and samplers would write, written directly. */
  private static final class Upstream implements AutoCloseable {
    final Topics topics;
    final TinyRewardLine line;
    final KafkaProducer<byte[], byte[]> weights;
    final KafkaProducer<byte[], byte[]> samples;

    Upstream(KafkaConnection kafka, Topics topics, TinyRewardLine line) {
      this.topics = topics;
      this.line = line;
      Map<String, Object> wp = new HashMap<>(kafka.transactionalProducerConfig("it-learner-" + UUID.randomUUID()));
      wp.putAll(WeightPublisher.producerOverrides());
      this.weights = new KafkaProducer<>(wp, new ByteArraySerializer(), new ByteArraySerializer());
      weights.initTransactions();
      this.samples = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Publishes {@code payload} as "reward" {@code version} in one transaction, as the learner does. */
    void publishReward(long version, byte[] payload) {
      weights.beginTransaction();
      new WeightPublisher(weights, topics).publish(ModelLines.REWARD, version, payload, line.configJson,
          line.tokenizerJson, 0, Map.of("members", Integer.toString(TinyRewardLine.MEMBERS)));
      weights.commitTransaction();
    }

    /**
     * Publishes {@code ensemble}'s heads alone as "reward" {@code version}, with π_0 on the base line first when
     * {@code base} is not null, in one transaction, as the learner does under a frozen backbone.
     */
    void publishHeads(long version, Policy base, RewardEnsemble ensemble, String headsConfigJson) {
      weights.beginTransaction();
      var publisher = new WeightPublisher(weights, topics);
      if (base != null) {
        publisher.publish(ModelLines.BASE, 0, base.weightsToBytes(), line.configJson, line.tokenizerJson, 0,
            Map.of("stage", "base"));
      }
      publisher.publish(ModelLines.REWARD, version, PublishedWeights.HEADS, RewardHeads.of(ensemble).toBytes(),
          line.configJson, line.tokenizerJson, 0, Map.of("members", Integer.toString(TinyRewardLine.MEMBERS),
              PublishedWeights.ADAPTER_CONFIG, headsConfigJson, PublishedWeights.ADAPTER_BASE, ModelLines.BASE));
      weights.commitTransaction();
    }

    Demonstration demonstration(String prompt, String response) {
      Demonstration d = Demonstration.newBuilder().setId(ContentId.ofDemonstration(prompt, response))
          .setPromptId(ContentId.ofPrompt(prompt)).setPrompt(prompt).setResponse(response).setSource("it")
          .setCreatedAtMs(System.currentTimeMillis()).build();
      samples.send(topics.demonstrations.record(d.getId(), d));
      return d;
    }

    /** A generation of {@code response} as a sampler would write it; EOS only when it stopped at EOS. */
    Generation generation(String prompt, String response, int round, long policyVersion, boolean stoppedAtEos) {
      long[] p = line.tokenizer.encode(prompt);
      long[] r = stoppedAtEos ? line.tokenizer.responseIds(response) : line.tokenizer.encode(response);
      List<Float> logProbs = new ArrayList<>();
      for (int i = 0; i < r.length; i++) {
        logProbs.add(-0.25f * (i + 1));
      }
      String promptId = ContentId.ofPrompt(prompt);
      Generation g = Generation.newBuilder().setId(promptId + "/" + round + "/policy/0").setPromptId(promptId)
          .setRound(round).setPrompt(prompt).setResponse(response).setPromptTokenIds(ints(p))
          .setResponseTokenIds(ints(r)).setLogProbs(logProbs).setPolicyName("policy").setPolicyVersion(policyVersion)
          .setSampleIndex(0).setSamplerId("s-0").setTemperature(1f).setTopP(0.95f).setTopK(0)
          .setStoppedAtEos(stoppedAtEos).setCreatedAtMs(System.currentTimeMillis()).build();
      samples.send(topics.generations.record(promptId, g));
      return g;
    }

    void garbage() {
      samples.send(new ProducerRecord<>(topics.generations.name(), "junk".getBytes(StandardCharsets.UTF_8),
          new byte[] {1, 2, 3, 4, 5}));
    }

    static List<Integer> ints(long[] ids) {
      List<Integer> out = new ArrayList<>();
      for (long id : ids) {
        out.add((int) id);
      }
      return out;
    }

    @Override
    public void close() {
      weights.close();
      samples.close();
    }
  }

  private static List<ScoredSample> scored(KafkaConnection kafka, Topics topics) {
    return TopicReader.readCommitted(kafka, topics.scored).stream().map(ConsumerRecord::value).toList();
  }

  private static List<ScoredSample> awaitScored(KafkaConnection kafka, Topics topics, int n) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<ScoredSample> seen = scored(kafka, topics);
    while (seen.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(200);
      seen = scored(kafka, topics);
    }
    return seen;
  }

  /** Every output for {@code ids} carries {@code version} and the scores {@code payload} gives locally. */
  private static void assertScoredBy(TinyRewardLine line, byte[] payload, long version, Map<String, ScoredSample> byId,
      List<String> ids) {
    try (RewardEnsemble local = line.ensemble(payload, version)) {
      for (String id : ids) {
        ScoredSample s = byId.get(id);
        assertEquals(version, s.getRewardModelVersion(), id);
        RewardEnsemble.Scores expected = local.score(List.of(new Example(
            s.getPromptTokenIds().stream().mapToLong(Integer::longValue).toArray(),
            s.getResponseTokenIds().stream().mapToLong(Integer::longValue).toArray())));
        assertEquals(TinyRewardLine.MEMBERS, s.getRewards().size());
        for (int k = 0; k < TinyRewardLine.MEMBERS; k++) {
          assertEquals(expected.perMember()[k][0], s.getRewards().get(k), TOLERANCE, id + " member " + k);
        }
        assertEquals(expected.mean()[0], s.getRewardMean(), TOLERANCE, id);
        assertEquals(expected.std()[0], s.getRewardStd(), TOLERANCE, id);
      }
    }
  }

  @Test
  void scoresEveryInputOnceHotSwapsAndRejectsACorruptVersion(KafkaConnection kafka, Topics topics) throws Exception {
    String[] words = TinyRewardLine.CORPUS.split(" ");
    try (var line = new TinyRewardLine(); var upstream = new Upstream(kafka, topics, line)) {
      // Given reward v1, demonstrations, generations (finished and cut off), a corrupt record and one too long
      byte[] v1 = line.payload(101);
      upstream.publishReward(1, v1);
      List<String> phase1 = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        phase1.add(upstream.demonstration("the cat " + words[i], "sat on the " + words[i + 3]).getId());
      }
      for (int i = 0; i < 200; i++) {
        String prompt = "q" + i + " " + words[i % words.length] + " " + words[(i * 7) % words.length]; // unique per i
        phase1.add(upstream.generation(prompt, words[(i * 3) % words.length] + " the mat", i % 3, 1, i % 2 == 0).getId());
      }
      upstream.garbage();
      upstream.demonstration("the dog ".repeat(20), "ran");
      upstream.samples.flush();
      RewarderConfig config = RewarderConfig.defaults(topics.runId()).withRewarderId("rw-it").withMaxBatch(32)
          .withWeightsTimeout(WAIT).withDevice(ScoringDevice.CPU);
      var failure = new AtomicReference<Throwable>();

      try (var service = new RewarderService(config, kafka)) {
        Thread thread = new Thread(() -> {
          try {
            service.run();
          } catch (Throwable e) {
            failure.set(e);
          }
        }, "rewarder-it");
        thread.start();

        // Then every valid input is scored once, at v1, with the scores the ensemble gives locally
        List<ScoredSample> out = awaitScored(kafka, topics, phase1.size());
        assertEquals(phase1.size(), out.size(), "every valid input scored");
        Map<String, ScoredSample> byId = out.stream().collect(Collectors.toMap(ScoredSample::getId, Function.identity()));
        assertEquals(phase1.size(), byId.size(), "no duplicates");
        assertScoredBy(line, v1, 1, byId, phase1);
        ScoredSample demo = byId.get(phase1.get(0));
        assertEquals(SampleKind.DEMONSTRATION, demo.getKind());
        assertEquals(-1, demo.getPolicyVersion());
        assertEquals(line.tokenizer.eosId(), (int) demo.getResponseTokenIds().get(demo.getResponseTokenIds().size() - 1));
        ScoredSample cut = byId.get(phase1.get(5));
        assertEquals(SampleKind.GENERATION, cut.getKind());
        assertEquals(1, cut.getRound());
        assertEquals(1, cut.getPolicyVersion());
        assertEquals(cut.getResponseTokenIds().size(), cut.getLogProbs().size());
        assertTrue(cut.getResponseTokenIds().get(cut.getResponseTokenIds().size() - 1) != line.tokenizer.eosId(),
            "a cut-off generation is scored without EOS");
        double perSecond = service.samplesPerSecond();
        System.out.printf("rewarder IT: %d samples scored at v1, %.0f samples/s (2 members, maxBatch 32)%n",
            out.size(), perSecond);

        // When v2 is published, later inputs are scored by v2
        byte[] v2 = line.payload(202);
        upstream.publishReward(2, v2);
        assertTrue(awaitVersion(service, 2), "v2 loaded");
        List<String> phase2 = List.of(
            upstream.demonstration("what did the dog see", "a bird in a tree").getId(),
            upstream.generation("what did the bird see", "the sun", 4, 2, true).getId());
        upstream.samples.flush();
        out = awaitScored(kafka, topics, phase1.size() + 2);
        byId = out.stream().collect(Collectors.toMap(ScoredSample::getId, Function.identity()));
        assertScoredBy(line, v2, 2, byId, phase2);

        // When a truncated payload (correct checksum, refused by the model) is published as v3, it is
        // rejected and scoring goes on at v2
        upstream.publishReward(3, TinyRewardLine.truncated(line.payload(303)));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (service.rejectedVersions() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(1, service.rejectedVersions());
        List<String> phase3 = List.of(upstream.demonstration("then the sun rose", "over the hill").getId());
        upstream.samples.flush();
        out = awaitScored(kafka, topics, phase1.size() + 3);
        byId = out.stream().collect(Collectors.toMap(ScoredSample::getId, Function.identity()));
        assertScoredBy(line, v2, 2, byId, phase3);

        Thread.sleep(500);
        out = scored(kafka, topics);
        assertEquals(phase1.size() + 3, out.size(), "each input exactly once");
        assertEquals(1, service.counts().undecodable());
        assertEquals(1, service.counts().unfit());
        assertEquals(List.of("undecodable-sample", "unscorable-sample"), TopicReader.readCommitted(kafka, topics.deadLetters)
            .stream().map(r -> new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8))
            .sorted().toList(), "both are dead-lettered, once");
        assertEquals(5 + 1, service.counts().demonstrations());
        assertEquals(200 + 1, service.counts().generations());
        assertNull(failure.get());
        service.close();
        thread.join(30_000);
        assertNull(failure.get(), "run() ended cleanly");
      }

      List<String> kinds = TopicReader.readCommitted(kafka, topics.events).stream().map(ConsumerRecord::value)
          .filter(e -> e.getSource().equals("rw-it")).map(RunEvent::getKind).toList();
      assertEquals(2, kinds.stream().filter("version-loaded"::equals).count(), kinds.toString());
      assertEquals(1, kinds.stream().filter("version-rejected"::equals).count(), kinds.toString());
      List<Double> rates = TopicReader.readCommitted(kafka, topics.metrics).stream().map(ConsumerRecord::value)
          .filter(m -> m.getName().equals("rewarder.samples_per_s")).map(m -> m.getValue()).toList();
      System.out.println("rewarder IT: samples/s per micro-batch " + rates.stream().map(r -> String.format("%.0f", r)).toList());
      List<String> metrics = TopicReader.readCommitted(kafka, topics.metrics).stream().map(r -> r.value().getName())
          .distinct().toList();
      for (String m : List.of("rewarder.samples_per_s", "rewarder.reward_mean", "rewarder.reward_std",
          "rewarder.demo_reward_mean", "rewarder.version", "rewarder.undecodable_records")) {
        assertTrue(metrics.contains(m), m + " in " + metrics);
      }
    }
  }

  @Test
  void headsOverTheBaseScoreAsTheWholeEnsembleAndAMismatchIsRejected(KafkaConnection kafka, Topics topics)
      throws Exception {
    try (var line = new TinyRewardLine(); var upstream = new Upstream(kafka, topics, line);
        Policy base = Policy.create(line.config, 5);
        RewardEnsemble v1 = RewardEnsemble.fromPolicy(base, TinyRewardLine.MEMBERS, 11, 0.5);
        RewardEnsemble v2 = RewardEnsemble.fromPolicy(base, TinyRewardLine.MEMBERS, 22, 0.5)) {
      // Given π_0 on the base line and v1 as heads alone, and inputs to score
      String heads = RewardHeads.of(v1).config().toJson();
      upstream.publishHeads(1, base, v1, heads);
      List<String> phase1 = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        phase1.add(upstream.generation("heads " + i + " the cat", "sat on the mat", 0, 1, i % 2 == 0).getId());
      }
      phase1.add(upstream.demonstration("what did the cat see", "a bird").getId());
      upstream.samples.flush();
      RewarderConfig config = RewarderConfig.defaults(topics.runId()).withRewarderId("rw-heads").withMaxBatch(16)
          .withWeightsTimeout(WAIT).withDevice(ScoringDevice.CPU);
      var failure = new AtomicReference<Throwable>();
      try (var service = new RewarderService(config, kafka)) {
        Thread thread = new Thread(() -> {
          try {
            service.run();
          } catch (Throwable e) {
            failure.set(e);
          }
        }, "rewarder-heads-it");
        thread.start();

        // Then every input is scored at v1 as the whole ensemble of those weights scores it
        List<ScoredSample> out = awaitScored(kafka, topics, phase1.size());
        Map<String, ScoredSample> byId = out.stream().collect(Collectors.toMap(ScoredSample::getId, Function.identity()));
        assertScoredBy(line, v1.weightsToBytes(), 1, byId, phase1);

        // When v2's heads come (no second base), later inputs are scored by v2
        upstream.publishHeads(2, null, v2, heads);
        assertTrue(awaitVersion(service, 2), "v2 loaded");
        List<String> phase2 = List.of(upstream.generation("what did the bird see", "the sun", 1, 2, true).getId());
        upstream.samples.flush();
        out = awaitScored(kafka, topics, phase1.size() + 1);
        byId = out.stream().collect(Collectors.toMap(ScoredSample::getId, Function.identity()));
        assertScoredBy(line, v2.weightsToBytes(), 2, byId, phase2);

        // When v3's heads say another width than the base's, v3 is rejected and scoring stays at v2
        upstream.publishHeads(3, null, v1, new RewardHeads.Config(TinyRewardLine.MEMBERS, line.config.width() * 2)
            .toJson());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (service.rejectedVersions() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(1, service.rejectedVersions());
        assertEquals(2, service.rewardModelVersion());
        assertNull(failure.get());
        service.close();
        thread.join(30_000);
        assertNull(failure.get(), "run() ended cleanly");
      }
      assertTrue(TopicReader.readCommitted(kafka, topics.events).stream().map(ConsumerRecord::value)
          .filter(e -> e.getSource().equals("rw-heads") && e.getKind().equals("version-rejected"))
          .anyMatch(e -> e.getMessage().contains("for a backbone of width " + line.config.width())),
          "the rejection says why");
    }
  }

  @Test
  void aRestartedReplicaResumesFromItsCommittedOffsets(KafkaConnection kafka, Topics topics) throws Exception {
    try (var line = new TinyRewardLine(); var upstream = new Upstream(kafka, topics, line)) {
      // Given reward v1 and 40 generations scored by a first replica, which then stops
      upstream.publishReward(1, line.payload(7));
      RewarderConfig config = RewarderConfig.defaults(topics.runId()).withRewarderId("rw-restart").withMaxBatch(16)
          .withWeightsTimeout(WAIT).withDevice(ScoringDevice.CPU);
      for (int i = 0; i < 40; i++) {
        upstream.generation("first " + i + " the cat", "sat", 0, 1, true);
      }
      upstream.samples.flush();
      runUntilScored(config, kafka, topics, 40);

      // When 40 more arrive while it is down and it restarts with the same id
      for (int i = 0; i < 40; i++) {
        upstream.generation("second " + i + " the dog", "ran", 0, 1, true);
      }
      upstream.samples.flush();
      runUntilScored(config, kafka, topics, 80);

      // Then each input is scored exactly once: nothing from before the restart is scored again
      Thread.sleep(500);
      List<ScoredSample> out = scored(kafka, topics);
      assertEquals(80, out.size());
      assertEquals(80, out.stream().map(ScoredSample::getId).distinct().count());
    }
  }

  private static void runUntilScored(RewarderConfig config, KafkaConnection kafka, Topics topics, int n)
      throws Exception {
    var failure = new AtomicReference<Throwable>();
    try (var service = new RewarderService(config, kafka)) {
      Thread thread = new Thread(() -> {
        try {
          service.run();
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "rewarder-" + config.rewarderId());
      thread.start();
      assertEquals(n, awaitScored(kafka, topics, n).size());
      service.close();
      thread.join(30_000);
    }
    assertNull(failure.get());
  }

  private static boolean awaitVersion(RewarderService service, long version) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (service.rewardModelVersion() < version && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return service.rewardModelVersion() >= version;
  }
}
