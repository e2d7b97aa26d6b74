package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.llama.LlamaConfig;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  /** Llama (untied, biased attention, llama3 rope scaling, GQA 2:1), Qwen2 (q/k/v biases) and Qwen3 (q/k norms). */
  static final LlamaConfig[] LLAMA = {
      new LlamaConfig(LlamaConfig.Family.LLAMA, 11, 8, 8, 12, 2, 2, 1, 4, 1e-5, 10000,
          new LlamaConfig.RopeScaling(8, 1, 4, 4), false, true, 0, List.of(1)),
      new LlamaConfig(LlamaConfig.Family.QWEN2, 11, 8, 8, 12, 2, 4, 2, 2, 1e-6, 1e6, null, true, false, 0, List.of(1)),
      new LlamaConfig(LlamaConfig.Family.QWEN3, 11, 8, 8, 12, 2, 4, 2, 4, 1e-6, 1e6, null, true, false, 0, List.of(1))};
  static final String[][] LLAMA_PARAMS = {
      {"model.embed_tokens.weight", "lm_head.weight", "model.layers.0.self_attn.q_proj.weight",
          "model.layers.1.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
          "model.layers.1.self_attn.o_proj.bias", "model.layers.0.input_layernorm.weight",
          "model.layers.1.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
          "model.norm.weight"},
      {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias",
          "model.layers.0.self_attn.v_proj.bias", "model.layers.1.self_attn.o_proj.weight",
          "model.layers.1.post_attention_layernorm.weight"},
      {"model.embed_tokens.weight", "model.layers.0.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight",
          "model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.down_proj.weight"}};

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void llamaFamilySftGradientsMatchFiniteDifferences(int family) {
    LlamaConfig config = LLAMA[family];
    try (Policy policy = Policy.create(config, 15 + family)) {
      TokenBatch tb = TokenBatch.of(BATCH, config);
      check(policy, LLAMA_PARAMS[family],
          (w, m) -> Objectives.sftNll(tb.tokenLogProbs(config, w, m), tb.mask(m, w.dataType())));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2})
  void llamaFamilyDiscriminatorGradientsMatchFiniteDifferences(int family) {
    LlamaConfig config = LLAMA[family];
    try (Policy policy = Policy.create(config, 25 + family); RewardModel reward = RewardModel.fromPolicy(policy, 1, 0.5)) {
      TokenBatch tb = TokenBatch.of(BATCH, config);
      // A reward model has no lm_head of its own: the score head replaces it.
      String[] params = java.util.stream.Stream.concat(
          java.util.Arrays.stream(LLAMA_PARAMS[family]).filter(n -> !n.equals("lm_head.weight")),
          java.util.stream.Stream.of(RewardModel.HEAD_WEIGHT)).toArray(String[]::new);
      check(reward, params, (w, m) -> {
        NDArray f = reward.logits(tb, w, m);
        return Objectives.discriminatorLoss(f.get("0:1"), f.get("1:"));
      });
    }
  }

  /**
   * Through a LoRA adapter (trained a few steps first, so that B is not zero and A's gradient is not
   * trivially zero), on both families: the adapter's A and B match finite differences, and backward
   * reaches no base tensor (it is frozen).
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1})
  void loraAdapterGradientsMatchFiniteDifferences(int family) {
    ModelConfig config = family == 0 ? CONFIG : LLAMA[0];
    var lora = new io.alignstream.model.lora.LoraConfig(2, 4, 0, List.of("all-linear"));
    String[] params = family == 0
        ? new String[] {"base_model.model.transformer.h.0.attn.c_attn.lora_A.weight",
            "base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight",
            "base_model.model.transformer.h.1.attn.c_proj.lora_A.weight"}
        : new String[] {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
            "base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight",
            "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight",
            "base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight"};
    try (Policy plain = Policy.create(config, 35 + family); Policy policy = plain.withAdapter(lora, 3)) {
      try (PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(5e-2)))) {
        for (int i = 0; i < 3; i++) {
          t.sftStep(BATCH);
        }
      }
      TokenBatch tb = TokenBatch.of(BATCH, config);
      check(policy, params, (w, m) -> {
        NDArray loss = Objectives.sftNll(tb.tokenLogProbs(config, w, m), tb.mask(m, w.dataType()));
        return loss;
      });
      try (NDManager root = NDManager.newBaseManager("PyTorch"); NDManager m = root.newSubManager()) {
        policy.read(w -> {
          w.arrays().values().forEach(GradMode::zero);
          try (GradMode on = GradMode.on()) {
            GradMode.backward(Objectives.sftNll(tb.tokenLogProbs(config, w, m), tb.mask(m, w.dataType())), m);
          }
          w.arrays().forEach((name, a) -> assertTrue(Adapter.owns(name) == (GradMode.gradient(a, m) != null),
              name + (Adapter.owns(name) ? " gets no gradient" : " is frozen but got a gradient")));
          w.arrays().values().forEach(GradMode::zero);
          return null;
        });
      }
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

  private static void check(BaseModel model, BiFunction<Weights, NDManager, NDArray> loss) {
    check(model, PARAMS, loss);
  }

  /** Checks {@code loss} over a float64 copy of {@code model}'s weights, three entries of each of {@code params}. */
  private static void check(BaseModel model, String[] params, BiFunction<Weights, NDManager, NDArray> loss) {
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
          for (String name : params) {
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
