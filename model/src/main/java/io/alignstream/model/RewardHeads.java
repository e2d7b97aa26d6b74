package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The linear heads of a reward ensemble whose members all read one frozen backbone's features
 * ({@link RewardModel#features}), and the scores they give: member k's reward of an example is
 * {@code features · weight_k + bias_k}. Under the frozen-backbone recipe this is all that changes from one
 * version to the next, so it is what travels instead of K backbones: safetensors with {@code score.weight}
 * (members, width) and {@code score.bias} (members), float32, described by {@link Config}. Immutable.
 */
public final class RewardHeads {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEIGHT = RewardModel.HEAD_WEIGHT;
  private static final String BIAS = RewardModel.HEAD_BIAS;

  /**
   * What a heads payload holds, as its manifest says: {@code {"members": K, "width": d}}.
   *
   * @param members K, the ensemble's size
   * @param width d, the backbone's hidden width (each head is d weights and a bias)
   */
  public record Config(int members, int width) {
    public Config {
      if (members < 1 || width < 1) {
        throw new IllegalArgumentException("reward heads need at least one member and a width, got " + members
            + " members of width " + width);
      }
    }

    public String toJson() {
      return "{\"members\":" + members + ",\"width\":" + width + "}";
    }

    /** @throws IllegalArgumentException when {@code json} is not a heads config, with what it lacks */
    public static Config fromJson(String json) {
      JsonNode n;
      try {
        n = JSON.readTree(json);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("the reward heads' config is not JSON: " + e.getOriginalMessage(), e);
      }
      if (n == null || !n.path("members").canConvertToInt() || !n.path("width").canConvertToInt()) {
        throw new IllegalArgumentException("the reward heads' config needs integer members and width, got " + json);
      }
      return new Config(n.get("members").intValue(), n.get("width").intValue());
    }
  }

  private final float[][] heads; // (members, width + 1): the weights, then the bias, as RewardModel.head() gives

  private RewardHeads(float[][] heads) {
    this.heads = heads;
  }

  /** The heads of every member of {@code ensemble}, in order. */
  public static RewardHeads of(RewardEnsemble ensemble) {
    return new RewardHeads(ensemble.members().stream().map(RewardModel::head).toArray(float[][]::new));
  }

  public Config config() {
    return new Config(heads.length, heads[0].length - 1);
  }

  /**
   * Every member's reward of every example from the backbone's features; the same figures as the whole
   * ensemble's forward pass, to float precision (the dot products here add in double).
   *
   * @param features (examples, width), as {@link RewardModel#features} gives them
   */
  public RewardEnsemble.Scores score(float[][] features) {
    double[][] per = new double[heads.length][features.length];
    for (int member = 0; member < heads.length; member++) {
      float[] head = heads[member];
      for (int i = 0; i < features.length; i++) {
        if (features[i].length != head.length - 1) {
          throw new IllegalArgumentException("features of width " + features[i].length + " for heads of width "
              + (head.length - 1));
        }
        per[member][i] = dot(head, features[i]) + head[head.length - 1];
      }
    }
    return RewardEnsemble.Scores.of(per);
  }

  private static double dot(float[] head, float[] x) {
    double s = 0;
    for (int j = 0; j < x.length; j++) {
      s += head[j] * x[j];
    }
    return s;
  }

  /** The payload: {@code score.weight} (members, width) and {@code score.bias} (members) as safetensors. */
  public byte[] toBytes() {
    Config c = config();
    float[] weight = new float[c.members() * c.width()];
    float[] bias = new float[c.members()];
    for (int k = 0; k < c.members(); k++) {
      System.arraycopy(heads[k], 0, weight, k * c.width(), c.width());
      bias[k] = heads[k][c.width()];
    }
    try (NDManager m = BaseModel.newRoot(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      NDArray w = m.create(weight, new Shape(c.members(), c.width()));
      w.setName(WEIGHT);
      NDArray b = m.create(bias, new Shape(c.members()));
      b.setName(BIAS);
      new NDList(w, b).encode(out, NDList.Encoding.SAFETENSORS);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The heads a {@link #toBytes()} payload holds, which must be of {@code config}'s shape.
   *
   * @throws IllegalArgumentException when the payload is malformed or another shape than {@code config}
   */
  public static RewardHeads fromBytes(byte[] payload, Config config) {
    try (NDManager m = BaseModel.newRoot()) {
      Map<String, NDArray> t = SafeTensors.decode(payload, UnaryOperator.identity(), m);
      if (!t.keySet().equals(java.util.Set.of(WEIGHT, BIAS))) {
        throw new IllegalArgumentException("reward heads hold " + WEIGHT + " and " + BIAS + ", this payload "
            + t.keySet());
      }
      Shape weight = new Shape(config.members(), config.width());
      Shape bias = new Shape(config.members());
      if (!t.get(WEIGHT).getShape().equals(weight) || !t.get(BIAS).getShape().equals(bias)) {
        throw new IllegalArgumentException("reward heads of shape " + t.get(WEIGHT).getShape() + " + "
            + t.get(BIAS).getShape() + ", their config says " + weight + " + " + bias);
      }
      float[] w = t.get(WEIGHT).toFloatArray();
      float[] b = t.get(BIAS).toFloatArray();
      float[][] heads = new float[config.members()][];
      for (int k = 0; k < heads.length; k++) {
        heads[k] = Arrays.copyOf(Arrays.copyOfRange(w, k * config.width(), (k + 1) * config.width()),
            config.width() + 1);
        heads[k][config.width()] = b[k];
      }
      return new RewardHeads(heads);
    }
  }
}
