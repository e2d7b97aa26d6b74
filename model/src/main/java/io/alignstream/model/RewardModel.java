package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Discriminator reward model: a decoder backbone of any supported family with a linear scalar head on
 * the mean final hidden state over the response's tokens ({@link #features}). Its output is the logit
 * f of D = sigma(f), and the reward is r = log D - log(1 - D) = f. The backbone may be trained with the
 * head, or kept frozen (π_0's) with only the head fitted ({@link #setHead}).
 *
 * <p>Saved as a model directory like a policy plus the head tensors {@code score.weight} (1, width)
 * and {@code score.bias} (1). Thread-safety as for {@link Policy}: scoring from many threads,
 * optimiser steps and {@link #loadWeights} under the write lock.
 */
public final class RewardModel extends BaseModel {
  static final String HEAD_WEIGHT = "score.weight";
  static final String HEAD_BIAS = "score.bias";

  private RewardModel(ModelConfig config, NDManager root, Weights weights, long version) {
    super(config, root, weights, version);
  }

  /** The backbone without an output layer of its own, and the head. */
  static Map<String, Shape> specOf(ModelConfig c) {
    Network network = c.network();
    Map<String, Shape> s = new LinkedHashMap<>(network.spec());
    s.keySet().removeAll(network.outputLayer());
    s.put(HEAD_WEIGHT, new Shape(1, c.width()));
    s.put(HEAD_BIAS, new Shape(1));
    return s;
  }

  @Override
  Map<String, Shape> spec() {
    return specOf(config);
  }

  /**
   * A reward model whose backbone is a copy of {@code policy}'s weights (initialising from the
   * pretrained policy is what makes reward models label-efficient) and whose head is N(0, headStd^2)
   * from {@code seed} (0 gives r = 0 everywhere at start), with zero bias.
   */
  public static RewardModel fromPolicy(Policy policy, long seed, double headStd) {
    ModelConfig c = policy.config();
    return inNewRoot(root -> {
      Set<String> output = c.network().outputLayer();
      // An adapted policy's reward model starts from its merged weights: a plain model of the family.
      Weights trunk = policy.read(w -> {
        if (w.adapter() == null) {
          return w.duplicate(root, name -> !output.contains(name));
        }
        try (Weights merged = w.merged(root, false)) {
          return merged.duplicate(root, name -> !output.contains(name));
        }
      });
      float[] head = new float[c.width()];
      SplittableRandom rng = new SplittableRandom(seed);
      for (int i = 0; i < head.length; i++) {
        head[i] = (float) (rng.nextGaussian() * headStd);
      }
      Map<String, NDArray> extra = new LinkedHashMap<>();
      // The head takes the trunk's type (float64 in gradient checks).
      extra.put(HEAD_WEIGHT, root.create(head, new Shape(1, c.width())).toType(trunk.dataType(), false));
      extra.put(HEAD_BIAS, root.zeros(new Shape(1), trunk.dataType()));
      return new RewardModel(c, root, trunk.plus(extra), 0);
    });
  }

  /**
   * π_0's backbone as a reward model with a zero head, from the policy's {@code weightsToBytes()}: the features
   * every member of a frozen-backbone ensemble reads ({@link RewardModel#fromPolicy} of that policy, without
   * keeping the policy's own copy).
   */
  public static RewardModel backboneOf(ModelConfig config, byte[] policySafetensors, long version) {
    try (Policy policy = Policy.fromBytes(config, policySafetensors, version)) {
      return fromPolicy(policy, 0, 0.0);
    }
  }

  /** Loads a reward model directory (config.json + model.safetensors with the score head). */
  public static RewardModel load(Path dir) {
    ModelConfig c = readConfig(dir);
    return inNewRoot(root -> {
      try {
        return new RewardModel(c, root, readWeights(dir, c.network(), specOf(c), root), 0);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(e.getMessage()
            + (e.getMessage() != null && e.getMessage().contains(HEAD_WEIGHT)
                ? " (a policy directory? start a reward model with RewardModel.fromPolicy)" : ""), e);
      }
    });
  }

  /** A reward model of the given shape with weights (backbone and head) from safetensors bytes. */
  public static RewardModel fromBytes(ModelConfig config, byte[] safetensors, long version) {
    return inNewRoot(root -> new RewardModel(config, root,
        Weights.decode(safetensors, config.network(), specOf(config), root), version));
  }

  /** An independent deep copy. */
  public RewardModel copy() {
    return inNewRoot(newRoot -> read(w -> new RewardModel(config, newRoot, w.duplicate(newRoot), version())));
  }

  /**
   * Reward f(x, y) of every example (the logit of "expert-like"), in batches of at most 32.
   *
   * @return one reward per example, in order
   */
  public double[] score(List<Example> examples) {
    double[] out = new double[examples.size()];
    inBatches(examples, (from, chunk, batch, w, m) -> {
      double[] f = logits(batch, w, m).toType(DataType.FLOAT64, false).toDoubleArray();
      System.arraycopy(f, 0, out, from, f.length);
    });
    return out;
  }

  /** (batch) logits f of a packed batch, differentiable. */
  NDArray logits(TokenBatch batch, Weights w, NDManager m) {
    NDArray pooled = batch.responseMeanHidden(config, w, m); // (batch, d)
    NDArray f = pooled.getNDArrayInternal().linear(pooled, w.get(HEAD_WEIGHT), w.get(HEAD_BIAS)).get(0); // (batch, 1)
    return f.reshape(batch.batch);
  }

  /**
   * What the head reads, per example: the backbone's mean final hidden state over the response's
   * tokens, in batches of at most 32, with no gradient. {@code score = features · head + bias}.
   *
   * @return (examples, width)
   */
  public float[][] features(List<Example> examples) {
    float[][] out = new float[examples.size()][];
    inBatches(examples, (from, chunk, batch, w, m) -> {
      float[] f = batchFeatures(batch, w, m);
      int d = config.width();
      for (int i = 0; i < chunk.size(); i++) {
        out[from + i] = java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d);
      }
    });
    return out;
  }

  private float[] batchFeatures(TokenBatch batch, Weights w, NDManager m) {
    return batch.responseMeanHidden(config, w, m).toType(DataType.FLOAT32, false).toFloatArray();
  }

  /** The head: {@code score.weight} (width values) then {@code score.bias}. */
  public float[] head() {
    return read(w -> {
      float[] weight = w.get(HEAD_WEIGHT).toType(DataType.FLOAT32, false).toFloatArray();
      float[] out = java.util.Arrays.copyOf(weight, weight.length + 1);
      out[weight.length] = w.get(HEAD_BIAS).toType(DataType.FLOAT32, false).toFloatArray()[0];
      return out;
    });
  }

  /**
   * Replaces the head in place, the backbone untouched: how a head fitted on frozen {@link #features}
   * becomes this model's scores. A new version, as after an optimiser step.
   *
   * @param weight {@code width} values
   */
  public void setHead(float[] weight, float bias) {
    if (weight.length != config.width()) {
      throw new IllegalArgumentException("a head of " + weight.length + " values for a width of " + config.width());
    }
    write(w -> {
      NDArray hw = w.get(HEAD_WEIGHT);
      NDArray hb = w.get(HEAD_BIAS);
      try (NDManager m = root.newSubManager()) {
        hw.set(m.create(weight, new Shape(1, weight.length)).toType(hw.getDataType(), false).toByteBuffer());
        hb.set(m.create(new float[] {bias}, new Shape(1)).toType(hb.getDataType(), false).toByteBuffer());
      }
      bumpVersion();
      return null;
    });
  }
}
