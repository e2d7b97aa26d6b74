package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.Example;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.runtime.LiveModel;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The micro-batch transform without a broker: scores, stamps, and skips what it cannot score. */
class BatchScorerTest {
  private static final Topics TOPICS = Topics.forRun("unit");
  private static TinyRewardLine line;

  @BeforeAll
  static void setUp() throws IOException {
    line = new TinyRewardLine();
  }

  @AfterAll
  static void tearDown() throws IOException {
    line.close();
  }

  private static ConsumerRecord<byte[], byte[]> record(ProducerRecord<byte[], byte[]> r, long offset) {
    return new ConsumerRecord<>(r.topic(), 0, offset, r.key(), r.value());
  }

  @Test
  void scoresValidRecordsAtOneVersionAndSkipsTheRest() {
    int eos = line.tokenizer.eosId();
    var demo = ScoringInputTest.demonstration("d1", "the cat sat", "on the mat");
    var tooLong = ScoringInputTest.demonstration("d2", "the dog ".repeat(20), "ran");
    var gen = ScoringInputTest.generation("g1", List.of(5, 6), List.of(7, 8, eos), List.of(-0.1f, -0.2f, -0.3f), true);
    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
    batch.add(record(TOPICS.demonstrations.record(demo.getId(), demo), 0));
    batch.add(new ConsumerRecord<>(TOPICS.generations.name(), 0, 1, "junk".getBytes(StandardCharsets.UTF_8),
        new byte[] {1, 2, 3, 4, 5}));
    batch.add(record(TOPICS.demonstrations.record(tooLong.getId(), tooLong), 2));
    batch.add(record(TOPICS.generations.record(gen.getPromptId(), gen), 3));
    batch.add(new ConsumerRecord<>(TOPICS.generations.name(), 0, 4, null, null));

    byte[] payload = line.payload(1);
    try (RewardEnsemble ensemble = line.ensemble(payload, 5)) {
      var model = new LiveModel.Version<io.alignstream.model.RewardScorer>(ensemble, line.tokenizer, line.config, 5, java.util.Map.of());
      BatchScorer.Result r = new BatchScorer(TOPICS).score(batch, model);

      assertEquals(List.of("d1", "g1"), r.scored().stream().map(ScoredSample::getId).toList(), "input order kept");
      assertEquals(List.of(1L, 2L, 4L), r.skipped().stream().map(BatchScorer.Skipped::offset).toList());
      assertEquals(List.of(BatchScorer.Reason.UNDECODABLE, BatchScorer.Reason.UNFIT, BatchScorer.Reason.UNDECODABLE),
          r.skipped().stream().map(BatchScorer.Skipped::reason).toList());
      assertEquals(5, r.version());
      // Nothing is lost: each skipped record is a dead letter, bytes unchanged, with the reason
      assertEquals(List.of("undecodable-sample", "unscorable-sample", "undecodable-sample"), r.deadLetters().stream()
          .map(d -> new String(d.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8)).toList());
      assertEquals(List.of("1", "2", "4"), r.deadLetters().stream()
          .map(d -> new String(d.headers().lastHeader(DeadLetters.SOURCE_OFFSET).value(), StandardCharsets.UTF_8)).toList());
      assertArrayEquals(batch.get(2).value(), r.deadLetters().get(1).value());
      assertTrue(r.deadLetters().stream().allMatch(d -> d.topic().equals(TOPICS.deadLetters.name())));
      assertEquals(5, r.toSend().size(), "2 scored samples and 3 dead letters in the batch's transaction");

      RewardEnsemble.Scores expected = ensemble.score(List.of(
          new Example(line.tokenizer.encode("the cat sat"), line.tokenizer.responseIds("on the mat")),
          new Example(new long[] {5, 6}, new long[] {7, 8, eos})));
      for (int i = 0; i < 2; i++) {
        ScoredSample s = r.scored().get(i);
        assertEquals(5, s.getRewardModelVersion());
        assertEquals(TinyRewardLine.MEMBERS, s.getRewards().size());
        for (int k = 0; k < TinyRewardLine.MEMBERS; k++) {
          assertEquals(expected.perMember()[k][i], s.getRewards().get(k), 1e-5);
        }
        assertEquals(expected.mean()[i], s.getRewardMean(), 1e-5);
        assertEquals(expected.std()[i], s.getRewardStd(), 1e-5);
        ProducerRecord<byte[], byte[]> out = r.records().get(i);
        assertEquals(TOPICS.scored.name(), out.topic());
        assertArrayEquals(s.getPromptId().getBytes(StandardCharsets.UTF_8), out.key(), "keyed by promptId");
      }
      assertTrue(r.scored().get(0).getRewardStd() > 0, "members with different heads disagree");
    }
  }

  @Test
  void aBatchOfOnlyBadRecordsProducesOnlyDeadLetters() {
    List<ConsumerRecord<byte[], byte[]>> batch = List.of(
        new ConsumerRecord<>(TOPICS.demonstrations.name(), 2, 9, null, new byte[] {(byte) 0xC3, 1, 0}));
    byte[] payload = line.payload(1);
    try (RewardEnsemble ensemble = line.ensemble(payload, 1)) {
      BatchScorer.Result r = new BatchScorer(TOPICS).score(batch,
          new LiveModel.Version<>(ensemble, line.tokenizer, line.config, 1, java.util.Map.of()));
      assertEquals(List.of(), r.records());
      assertEquals(List.of(TOPICS.deadLetters.name()), r.toSend().stream().map(ProducerRecord::topic).toList());
      assertEquals(1, r.skipped().size());
      assertEquals(9, r.skipped().get(0).offset());
    }
  }
}
