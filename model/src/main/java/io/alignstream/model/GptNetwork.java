package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GPT-2 forward pass as plain tensor operations over {@link Weights}.
 *
 * <p>Every intermediate is created in the caller's step manager {@code m}: DJL attaches an op's result
 * to its first operand's manager, so the first operand is always an array of {@code m} (never a
 * parameter). Constants are arrays of {@code m} too, never Java numbers, because
 * {@code NDArray.mul(Number)} frees its scalar before backward runs.
 */
final class GptNetwork {
  /** Additive attention mask value: large enough to zero a softmax term, finite so no row is NaN. */
  static final double MASKED = -1e9;

  private GptNetwork() {}

  /** Names and shapes of the backbone parameters, in Hugging Face layout (Conv1D weights are (in, out)). */
  static Map<String, Shape> spec(GptConfig c) {
    long d = c.width();
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put("wte.weight", new Shape(c.vocabSize(), d));
    s.put("wpe.weight", new Shape(c.contextLength(), d));
    for (int i = 0; i < c.layers(); i++) {
      String p = "h." + i + ".";
      s.put(p + "ln_1.weight", new Shape(d));
      s.put(p + "ln_1.bias", new Shape(d));
      s.put(p + "attn.c_attn.weight", new Shape(d, 3 * d));
      s.put(p + "attn.c_attn.bias", new Shape(3 * d));
      s.put(p + "attn.c_proj.weight", new Shape(d, d));
      s.put(p + "attn.c_proj.bias", new Shape(d));
      s.put(p + "ln_2.weight", new Shape(d));
      s.put(p + "ln_2.bias", new Shape(d));
      s.put(p + "mlp.c_fc.weight", new Shape(d, 4 * d));
      s.put(p + "mlp.c_fc.bias", new Shape(4 * d));
      s.put(p + "mlp.c_proj.weight", new Shape(4 * d, d));
      s.put(p + "mlp.c_proj.bias", new Shape(d));
    }
    s.put("ln_f.weight", new Shape(d));
    s.put("ln_f.bias", new Shape(d));
    return s;
  }

  /** Scalar constant of the given type, owned by {@code m} (kept alive until after backward). */
  static NDArray constant(NDManager m, double value, DataType type) {
    return type == DataType.FLOAT64 ? m.create(value) : m.create((float) value);
  }

  /** Keys and values of every layer for incremental decoding; arrays live in {@link #manager}. */
  static final class KvCache implements AutoCloseable {
    final NDManager manager;
    final NDArray[] keys; // per layer (batch, heads, cached, headWidth)
    final NDArray[] values; // per layer (batch, heads, cached, headWidth)

    KvCache(NDManager parent, int layers) {
      this.manager = parent.newSubManager();
      this.keys = new NDArray[layers];
      this.values = new NDArray[layers];
    }

    @Override
    public void close() {
      manager.close();
    }
  }

  /**
   * Final hidden states after {@code ln_f}.
   *
   * @param ids token ids, int64 (batch, seq)
   * @param positions position ids, int64 (batch or 1, seq)
   * @param mask additive attention mask (batch or 1, 1, seq, cached + seq), or null where every key is
   *     visible to every query (one new token per row and no padding)
   * @param cache null for a full pass; otherwise extended in place with this pass's keys and values
   * @return (batch, seq, width)
   */
  static NDArray hidden(GptConfig c, Weights w, NDManager m, NDArray ids, NDArray positions, NDArray mask,
      KvCache cache) {
    return hidden(c, w, m, ids, positions, mask, cache, new Constants(m, w.dataType(), c.headWidth()));
  }

  /** As above with constants made earlier in a manager that outlives this pass. */
  static NDArray hidden(GptConfig c, Weights w, NDManager m, NDArray ids, NDArray positions, NDArray mask,
      KvCache cache, Constants consts) {
    long batch = ids.getShape().get(0);
    long seq = ids.getShape().get(1);
    int d = c.width();
    Shape split = new Shape(batch, seq, 3 * c.heads(), c.headWidth());
    NDArray x = embed(ids, w.get("wte.weight")).add(embed(positions, w.get("wpe.weight"))); // (batch, seq, d)
    for (int i = 0; i < c.layers(); i++) {
      String p = "h." + i + ".";
      NDArray a = layerNorm(x, w, p + "ln_1", c); // (batch, seq, d)
      NDArray qkv = conv1d(a, w, p + "attn.c_attn", consts); // (batch, seq, 3d)
      // q, k and v are consecutive groups of heads along the last axis: split them after one reshape and
      // one transpose rather than splitting first (three native calls here instead of seven).
      NDList parts = qkv.reshape(split).transpose(0, 2, 1, 3).split(3, 1); // 3 x (batch, heads, seq, hw)
      NDArray q = parts.get(0);
      NDArray key = parts.get(1);
      NDArray v = parts.get(2);
      if (cache != null) {
        key = append(cache, cache.keys, i, key);
        v = append(cache, cache.values, i, v);
      }
      NDArray scores = q.mul(consts.scale).matMul(key.transpose(0, 1, 3, 2)); // (batch, heads, seq, keys)
      if (mask != null) {
        scores = scores.add(mask);
      }
      NDArray att = scores.softmax(-1).matMul(v); // (batch, heads, seq, hw)
      NDArray merged = att.transpose(0, 2, 1, 3).reshape(new Shape(batch, seq, d)); // (batch, seq, d)
      x = x.add(conv1d(merged, w, p + "attn.c_proj", consts));
      NDArray f = layerNorm(x, w, p + "ln_2", c);
      NDArray hmid = consts.gelu(conv1d(f, w, p + "mlp.c_fc", consts)); // (batch, seq, 4d)
      x = x.add(conv1d(hmid, w, p + "mlp.c_proj", consts));
    }
    return layerNorm(x, w, "ln_f", c);
  }

  /**
   * A Conv1D layer, x W + b with W stored (in, out): one fused {@code linear} call over the transposed
   * view that decoding constants hold, or a matmul and an add in a differentiated pass.
   */
  private static NDArray conv1d(NDArray x, Weights w, String layer, Constants consts) {
    NDArray transposed = consts.transposed.get(layer);
    if (transposed == null) {
      return x.matMul(w.get(layer + ".weight")).add(w.get(layer + ".bias"));
    }
    return x.getNDArrayInternal().linear(x, transposed, w.get(layer + ".bias")).get(0);
  }

  /** Next-token logits through the output layer tied to {@code wte}: (..., width) to (..., vocab). */
  static NDArray logits(Weights w, NDArray hidden) {
    return hidden.getNDArrayInternal().linear(hidden, w.get("wte.weight"), null).get(0);
  }

  private static NDArray append(KvCache cache, NDArray[] store, int layer, NDArray fresh) {
    NDArray old = store[layer];
    NDArray all;
    if (old == null) {
      all = fresh.duplicate();
    } else {
      all = NDArrays.concat(new NDList(old, fresh), 2);
    }
    all.attach(cache.manager);
    if (old != null) {
      old.close();
    }
    store[layer] = all;
    return all;
  }

  private static NDArray embed(NDArray ids, NDArray table) {
    return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).get(0);
  }

  private static NDArray layerNorm(NDArray x, Weights w, String name, GptConfig c) {
    return x.getNDArrayInternal()
        .layerNorm(x, new Shape(c.width()), w.get(name + ".weight"), w.get(name + ".bias"), (float) c.layerNormEps())
        .get(0);
  }

  /**
   * Constants of a forward pass, owned by the manager they were made in. A differentiated pass makes
   * its own; generation makes one set per call and reuses it across decoding steps.
   */
  static final class Constants {
    final NDArray scale; // 1 / sqrt(head width)
    private final NDArray geluLinear;
    private final NDArray geluCubic;
    /** Per Conv1D layer, its weight viewed as (out, in) for {@code linear}; empty in a differentiated pass. */
    private final Map<String, NDArray> transposed = new HashMap<>();

    /**
     * Constants for decoding with {@code w}: also every Conv1D weight's transposed view, made once per
     * generation instead of a matmul and an add per layer and token (batch-1 decoding is bound by the
     * number of native calls, not by arithmetic).
     */
    static Constants forDecoding(NDManager m, Weights w, GptConfig c) {
      Constants k = new Constants(m, w.dataType(), c.headWidth());
      for (int i = 0; i < c.layers(); i++) {
        for (String layer : new String[] {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}) {
          String name = "h." + i + "." + layer;
          NDArray view = w.get(name + ".weight").transpose(); // (out, in), shares the weight's storage
          view.attach(m); // made in the weight's manager (its first operand); m owns it
          k.transposed.put(name, view);
        }
      }
      return k;
    }

    Constants(NDManager m, DataType type, int headWidth) {
      scale = constant(m, 1.0 / Math.sqrt(headWidth), type);
      // GPT-2's tanh GELU, 0.5 x (1 + tanh(c (x + 0.044715 x^3))), equals x sigmoid(2c x + 2c 0.044715 x^3):
      // the same function in six ops instead of eight.
      double c = Math.sqrt(2.0 / Math.PI);
      geluLinear = constant(m, 2 * c, type);
      geluCubic = constant(m, 2 * c * 0.044715, type);
    }

    NDArray gelu(NDArray x) {
      NDArray inner = x.mul(x).mul(geluCubic).add(geluLinear).mul(x);
      return x.mul(inner.getNDArrayInternal().sigmoid());
    }
  }

  /** Causal additive mask for a full pass over right-padded rows: (1, 1, seq, seq). */
  static NDArray causalMask(NDManager m, int seq, DataType type) {
    float[] values = new float[seq * seq];
    for (int q = 0; q < seq; q++) {
      for (int k = q + 1; k < seq; k++) {
        values[q * seq + k] = (float) MASKED;
      }
    }
    return mask(m, values, new Shape(1, 1, seq, seq), type);
  }

  /** An additive mask of the weights' type from float values (0 or {@link #MASKED}). */
  static NDArray mask(NDManager m, float[] values, Shape shape, DataType type) {
    NDArray mask = m.create(values, shape);
    return type == DataType.FLOAT32 ? mask : mask.toType(type, false);
  }
}
