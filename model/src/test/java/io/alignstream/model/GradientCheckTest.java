package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Autograd gradients of the real objectives through the whole float64 model agree with central
 * finite differences, entry by entry, in every kind of parameter.
 */
class GradientCheckTest {
  static final Gpt2Config CONFIG = new Gpt2Config(11, 8, 8, 2, 2, 1e-5, 0, 1);
  static final List<Example> BATCH = List.of(
      new Example(new long[] {2, 3}, new long[] {4, 5, 1}),
      new Example(new long[] {6, 7, 8, 9}, new long[] {10, 1}));
  static final String[] PARAMS = {"wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight",
      "h.1.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.1.mlp.c_fc.weight", "h.1.mlp.c_proj.bias", "ln_f.bias"};

  @Test
  void sftGradientsMatchFiniteDifferences() {
    try (Policy policy = Policy.create(CONFIG, 5)) {
      TokenBatch tb = TokenBatch.of(BATCH, CONFIG);
      check(policy, (w, m) -> Objectives.sftNll(tb.tokenLogProbs(CONFIG, w, m), tb.mask(m, w.dataType())));
    }
  }

  @Test
  void dpoGradientsMatchFiniteDifferences() {
    try (Policy policy = Policy.create(CONFIG, 6)) {
      TokenBatch tb = TokenBatch.of(BATCH, CONFIG);
      check(policy, (w, m) -> {
        NDArray seq = Objectives.sequenceLogProbs(tb.tokenLogProbs(CONFIG, w, m), tb.mask(m, w.dataType()));
        NDArray h = Objectives.preferenceMargin(seq.get("0:1"), seq.get("1:"), m.create(new double[] {-3.0}),
            m.create(new double[] {-2.5}));
        return Objectives.preferenceLoss(Objectives.PreferenceLoss.DPO, h, 0.5);
      });
    }
  }

  @Test
  void discriminatorGradientsMatchFiniteDifferences() {
    try (Policy policy = Policy.create(CONFIG, 7); RewardModel reward = RewardModel.fromPolicy(policy, 1, 0.5)) {
      TokenBatch tb = TokenBatch.of(BATCH, CONFIG);
      check(reward, (w, m) -> {
        NDArray f = reward.logits(tb, w, m);
        return Objectives.discriminatorLoss(f.get("0:1"), f.get("1:"));
      });
    }
  }

  /** Checks {@code loss} over a float64 copy of {@code model}'s weights. */
  private static void check(BaseModel model, BiFunction<Weights, NDManager, NDArray> loss) {
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        Weights w = model.read(f32 -> f32.toType(DataType.FLOAT64, root))) {
      double worst = 0;
      try (NDManager m = root.newSubManager()) {
        w.arrays().values().forEach(GradMode::zero);
        try (GradMode on = GradMode.on()) {
          GradMode.backward(loss.apply(w, m), m);
        }
        try (GradMode off = GradMode.off()) {
          java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
          for (String name : PARAMS) {
            NDArray p = w.get(name);
            double[] grad = GradMode.gradient(p, m).toDoubleArray();
            for (int probe = 0; probe < 3; probe++) {
              int i = rng.nextInt(grad.length);
              double numeric = centralDifference(w, m, p, i, loss);
              double err = Math.abs(numeric - grad[i]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(grad[i]));
              worst = Math.max(worst, err);
              assertTrue(err < 1e-5, name + "[" + i + "]: autograd " + grad[i] + " vs numeric " + numeric);
            }
          }
        }
        w.arrays().values().forEach(GradMode::zero);
      }
    }
  }

  private static double centralDifference(Weights w, NDManager m, NDArray p, int flat, BiFunction<Weights, NDManager, NDArray> loss) {
    double eps = 1e-6;
    long[] dims = p.getShape().getShape();
    long[] idx = new long[dims.length];
    long rest = flat;
    for (int d = dims.length - 1; d >= 0; d--) {
      idx[d] = rest % dims[d];
      rest /= dims[d];
    }
    NDIndex at = new NDIndex(idx);
    double original = p.get(at).toDoubleArray()[0];
    double up;
    double down;
    try (NDManager s = m.newSubManager()) {
      p.set(at, original + eps);
      up = loss.apply(w, s).toDoubleArray()[0];
      p.set(at, original - eps);
      down = loss.apply(w, s).toDoubleArray()[0];
      p.set(at, original);
    }
    return (up - down) / (2 * eps);
  }
}
