package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.lora.LoraConfig;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One sampler replica on a thread, against a real broker: pacing, hot swap, corrupt and oversize prompts. */
@ExtendWith(KafkaFixture.class)
class SamplerServiceIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static Thread start(SamplerService service, AtomicReference<Throwable> failure) {
    Thread t = new Thread(() -> {
      try {
        service.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "sampler-" + service.config().samplerId());
    t.start();
    return t;
  }

  private static Map<Long, Long> promptsPerVersion(List<Generation> gens) {
    return gens.stream().collect(Collectors.groupingBy(Generation::getPolicyVersion, TreeMap::new,
        Collectors.mapping(g -> g.getPromptId() + "/" + g.getRound(), Collectors.collectingAndThen(Collectors.toSet(), s -> (long) s.size()))));
  }

  private static void awaitPaused(SamplerService service) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!service.paused() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(service.paused(), "the sampler paused after its budget");
  }

  @Test
  void adapterVersionsAreServedOverTheBaseLoadedOnce(KafkaConnection kafka, Topics topics) throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics);
        Policy base = Policy.create(upstream.config, 5);
        Policy v1 = base.withAdapter(new LoraConfig(4, 8, 0, List.of("c_attn", "c_fc")), 1);
        Policy v2 = base.withAdapter(new LoraConfig(4, 8, 0, List.of("c_attn", "c_fc")), 2)) {
      // Given adapters with B away from zero (they would change nothing at their zero start)
      for (Policy p : List.of(v1, v2)) {
        try (var t = new PolicyTrainer(p, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(5e-2)))) {
          for (int i = 0; i < 3; i++) {
            t.sftStep(List.of(new Example(new long[] {2, 3, 4}, new long[] {5, 6, upstream.tokenizer.eosId()})));
          }
        }
      }
      // and v1 published as an adapter before its base, π_0 on the base line, as whole weights
      upstream.publishAdapter("policy", 1, v1, Map.of());
      upstream.publishWeights("base", 0, base.weightsToBytes(), Map.of());
      SamplerConfig config = SamplerConfig.defaults(topics.runId()).withSamplerId("lora")
          .withSamplesPerPrompt(1).withPromptsPerBatch(2).withMaxPromptsPerVersion(0).withMaxLag(0).withSeed(7)
          .withSampling(new SamplingConfig(1.0, 1.0, 0, 4, true)).withWeightsTimeout(WAIT);
      var failure = new AtomicReference<Throwable>();
      try (var service = new SamplerService(config, kafka)) {
        Thread thread = start(service, failure);
        upstream.publishPrompts(0, 4, 0);

        // Then it generates with v1 as soon as the base is there, and the log-probs are the adapted policy's
        List<Generation> first = upstream.awaitGenerations(g -> g.size() >= 4, WAIT);
        assertTrue(first.stream().allMatch(g -> g.getPolicyVersion() == 1), "v1, the adapter, is in use");
        assertLogProbsOf(v1, first);

        // When v2 comes as an adapter only, it is swapped in over the same base
        upstream.publishAdapter("policy", 2, v2, Map.of());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (service.policyVersion() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(2, service.policyVersion(), "v2 loaded");
        upstream.publishPrompts(4, 8, 0);
        List<Generation> all = upstream.awaitGenerations(g -> g.stream().filter(x -> x.getPolicyVersion() == 2).count() >= 2, WAIT);
        assertLogProbsOf(v2, all.stream().filter(g -> g.getPolicyVersion() == 2).toList());
        assertEquals(null, failure.get());
        service.close();
        thread.join(30_000);
      }
    }
  }

  /** Every generation's behaviour log-probs are what {@code policy} gives its response, teacher-forced. */
  private static void assertLogProbsOf(Policy policy, List<Generation> gens) {
    for (Generation g : gens) {
      long[] prompt = g.getPromptTokenIds().stream().mapToLong(Integer::longValue).toArray();
      long[] response = g.getResponseTokenIds().stream().mapToLong(Integer::longValue).toArray();
      float[] expected = policy.tokenLogProbs(List.of(new Example(prompt, response)))[0];
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], g.getLogProbs().get(i), 1e-4, "token " + i + " of " + g.getId());
      }
    }
  }

  @Test
  void theInFlightGateCountsPromptsNotOffsets(KafkaConnection kafka, Topics topics) throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics)) {
      // Given a learner that has consumed nothing and trains U = 3 prompts per update, and 9 prompts
      // written as ingest writes them: a transaction each, with markers and aborted records between
      // (three offsets per prompt)
      Map<String, String> consumedNone = Map.of(ModelLines.BATCHES_CONSUMED, "0", ModelLines.PROMPTS_PER_UPDATE, "3");
      upstream.publishVersion("policy", 0, consumedNone);
      List<String> ids = upstream.publishPromptsInTransactions(0, 9, 0);
      SamplerConfig config = SamplerConfig.defaults(topics.runId()).withSamplerId("gated")
          .withSamplesPerPrompt(1).withPromptsPerBatch(1).withMaxPromptsPerVersion(0).withMaxLag(1).withSeed(7)
          .withSampling(new SamplingConfig(1.0, 1.0, 0, 4, true)).withWeightsTimeout(WAIT);
      var failure = new AtomicReference<Throwable>();

      try (var service = new SamplerService(config, kafka)) {
        // When the sampler runs with max lag 1: at most 1 × U = 3 prompts sampled but not trained
        Thread thread = start(service, failure);

        // Then it samples exactly 3 and holds (counting offsets, it held after 1: 3 offsets a prompt)
        upstream.awaitGenerations(g -> g.size() >= 3, WAIT);
        awaitPaused(service);
        Thread.sleep(2000); // longer than the gate's re-read of the group's counts (0.5 s)
        assertEquals(3, upstream.generations().size(), "exactly maxLag × U prompts in flight");

        // When the learner has consumed those 3, the next 3 go, and so on to the end
        upstream.publishVersion("policy", 1, Map.of(ModelLines.BATCHES_CONSUMED, "3", ModelLines.PROMPTS_PER_UPDATE, "3"));
        upstream.awaitGenerations(g -> g.size() >= 6, WAIT);
        awaitPaused(service);
        Thread.sleep(2000);
        assertEquals(6, upstream.generations().size());
        upstream.publishVersion("policy", 2, Map.of(ModelLines.BATCHES_CONSUMED, "6", ModelLines.PROMPTS_PER_UPDATE, "3"));
        List<Generation> gens = upstream.awaitGenerations(g -> g.size() >= 9, WAIT);
        assertEquals(Set.copyOf(ids), gens.stream().map(Generation::getPromptId).collect(Collectors.toSet()));
        assertEquals(null, failure.get());
        service.close();
        thread.join(30_000);
      }
    }
  }

  @Test
  void deadLetteredPromptsDoNotNarrowTheInFlightGate(KafkaConnection kafka, Topics topics) throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics)) {
      // Given a learner that has consumed nothing and trains U = 3 prompts per update, and a sampler
      // gated at max lag 1 (at most 3 prompts sampled but not trained)
      upstream.publishVersion("policy", 0, Map.of(ModelLines.BATCHES_CONSUMED, "0", ModelLines.PROMPTS_PER_UPDATE, "3"));
      SamplerConfig config = SamplerConfig.defaults(topics.runId()).withSamplerId("gated-dlq")
          .withSamplesPerPrompt(1).withPromptsPerBatch(1).withMaxPromptsPerVersion(0).withMaxLag(1).withSeed(7)
          .withSampling(new SamplingConfig(1.0, 1.0, 0, 4, true)).withWeightsTimeout(WAIT);
      var failure = new AtomicReference<Throwable>();
      try (var service = new SamplerService(config, kafka)) {
        Thread thread = start(service, failure);

        // When a corrupt record and a prompt too long for the context come first
        upstream.publishGarbage();
        upstream.publish(Prompt.newBuilder().setPromptId("too-long").setText("the cat ".repeat(80)).setRound(0)
            .setCreatedAtMs(1).build());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (upstream.deadLetters().size() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertEquals(List.of("prompt-too-long", "undecodable-prompt"), upstream.deadLetters().stream()
            .map(r -> new String(r.headers().lastHeader(DeadLetters.REASON).value())).sorted().toList(),
            "both are dead-lettered with their reason");

        // and then 3 good prompts
        List<String> ids = upstream.publishPrompts(0, 3, 0);

        // Then all 3 are sampled: the dead letters do not count as prompts in flight (they did, and the
        // gate held after 1, for good, since the learner never trains what was never sampled)
        List<Generation> gens = upstream.awaitGenerations(g -> g.size() >= 3, WAIT);
        assertEquals(Set.copyOf(ids), gens.stream().map(Generation::getPromptId).collect(Collectors.toSet()));
        awaitPaused(service);
        assertEquals(null, failure.get());
        service.close();
        thread.join(30_000);
      }
    }
  }

  @Test
  @SuppressWarnings("try") // closes the service early, inside its try, to check the events it leaves
  void pacesPerVersionHotSwapsAndSkipsBadPrompts(KafkaConnection kafka, Topics topics) throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics)) {
      // Given version 0 of the policy, a corrupt record, a prompt too long for the context, and 10 good prompts
      upstream.publishVersion("policy", 0);
      upstream.publishGarbage();
      upstream.publish(Prompt.newBuilder().setPromptId("too-long").setText("the cat ".repeat(80)).setRound(0)
          .setCreatedAtMs(1).build());
      List<String> ids = upstream.publishPrompts(0, 10, 0);
      SamplerConfig config = SamplerConfig.defaults(topics.runId()).withSamplerId("thread-a")
          .withSamplesPerPrompt(2).withPromptsPerBatch(2).withMaxPromptsPerVersion(4).withSeed(7)
          .withSampling(new SamplingConfig(1.0, 0.95, 0, 6, true)).withWeightsTimeout(WAIT);
      var failure = new AtomicReference<Throwable>();

      try (var service = new SamplerService(config, kafka)) {
        // When the sampler runs with a budget of 4 prompts per version
        Thread thread = start(service, failure);

        // Then it samples 4 prompts at v0 and pauses, and stays paused without a new version
        List<Generation> gens = upstream.awaitGenerations(g -> g.size() >= 8, WAIT);
        awaitPaused(service);
        Thread.sleep(1500);
        assertEquals(8, upstream.generations().size(), "nothing more while paused");
        assertEquals(Map.of(0L, 4L), promptsPerVersion(upstream.generations()));

        // When v1 is published, it resumes, samples 4 prompts at v1 (hot swap, no restart) and pauses again
        upstream.publishVersion("policy", 1);
        upstream.awaitGenerations(g -> g.size() >= 16, WAIT);
        awaitPaused(service);
        assertEquals(Map.of(0L, 4L, 1L, 4L), promptsPerVersion(upstream.generations()));

        // When v2 is published, the remaining 2 prompts are sampled at v2
        upstream.publishVersion("policy", 2);
        gens = upstream.awaitGenerations(g -> g.size() >= 20, WAIT);
        Thread.sleep(1000);
        gens = upstream.generations();
        assertEquals(Map.of(0L, 4L, 1L, 4L, 2L, 2L), promptsPerVersion(gens));
        assertEquals(20, gens.size());
        assertEquals(Set.copyOf(ids), gens.stream().map(Generation::getPromptId).collect(Collectors.toSet()));
        assertEquals(1, service.counts().undecodable(), "the corrupt record was counted");
        assertEquals(1, service.counts().tooLong(), "the oversize prompt was skipped");
        assertEquals(2, upstream.deadLetters().size(), "both are on the dead-letter topic");
        assertEquals(2, service.policyVersion());
        assertEquals(null, failure.get());
        service.close();
        thread.join(30_000);
        assertEquals(null, failure.get(), "run() ended cleanly");
      }

      // And the run events tell the story
      List<String> kinds = upstream.events().stream().filter(e -> e.getSource().equals("thread-a"))
          .map(RunEvent::getKind).toList();
      assertTrue(kinds.contains("replica-started"), kinds.toString());
      assertTrue(kinds.contains("prompt-too-long"), kinds.toString());
      assertEquals(3, kinds.stream().filter("version-loaded"::equals).count(), kinds.toString());
      assertTrue(kinds.stream().filter("paused"::equals).count() >= 2, kinds.toString());
      assertTrue(kinds.stream().filter("resumed"::equals).count() >= 2, kinds.toString());
    }
  }

  @Test
  @SuppressWarnings("try") // closes the successor early, inside its try, to join its thread
  void aReplicaRestartedUnderTheSameIdFencesItsZombie(KafkaConnection kafka, Topics topics) throws Exception {
    try (var upstream = new UpstreamStub(kafka, topics)) {
      // Given a replica "z" that is running
      upstream.publishVersion("policy", 0);
      SamplerConfig config = SamplerConfig.defaults(topics.runId()).withSamplerId("z").withSamplesPerPrompt(2)
          .withPromptsPerBatch(2).withMaxPromptsPerVersion(0).withSampling(new SamplingConfig(1.0, 0.95, 0, 4, true))
          .withWeightsTimeout(WAIT);
      var zombieFailure = new AtomicReference<Throwable>();
      var successorFailure = new AtomicReference<Throwable>();
      try (var zombie = new SamplerService(config, kafka)) {
        Thread zombieThread = start(zombie, zombieFailure);
        upstream.publishPrompts(0, 2, 0);
        upstream.awaitGenerations(g -> g.size() >= 4, WAIT);

        // When a new instance starts with the same sampler id (as a restart would) while the old one lives on,
        // and prompts arrive for both
        try (var successor = new SamplerService(config, kafka)) {
          Thread successorThread = start(successor, successorFailure);
          // (it initialises its transactions, fencing the old producer, before it joins the group)
          upstream.awaitSettledMembers(config.groupId(), 2);
          List<String> more = upstream.publishPrompts(10, 22, 0);

          // Then the old instance is fenced as soon as it tries to commit, and stops
          zombieThread.join(WAIT.toMillis());
          assertTrue(!zombieThread.isAlive() && zombieFailure.get() != null, "the zombie stopped with an error");
          assertTrue(zombieFailure.get() instanceof io.alignstream.runtime.TransactionalLoop.FatalException,
              String.valueOf(zombieFailure.get()));

          // And the successor answers every prompt exactly K times
          List<Generation> gens = upstream.awaitGenerations(g -> g.size() >= 28, WAIT);
          Thread.sleep(1000);
          gens = upstream.generations();
          assertEquals(28, gens.size());
          assertEquals(28, gens.stream().map(Generation::getId).distinct().count());
          assertTrue(gens.stream().map(Generation::getPromptId).collect(Collectors.toSet()).containsAll(more));
          assertEquals(null, successorFailure.get());
          successor.close();
          successorThread.join(30_000);
        }
      }
    }
  }
}
