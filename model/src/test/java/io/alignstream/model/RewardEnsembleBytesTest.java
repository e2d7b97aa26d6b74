package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An ensemble travels as one payload (through Kafka) and arrives scoring exactly the same. */
class RewardEnsembleBytesTest {
  private static final Gpt2Config CONFIG = RewardModelTest.CONFIG;

  @Test
  void payloadRoundTripsAndScoresIdentically() {
    List<Example> xs = RewardModelTest.population(3, 6, 9);
    try (Policy policy = Policy.create(CONFIG, 3);
        RewardEnsemble sent = RewardEnsemble.fromPolicy(policy, 3, 11, 0.1)) {
      byte[] payload = sent.weightsToBytes();
      try (RewardEnsemble received = RewardEnsemble.fromBytes(CONFIG, payload, 5, 0)) {
        assertEquals(3, received.size());
        assertEquals(5, received.members().get(0).version());
        var a = sent.score(xs);
        var b = received.score(xs);
        for (int k = 0; k < 3; k++) {
          assertArrayEquals(a.perMember()[k], b.perMember()[k], 0.0, "member " + k);
        }
      }
      try (RewardEnsemble other = RewardEnsemble.fromPolicy(policy, 3, 99, 0.1)) {
        other.loadWeights(payload, 6);
        assertArrayEquals(sent.score(xs).mean(), other.score(xs).mean(), 0.0, "hot-swapped in place");
      }
    }
  }

  @Test
  void malformedPayloadsAreRefusedWithoutTouchingTheModel() {
    try (Policy policy = Policy.create(CONFIG, 3); RewardEnsemble ens = RewardEnsemble.fromPolicy(policy, 2, 1, 0.1)) {
      byte[] payload = ens.weightsToBytes();
      double[] before = ens.score(RewardModelTest.population(3, 2, 1)).mean();
      assertThrows(IllegalArgumentException.class, () -> ens.loadWeights(Arrays.copyOf(payload, payload.length - 3), 2));
      assertThrows(IllegalArgumentException.class, () -> ens.loadWeights(new byte[] {0, 0, 0, 9}, 2));
      try (RewardEnsemble three = RewardEnsemble.fromPolicy(policy, 3, 1, 0.1)) {
        assertThrows(IllegalArgumentException.class, () -> ens.loadWeights(three.weightsToBytes(), 2),
            "member count must match");
      }
      // A well-framed payload whose second member does not fit this shape changes no member.
      Gpt2Config wider = new Gpt2Config(CONFIG.vocabSize(), CONFIG.contextLength(), 2 * CONFIG.width(), CONFIG.layers(),
          CONFIG.heads(), 1e-5, 0, 1);
      try (Policy w = Policy.create(wider, 4); RewardEnsemble mixed = RewardEnsemble.fromPolicy(w, 1, 1, 0.1)) {
        byte[] good = ens.members().get(0).weightsToBytes();
        byte[] bad = mixed.members().get(0).weightsToBytes();
        byte[] framed = java.nio.ByteBuffer.allocate(12 + good.length + bad.length).putInt(2)
            .putInt(good.length).put(good).putInt(bad.length).put(bad).array();
        assertThrows(RuntimeException.class, () -> ens.loadWeights(framed, 3));
        assertEquals(0, ens.members().get(0).version(), "member 0 untouched");
      }
      assertArrayEquals(before, ens.score(RewardModelTest.population(3, 2, 1)).mean(), 0.0);
    }
  }
}
