package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner service on a real broker, on its own: batch records that do not decode, or decode but
 * name tokens the policy does not have, go to the run's dead letters, unchanged and with the reason,
 * in the transaction of the update that reads past them; the batches after them are trained.
 */
@ExtendWith(KafkaFixture.class)
class LearnerServiceIT {
  private static final List<String[]> DEMOS = List.of(
      new String[] {"what is one plus one ?", "one plus one is two ."},
      new String[] {"what is two plus two ?", "two plus two is four ."},
      new String[] {"name a fruit .", "an apple ."},
      new String[] {"name a colour .", "red ."});

  @TempDir
  Path dir;

  private static final Recipe RECIPE = Recipe.load(null, List.of("samples.per_prompt=2", "sft.steps=2", "sft.batch=2",
      "reward.members=1", "loop.prompts_per_update=2", "loop.rounds=1", "loop.max_updates=1"));
  private static final byte[] GARBAGE = {0x13, 0x37, (byte) 0xff};

  @Test
  void badBatchesAreDeadLetteredAndTheNextOnesTrained(KafkaConnection kafka, Topics topics) throws Exception {
    Path base = tinyBase();
    produce(kafka, topics, base, true, true);

    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (LearnerService service = LearnerService.create(kafka, config(topics, base, Duration.ZERO))) {
      Thread thread = start(service, failure);
      thread.join(Duration.ofMinutes(3).toMillis());
      assertFalse(thread.isAlive(), "the learner made its one update and stopped");
    }
    assertEquals(null, failure.get());

    assertEquals(List.of(1L, 2L), policyVersions(kafka, topics), "SFT, then one update from the two good batches");
    assertTheTwoDeadLetters(kafka, topics);
  }

  @Test
  void badRecordsAloneAreSetAsideWhenIdleAndNotAgainAfterARestart(KafkaConnection kafka, Topics topics)
      throws Exception {
    Path base = tinyBase();
    produce(kafka, topics, base, true, false);
    var config = config(topics, base, Duration.ofMillis(500));

    // Only bad records after SFT: no update comes, yet they are dead-lettered once the learner is idle
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (LearnerService service = LearnerService.create(kafka, config)) {
      Thread thread = start(service, failure);
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (TopicReader.readCommitted(kafka, topics.deadLetters).size() < 2) {
        assertTrue(System.nanoTime() < deadline && thread.isAlive(), "no dead letters without an update: " + failure);
        Thread.sleep(200);
      }
    }
    assertEquals(null, failure.get());
    assertEquals(List.of(1L), policyVersions(kafka, topics), "no update, no new version");

    // A new learner over the same checkpoints resumes past them (its checkpoint's offset is before them)
    produce(kafka, topics, base, false, true);
    try (LearnerService service = LearnerService.create(kafka, config)) {
      Thread thread = start(service, failure);
      thread.join(Duration.ofMinutes(3).toMillis());
      assertFalse(thread.isAlive(), "the learner made its one update and stopped");
    }
    assertEquals(null, failure.get());
    assertEquals(List.of(1L, 2L), policyVersions(kafka, topics));
    assertTheTwoDeadLetters(kafka, topics);
  }

  private LearnerConfig config(Topics topics, Path base, Duration idleFlush) {
    return new LearnerConfig(topics, dir.resolve("checkpoints"), base, RECIPE, DEMOS.size(), Duration.ofMinutes(1),
        idleFlush, 2);
  }

  /** The demonstrations and the two bad batch records (offsets 0 and 1), and/or two good batches. */
  private static void produce(KafkaConnection kafka, Topics topics, Path base, boolean demosAndBad, boolean good)
      throws Exception {
    try (Tokenizer tok = Tokenizer.load(base);
        var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      if (demosAndBad) {
        for (String[] d : DEMOS) {
          var demo = Demonstration.newBuilder().setId("d-" + d[0]).setPromptId("p-" + d[0]).setPrompt(d[0])
              .setResponse(d[1]).setSource("test").setCreatedAtMs(1).build();
          producer.send(topics.demonstrations.record(demo.getId(), demo));
        }
        producer.send(new ProducerRecord<>(topics.batches.name(), 0, "bad".getBytes(StandardCharsets.UTF_8), GARBAGE));
        // Decodes, but names a token the policy does not have: it would fail inside libtorch.
        TrainingBatch unusable = batch(tok, DEMOS.get(3));
        unusable.getSamples().get(1).setResponseTokenIds(List.of(9999, tok.eosId()));
        unusable.getSamples().get(1).setLogProbs(List.of(-1f, -1f));
        producer.send(topics.batches.record(unusable.getPromptId(), unusable));
      }
      if (good) {
        for (int i = 0; i < 2; i++) {
          TrainingBatch b = batch(tok, DEMOS.get(i));
          producer.send(topics.batches.record(b.getPromptId(), b));
        }
      }
    }
  }

  private static Thread start(LearnerService service, AtomicReference<Throwable> failure) {
    Thread thread = new Thread(() -> {
      try {
        service.run();
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "learner");
    thread.start();
    return thread;
  }

  private static List<Long> policyVersions(KafkaConnection kafka, Topics topics) {
    return TopicReader.readCommitted(kafka, topics.modelVersions).stream().map(ConsumerRecord::value)
        .filter(m -> m.getModelName().equals(ModelLines.POLICY)).map(ModelVersion::getVersion).toList();
  }

  /** Exactly the two bad records, each once, unchanged, with reason and source offset. */
  private static void assertTheTwoDeadLetters(KafkaConnection kafka, Topics topics) {
    var dead = TopicReader.readCommitted(kafka, topics.deadLetters);
    assertEquals(2, dead.size());
    var letter = dead.get(0);
    assertArrayEquals(GARBAGE, letter.value());
    assertEquals(LearnerService.UNDECODABLE_BATCH, header(letter, DeadLetters.REASON));
    assertEquals(topics.batches.name(), header(letter, DeadLetters.SOURCE_TOPIC));
    assertEquals("0", header(letter, DeadLetters.SOURCE_OFFSET));
    assertTrue(header(letter, DeadLetters.MESSAGE).length() > 0);
    var second = dead.get(1);
    assertEquals(LearnerService.UNUSABLE_BATCH, header(second, DeadLetters.REASON));
    assertEquals("1", header(second, DeadLetters.SOURCE_OFFSET));
    assertTrue(header(second, DeadLetters.MESSAGE).contains("token id 9999 outside the vocabulary"),
        header(second, DeadLetters.MESSAGE));
  }

  private Path tinyBase() throws Exception {
    var builder = new WordLevelTokenizerBuilder(100);
    DEMOS.forEach(d -> builder.add(d[0]).add(d[1]));
    Path base = dir.resolve("base");
    try (Tokenizer tok = Tokenizer.load(builder.write(dir.resolve("tokenizer.json")));
        Policy p = Policy.create(new Gpt2Config(tok.vocabSize(), 32, 32, 1, 2, 1e-5, tok.eosId(), tok.eosId()), 3)) {
      p.save(base);
      tok.save(base);
    }
    return base;
  }

  /** A prompt's batch as batching would emit it: two generations of policy v1, scored. */
  private static TrainingBatch batch(Tokenizer tok, String[] demo) {
    String promptId = "p-" + demo[0];
    List<ScoredSample> samples = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      List<Integer> response = ints(tok.responseIds(k == 0 ? demo[1] : "red ."));
      List<Float> logProbs = new ArrayList<>();
      response.forEach(t -> logProbs.add(-1f));
      samples.add(ScoredSample.newBuilder().setId(promptId + "/0/policy/" + k).setKind(SampleKind.GENERATION)
          .setPromptId(promptId).setRound(0).setPrompt(demo[0]).setResponse(k == 0 ? demo[1] : "red .")
          .setPromptTokenIds(ints(tok.encode(demo[0]))).setResponseTokenIds(response).setLogProbs(logProbs)
          .setPolicyName("policy").setPolicyVersion(1).setRewards(List.of(k == 0 ? 1f : -1f))
          .setRewardMean(k == 0 ? 1f : -1f).setRewardStd(0f).setRewardModelVersion(1).setCreatedAtMs(1)
          .setScoredAtMs(2).build());
    }
    return TrainingBatch.newBuilder().setId(promptId + "/0/policy").setPromptId(promptId).setRound(0)
        .setSamples(samples).setComplete(true).setCreatedAtMs(3).build();
  }

  private static List<Integer> ints(long[] ids) {
    List<Integer> out = new ArrayList<>(ids.length);
    for (long id : ids) {
      out.add((int) id);
    }
    return out;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
