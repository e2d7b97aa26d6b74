package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sampler's transform on a tiny random policy, no broker: shapes, version stamping, redo determinism, bad input. */
class BatchSamplerTest {
  private static final int K = 3;
  private static final long VERSION = 3;
  private static Tokenizer tokenizer;
  private static Policy policy;
  private final SamplerConfig config = SamplerConfig.defaults("unit").withSamplerId("u").withSamplesPerPrompt(K)
      .withSeed(9).withSampling(new SamplingConfig(1.0, 0.95, 0, 6, true));
  private final Topics topics = config.topics();
  private final BatchSampler sampler = new BatchSampler(config);
  private long offset;

  @BeforeAll
  static void tinyModel(@TempDir Path dir) throws Exception {
    tokenizer = Tokenizer.load(new WordLevelTokenizerBuilder(64).add(UpstreamStub.CORPUS).write(dir.resolve("tokenizer.json")));
    Gpt2Config shape = Gpt2Config.tiny(tokenizer.vocabSize(), tokenizer.eosId());
    try (Policy init = Policy.create(shape, 1)) {
      policy = Policy.fromBytes(shape, init.weightsToBytes(), VERSION);
    }
  }

  @AfterAll
  static void free() {
    policy.close();
    tokenizer.close();
  }

  private ConsumerRecord<byte[], byte[]> record(Prompt p) {
    ProducerRecord<byte[], byte[]> r = topics.prompts.record(p.getPromptId(), p);
    return new ConsumerRecord<>(r.topic(), 0, offset++, r.key(), r.value());
  }

  private static Prompt prompt(String id, String text, int round) {
    return Prompt.newBuilder().setPromptId(id).setText(text).setRound(round).setCreatedAtMs(1).build();
  }

  private List<Generation> decode(BatchSampler.Result result) {
    List<Generation> out = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : result.records()) {
      out.add(topics.generations.valueSerde().deserializer().deserialize(r.topic(), r.value()));
    }
    return out;
  }

  private List<ConsumerRecord<byte[], byte[]>> twoPrompts() {
    return List.of(record(prompt("a", "the cat sat", 0)), record(prompt("b", "what did the dog see ?", 2)));
  }

  @Test
  void answersEachPromptKTimesInOneCallStampedWithTheVersion() {
    BatchSampler.Result result = sampler.sample(twoPrompts(), policy, tokenizer);

    List<Generation> gens = decode(result);
    assertEquals(2 * K, gens.size());
    assertEquals(VERSION, result.outcome().version());
    assertEquals(2, result.outcome().prompts());
    for (int i = 0; i < gens.size(); i++) {
      Generation g = gens.get(i);
      String promptId = i < K ? "a" : "b";
      assertEquals(promptId, g.getPromptId());
      assertEquals(i % K, g.getSampleIndex());
      assertEquals(promptId + "/" + g.getRound() + "/policy/" + (i % K), g.getId());
      assertEquals(VERSION, g.getPolicyVersion());
      assertEquals("u", g.getSamplerId());
      assertEquals(g.getResponseTokenIds().size(), g.getLogProbs().size());
      assertTrue(g.getResponseTokenIds().size() >= 1 && g.getResponseTokenIds().size() <= 6);
      assertTrue(g.getLogProbs().stream().allMatch(lp -> lp <= 0 && Float.isFinite(lp)));
      long[] expected = tokenizer.encode(g.getPrompt());
      assertEquals(expected.length, g.getPromptTokenIds().size());
      assertEquals(0.95f, g.getTopP());
      assertEquals(promptId, new String(result.records().get(i).key()), "keyed by prompt id");
    }
    assertEquals(2, gens.get(K).getRound());
  }

  @Test
  void withTheGreedyAnswerIncludedTheFirstOfKIsGreedyAndTheRestAreTheSamplesAsBefore() {
    List<Generation> plain = decode(sampler.sample(twoPrompts(), policy, tokenizer));
    List<Generation> mixed = decode(new BatchSampler(config.withIncludeGreedy(true)).sample(twoPrompts(), policy, tokenizer));
    assertEquals(plain.size(), mixed.size());
    for (int i = 0; i < mixed.size(); i++) {
      Generation g = mixed.get(i);
      if (i % K == 0) {
        long[] ids = tokenizer.encode(g.getPrompt());
        var greedy = policy.generate(List.of(ids), new SamplingConfig(0, 1, 0, 6, true), 0).get(0);
        List<Integer> expected = new ArrayList<>();
        for (long id : greedy.responseIds()) {
          expected.add((int) id);
        }
        assertEquals(expected, g.getResponseTokenIds(), "sample 0 is the greedy answer");
        assertEquals(0f, g.getTemperature());
      } else {
        assertEquals(plain.get(i).getResponseTokenIds(), g.getResponseTokenIds(), "sample " + i % K + " as before");
        assertEquals(1f, g.getTemperature());
      }
    }
  }

  @Test
  void aRedoOfTheSameBatchSamplesTheSame() {
    List<Generation> first = decode(sampler.sample(twoPrompts(), policy, tokenizer));
    List<Generation> redo = decode(sampler.sample(twoPrompts(), policy, tokenizer));
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).getResponseTokenIds(), redo.get(i).getResponseTokenIds());
      assertEquals(first.get(i).getLogProbs(), redo.get(i).getLogProbs());
    }
    // And another seed samples differently (so the check above means something)
    var other = new BatchSampler(config.withSeed(10));
    List<Generation> different = decode(other.sample(twoPrompts(), policy, tokenizer));
    assertNotEquals(first.stream().map(Generation::getResponseTokenIds).toList(),
        different.stream().map(Generation::getResponseTokenIds).toList());
  }

  @Test
  void corruptAndOversizePromptsAreDeadLetteredWithTheirReasonNotThrown() {
    var junk = new ConsumerRecord<>(topics.prompts.name(), 1, 41L, "k".getBytes(), new byte[] {9, 9, 9});
    var empty = new ConsumerRecord<byte[], byte[]>(topics.prompts.name(), 1, 42L, "k".getBytes(), null);
    var huge = record(prompt("h", "the cat ".repeat(80), 0));
    var fine = record(prompt("f", "the bird", 0));

    BatchSampler.Result result = sampler.sample(List.of(junk, empty, huge, fine), policy, tokenizer);

    assertEquals(List.of(topics.prompts.name() + "-1@41", topics.prompts.name() + "-1@42"), result.outcome().undecodable());
    assertEquals(1, result.outcome().tooLong().size());
    assertTrue(result.outcome().tooLong().get(0).startsWith("h/0"));
    List<ProducerRecord<byte[], byte[]>> generations = result.records().stream()
        .filter(r -> r.topic().equals(topics.generations.name())).toList();
    assertEquals(K, generations.size(), "only the good prompt is answered");

    // Nothing is lost: the three others are dead letters, bytes unchanged, with why and where from
    List<ProducerRecord<byte[], byte[]>> dead = result.records().stream()
        .filter(r -> r.topic().equals(topics.deadLetters.name())).toList();
    assertEquals(3, dead.size());
    assertEquals(K + 3, result.records().size());
    assertEquals(List.of(BatchSampler.UNDECODABLE, BatchSampler.UNDECODABLE, BatchSampler.TOO_LONG),
        dead.stream().map(r -> header(r, DeadLetters.REASON)).toList());
    assertEquals(List.of("41", "42", Long.toString(huge.offset())),
        dead.stream().map(r -> header(r, DeadLetters.SOURCE_OFFSET)).toList());
    assertArrayEquals(junk.value(), dead.get(0).value());
    assertArrayEquals(huge.value(), dead.get(2).value());
    assertTrue(header(dead.get(2), DeadLetters.MESSAGE).contains("context"), header(dead.get(2), DeadLetters.MESSAGE));
    // and the loop is told, per partition, how many records were set aside
    assertEquals(Map.of(new TopicPartition(topics.prompts.name(), 1), 2L, new TopicPartition(topics.prompts.name(), 0), 1L),
        result.outcome().setAside());
  }

  private static String header(ProducerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aBatchWithNothingUsableProducesNothing() {
    var junk = new ConsumerRecord<>(topics.prompts.name(), 0, 7L, "k".getBytes(), new byte[] {1});
    BatchSampler.Result result = sampler.sample(List.of(junk), policy, tokenizer);
    assertEquals(List.of(topics.deadLetters.name()), result.records().stream().map(ProducerRecord::topic).toList(),
        "no generations, one dead letter");
    assertEquals(0, result.outcome().prompts());
  }
}
