package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardHeads;
import io.alignstream.model.RewardScorer;
import io.alignstream.runtime.LiveModel;
import io.alignstream.schemas.ModelLines;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rewarder's live model: the runtime's {@link LiveModel} over whole reward ensembles, or heads over π_0. */
class LiveRewardModelTest {
  private static TinyRewardLine line;
  private static Example example;

  @BeforeAll
  static void setUp() throws IOException {
    line = new TinyRewardLine();
    example = new Example(line.tokenizer.encode("the cat"), line.tokenizer.responseIds("sat on the mat"));
  }

  @AfterAll
  static void tearDown() throws IOException {
    line.close();
  }

  private static double[] score(LiveModel<RewardScorer> live) {
    return live.withModel(m -> m.model().score(List.of(example)).mean());
  }

  @Test
  void loadsSwapsAndRefusesWhatTheModelCannotTake() throws Exception {
    byte[] v1 = line.payload(1);
    byte[] v2 = line.payload(2);
    try (var live = new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE)) {
      assertFalse(live.ready());
      assertThrows(IllegalStateException.class, () -> score(live));

      live.onWeights(line.weights(1, v1));
      assertEquals(1, live.version());
      double r1 = score(live)[0];
      assertEquals(1, (long) live.withModel(LiveModel.Version::version));

      live.onWeights(line.weights(2, v2));
      assertEquals(2, live.version());
      double r2 = score(live)[0];
      assertNotEquals(r1, r2, 1e-6);

      // Refused: truncated payload, another architecture, another line. Scoring stays at v2.
      assertThrows(IllegalArgumentException.class, () -> live.onWeights(line.weights(3, TinyRewardLine.truncated(v1))));
      var c = line.config;
      String otherConfig = line.configJson(new Gpt2Config(c.vocabSize(), c.contextLength(), c.width(), 2, c.heads(),
          c.layerNormEps(), c.bosTokenId(), c.eosTokenId()));
      var e = assertThrows(IllegalArgumentException.class, () -> live.onWeights(
          line.weights("reward", 4, v1, otherConfig)));
      assertTrue(e.getMessage().contains("restart"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> live.onWeights(line.weights("policy", 5, v1, line.configJson)));
      assertEquals(2, live.version());
      assertEquals(r2, score(live)[0], 1e-9);
    }
  }

  @Test
  void aFirstVersionTheModelRefusesLeavesItUnready() {
    try (var live = new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE)) {
      assertThrows(IllegalArgumentException.class, () -> live.onWeights(line.weights(1, new byte[] {0, 0, 0, 1})));
      assertFalse(live.ready());
    }
  }

  private static LiveModel<RewardScorer> withHeads() {
    return new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE, SharedBackbone.serving());
  }

  @Test
  void headsOverTheBaseScoreAsTheWholeEnsembleAtEveryVersion() throws Exception {
    List<Example> xs = List.of(example, new Example(line.tokenizer.encode("a dog"), line.tokenizer.responseIds("ran to the park")),
        new Example(line.tokenizer.encode("what did the cat see ?"), line.tokenizer.responseIds("a bird")));
    try (Policy pi0 = Policy.create(line.config, 7); var whole = new LiveModel<>(ModelLines.REWARD, "rewarder",
        RewarderService.ENSEMBLE); var heads = withHeads()) {
      for (long v = 1; v <= 2; v++) {
        try (RewardEnsemble ensemble = RewardEnsemble.fromPolicy(pi0, TinyRewardLine.MEMBERS, 10 * v, 0.5)) {
          RewardHeads h = RewardHeads.of(ensemble);
          heads.onWeights(line.heads(v, h.toBytes(), h.config().toJson()));
          if (v == 1) {
            assertFalse(heads.ready(), "heads before their base wait for it");
            heads.onWeights(line.base(pi0));
          }
          whole.onWeights(line.weights(v, ensemble.weightsToBytes()));
        }
        assertEquals(v, heads.version());
        RewardEnsemble.Scores a = whole.withModel(m -> m.model().score(xs));
        RewardEnsemble.Scores b = heads.withModel(m -> m.model().score(xs));
        for (int k = 0; k < TinyRewardLine.MEMBERS; k++) {
          for (int i = 0; i < xs.size(); i++) {
            assertEquals(a.perMember()[k][i], b.perMember()[k][i], 1e-5 * (1 + Math.abs(a.perMember()[k][i])),
                "v" + v + " member " + k + " example " + i);
          }
        }
      }
      // The trained-backbone recipe's whole ensembles still load on the same line.
      heads.onWeights(line.weights(3, line.payload(3)));
      assertEquals(3, heads.version());
    }
  }

  @Test
  void headsThatDoNotFitTheBaseOrTheirConfigAreRefused() throws Exception {
    try (Policy pi0 = Policy.create(line.config, 7); var heads = withHeads();
        RewardEnsemble ensemble = RewardEnsemble.fromPolicy(pi0, TinyRewardLine.MEMBERS, 1, 0.5)) {
      heads.onWeights(line.base(pi0));
      RewardHeads h = RewardHeads.of(ensemble);
      heads.onWeights(line.heads(1, h.toBytes(), h.config().toJson()));
      double r1 = score(heads)[0];
      int width = line.config.width();
      var wider = assertThrows(IllegalArgumentException.class, () -> heads.onWeights(line.heads(2, h.toBytes(),
          new RewardHeads.Config(TinyRewardLine.MEMBERS, width + 1).toJson())));
      assertTrue(wider.getMessage().contains("for a backbone of width " + width), wider.getMessage());
      var more = assertThrows(IllegalArgumentException.class, () -> heads.onWeights(line.heads(3, h.toBytes(),
          new RewardHeads.Config(TinyRewardLine.MEMBERS + 1, width).toJson())));
      assertTrue(more.getMessage().contains("their config says"), more.getMessage());
      assertThrows(IllegalArgumentException.class, () -> heads.onWeights(line.heads(4, TinyRewardLine.truncated(
          h.toBytes()), h.config().toJson())));
      var config = assertThrows(IllegalArgumentException.class, () -> heads.onWeights(line.heads(5, h.toBytes(), "{}")));
      assertTrue(config.getMessage().contains("integer members and width"), config.getMessage());
      assertEquals(1, heads.version());
      assertEquals(r1, score(heads)[0], 0.0, "the version in use stays");
    }
    try (var wholeOnly = new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE)) {
      var refused = assertThrows(IllegalArgumentException.class, () -> wholeOnly.onWeights(line.heads(1, new byte[8], "{}")));
      assertTrue(refused.getMessage().contains("reward-heads over a base"), refused.getMessage());
    }
  }
}
