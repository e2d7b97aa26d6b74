package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.llama.LlamaConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A frozen-backbone ensemble sent as its heads alone and rebuilt over π_0's backbone scores as the whole
 * ensemble does, and a payload that does not fit is refused with what is wrong.
 */
class RewardHeadsTest {
  private static final double FLOAT_PRECISION = 1e-5;

  @Test
  void headsOverTheBaseBackboneScoreAsTheWholeEnsemble() {
    assertSameScores(RewardModelTest.CONFIG);
    assertSameScores(LlamaConfig.tiny(LlamaConfig.Family.QWEN2, 20, 1));
  }

  private static void assertSameScores(ModelConfig config) {
    List<Example> xs = RewardModelTest.population(3, 40, 9); // more than one batch of 32
    try (Policy base = Policy.create(config, 3);
        RewardEnsemble whole = RewardEnsemble.fromPolicy(base, 3, 11, 0.5);
        RewardModel backbone = RewardModel.backboneOf(config, base.weightsToBytes(), 0)) {
      RewardHeads sent = RewardHeads.of(whole);
      assertEquals(new RewardHeads.Config(3, config.width()), sent.config());
      RewardHeads received = RewardHeads.fromBytes(sent.toBytes(), RewardHeads.Config.fromJson(sent.config().toJson()));
      RewardEnsemble.Scores a = whole.score(xs);
      RewardEnsemble.Scores b;
      try (SharedBackboneEnsemble shared = new SharedBackboneEnsemble(backbone, received)) {
        assertEquals(3, shared.size());
        b = shared.score(xs);
      }
      for (int k = 0; k < 3; k++) {
        assertTrue(Arrays.stream(a.perMember()[k]).map(Math::abs).max().orElseThrow() > 0.01, "heads that say something");
        for (int i = 0; i < xs.size(); i++) {
          assertEquals(a.perMember()[k][i], b.perMember()[k][i], FLOAT_PRECISION * (1 + Math.abs(a.perMember()[k][i])),
              config.getClass().getSimpleName() + " member " + k + " example " + i);
        }
      }
      assertArrayEquals(a.mean(), b.mean(), 1e-4);
      assertArrayEquals(a.std(), b.std(), 1e-4);
      assertArrayEquals(sent.toBytes(), received.toBytes(), "the heads round-trip bit for bit");
      assertTrue(backbone.features(xs.subList(0, 1))[0].length == config.width());
    }
  }

  @Test
  void aPayloadIsKTimesWidthPlusOneFloats() {
    try (Policy base = Policy.create(RewardModelTest.CONFIG, 3);
        RewardEnsemble whole = RewardEnsemble.fromPolicy(base, 3, 11, 0.5)) {
      byte[] heads = RewardHeads.of(whole).toBytes();
      int width = RewardModelTest.CONFIG.width();
      assertTrue(heads.length >= 3 * (width + 1) * 4 && heads.length < 3 * (width + 1) * 4 + 256, heads.length + " bytes");
      assertTrue(heads.length * 20 < whole.weightsToBytes().length, "a small fraction of the whole ensemble");
    }
  }

  @Test
  void payloadsAndConfigsThatDoNotFitAreRefused() {
    try (Policy base = Policy.create(RewardModelTest.CONFIG, 3);
        RewardEnsemble whole = RewardEnsemble.fromPolicy(base, 2, 11, 0.5);
        RewardModel backbone = RewardModel.backboneOf(RewardModelTest.CONFIG, base.weightsToBytes(), 0)) {
      byte[] payload = RewardHeads.of(whole).toBytes();
      int width = RewardModelTest.CONFIG.width();
      var members = assertThrows(IllegalArgumentException.class,
          () -> RewardHeads.fromBytes(payload, new RewardHeads.Config(3, width)));
      assertTrue(members.getMessage().contains("their config says"), members.getMessage());
      var truncated = assertThrows(IllegalArgumentException.class,
          () -> RewardHeads.fromBytes(Arrays.copyOf(payload, payload.length - 9), new RewardHeads.Config(2, width)));
      assertTrue(truncated.getMessage() != null, "a message");
      var whole_ = assertThrows(IllegalArgumentException.class,
          () -> RewardHeads.fromBytes(whole.members().get(0).weightsToBytes(), new RewardHeads.Config(2, width)));
      assertTrue(whole_.getMessage().contains("reward heads hold"), whole_.getMessage());
      RewardHeads wide = RewardHeads.fromBytes(payload, new RewardHeads.Config(2, width));
      try (Policy other = Policy.create(new io.alignstream.model.gpt2.Gpt2Config(20, 16, 64, 1, 4, 1e-5, 0, 1), 1);
          RewardModel otherBackbone = RewardModel.fromPolicy(other, 0, 0)) {
        var narrow = assertThrows(IllegalArgumentException.class, () -> new SharedBackboneEnsemble(otherBackbone, wide));
        assertTrue(narrow.getMessage().contains("width 32 for a backbone of width 64"), narrow.getMessage());
      }
      var config = assertThrows(IllegalArgumentException.class, () -> RewardHeads.Config.fromJson("{\"members\":2}"));
      assertTrue(config.getMessage().contains("integer members and width"), config.getMessage());
      assertThrows(IllegalArgumentException.class, () -> RewardHeads.Config.fromJson("{\"members\":0,\"width\":3}"));
      assertThrows(IllegalArgumentException.class, () -> RewardHeads.Config.fromJson("not json"));
      assertEquals(2, new SharedBackboneEnsemble(backbone, wide).size());
    }
  }
}
