package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every objective on a tiny case worked out by hand. */
class ObjectivesTest {
  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager("PyTorch");
  }

  @AfterEach
  void close() {
    m.close();
  }

  private NDArray vec(double... v) {
    return m.create(v);
  }

  private static double value(NDArray a) {
    return a.toDoubleArray()[0];
  }

  private static double softplus(double x) {
    return Math.log1p(Math.exp(x));
  }

  @Test
  void sftNllAveragesOverResponseTokensOnly() {
    NDArray lp = m.create(new double[] {-1, -2, -3, -0.5, -1.5, -9}, new Shape(2, 3));
    NDArray mask = m.create(new double[] {0, 1, 1, 1, 1, 0}, new Shape(2, 3));
    assertEquals((2 + 3 + 0.5 + 1.5) / 4, value(Objectives.sftNll(lp, mask)), 1e-12);
    // weights 1 and 3: (1*5 + 3*2) / (1*2 + 3*2)
    assertEquals(11.0 / 8, value(Objectives.weightedSftNll(lp, mask, vec(1, 3))), 1e-12);
    assertArrayEquals(new double[] {-5, -2}, Objectives.sequenceLogProbs(lp, mask).toDoubleArray(), 1e-12);
  }

  @Test
  void discriminatorLossIsSoftplusFormAndStable() {
    double expected = (softplus(-0) + softplus(-2)) / 2 + softplus(-1);
    assertEquals(expected, value(Objectives.discriminatorLoss(vec(0, 2), vec(-1))), 1e-12);
    // Confident and right: ~0; confident and wrong: ~|f|, never inf or NaN.
    assertEquals(0, value(Objectives.discriminatorLoss(vec(1000), vec(-1000))), 1e-12);
    assertEquals(2000, value(Objectives.discriminatorLoss(vec(-1000), vec(1000))), 1e-9);
  }

  @Test
  void preferenceLossesMatchTheirFormulas() {
    NDArray h = Objectives.preferenceMargin(vec(-1, -4), vec(-2, -3), vec(-1.2, -3.5), vec(-2.7, -3.5));
    // h = (-1 + 1.2) - (-2 + 2.7) = -0.5 ; (-4 + 3.5) - (-3 + 3.5) = -1
    assertArrayEquals(new double[] {-0.5, -1}, h.toDoubleArray(), 1e-12);
    assertEquals((softplus(0.05) + softplus(0.1)) / 2,
        value(Objectives.preferenceLoss(Objectives.PreferenceLoss.DPO, h, 0.1)), 1e-12);
    // IPO, beta 0.5: target 1/(2 beta) = 1; h = 1, 3 -> (0 + 4) / 2
    assertEquals(2, value(Objectives.preferenceLoss(Objectives.PreferenceLoss.IPO, vec(1, 3), 0.5)), 1e-12);
    // SLiC, beta 0.1: max(0, 1 - 0.5) and max(0, 1 - 2)
    assertEquals(0.25, value(Objectives.preferenceLoss(Objectives.PreferenceLoss.SLIC, vec(5, 20), 0.1)), 1e-12);
    assertThrows(IllegalArgumentException.class,
        () -> Objectives.preferenceLoss(Objectives.PreferenceLoss.DPO, h, 0));
  }

  @Test
  void truncatedImportanceWeights() {
    double[] w = Objectives.truncatedImportanceWeights(
        new double[] {0, -1, Math.log(1.5), 10, 800}, new double[] {0, 0, 0, 0, 0}, 2);
    assertArrayEquals(new double[] {1, Math.exp(-1), 1.5, 2, 2}, w, 1e-12);
  }

  @Test
  void bestOfNKeepsTopRewardedResponsesPerPrompt() {
    long[] p1 = {1};
    long[] p2 = {2};
    List<Example> kept = Objectives.bestOfN(List.of(
        new Objectives.CandidateGroup(p1, List.of(new long[] {10}, new long[] {11}, new long[] {12}),
            new double[] {1, 3, 2}),
        new Objectives.CandidateGroup(p2, List.of(new long[] {20}, new long[] {21}), new double[] {5, 5})), 2);
    assertEquals(4, kept.size());
    assertEquals(11, kept.get(0).response()[0]);
    assertEquals(12, kept.get(1).response()[0]);
    assertEquals(20, kept.get(2).response()[0]);
    assertEquals(21, kept.get(3).response()[0]);
  }

  @Test
  void bestOfNIndicesRankHighestFirstWithTiesToTheEarlierAndNanHighest() {
    List<long[]> three = List.of(new long[] {10}, new long[] {11}, new long[] {12});
    int[][] chosen = Objectives.bestOfNIndices(List.of(
        new Objectives.CandidateGroup(new long[] {1}, three, new double[] {1, 3, 2}),
        new Objectives.CandidateGroup(new long[] {2}, three, new double[] {5, 7, 7}),
        new Objectives.CandidateGroup(new long[] {3}, three, new double[] {0.0, -0.0, Double.NaN})), 2);
    assertArrayEquals(new int[] {1, 2}, chosen[0]);
    assertArrayEquals(new int[] {1, 2}, chosen[1]);
    assertArrayEquals(new int[] {2, 0}, chosen[2], "as Stream.max with Comparator.comparingDouble picks");
    assertThrows(IllegalArgumentException.class, () -> Objectives.bestOfNIndices(List.of(), 0));
  }

  @Test
  void configsRejectNonsenseWithAClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DiscriminatorConfig(DiscriminatorConfig.Source.DEMONSTRATIONS, DiscriminatorConfig.Source.DEMONSTRATIONS));
    assertTrue(e.getMessage().contains("must differ"));
    assertThrows(IllegalArgumentException.class, () -> new PreferenceConfig(Objectives.PreferenceLoss.IPO, -1));
    assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 0, 0, 5, true));
    assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(100, 64, 30, 2, 4, 1e-5, 0, 0));
    assertEquals(DiscriminatorConfig.Source.SFT_SAMPLES, DiscriminatorConfig.initSft().positive());
  }
}
