package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.runtime.LiveModel;
import io.alignstream.schemas.ModelLines;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rewarder's live model: the runtime's {@link LiveModel} over whole reward ensembles. */
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

  private static double[] score(LiveModel<RewardEnsemble> live) {
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
}
