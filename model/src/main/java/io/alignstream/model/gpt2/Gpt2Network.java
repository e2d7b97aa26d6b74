package io.alignstream.model.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.alignstream.model.KvCache;
import io.alignstream.model.Network;
import io.alignstream.model.Scalar;
import io.alignstream.model.Weights;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GPT-2 forward pass: learned positions, pre-norm blocks of layer norm, multi-head attention and a
 * tanh-GELU MLP, an output layer tied to {@code wte}. Parameters carry Hugging Face's GPT-2 names
 * without the {@code transformer.} prefix, in its Conv1D layout (weights are (in, out)).
 */
final class Gpt2Network implements Network {
  /** Prefix Hugging Face head models put before backbone names; accepted on load, never written. */
  static final String HF_PREFIX = "transformer.";
  private static final String[] CONV1D = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};

  private final Gpt2Config c;

  Gpt2Network(Gpt2Config c) {
    this.c = c;
  }

  @Override
  public Map<String, Shape> spec() {
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

  /**
   * The four Conv1D layers of every block, as PEFT names them inside {@code GPT2LMHeadModel} (under
   * {@code transformer.}), stored (in, out).
   */
  @Override
  public Map<String, Linear> linearLayers() {
    long d = c.width();
    Map<String, Linear> out = new LinkedHashMap<>();
    for (int i = 0; i < c.layers(); i++) {
      String p = "h." + i + ".";
      out.put(p + "attn.c_attn", new Linear(HF_PREFIX + p + "attn.c_attn", d, 3 * d, true));
      out.put(p + "attn.c_proj", new Linear(HF_PREFIX + p + "attn.c_proj", d, d, true));
      out.put(p + "mlp.c_fc", new Linear(HF_PREFIX + p + "mlp.c_fc", d, 4 * d, true));
      out.put(p + "mlp.c_proj", new Linear(HF_PREFIX + p + "mlp.c_proj", 4 * d, d, true));
    }
    return out;
  }

  /**
   * GPT-2's initialisation: N(0, 0.02) for matrices and embeddings, N(0, 0.02/sqrt(2L)) for the
   * residual projections, ones for layer-norm gains, zeros for biases.
   */
  @Override
  public Init init(String name) {
    return Init.of(name, name.matches(".*ln_(1|2|f)\\.weight"),
        name.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2.0 * c.layers()) : 0.02);
  }

  /** A {@code transformer.} prefix is dropped; attention-mask buffers and a tied {@code lm_head} are skipped. */
  @Override
  public String parameterName(String stored) {
    String name = stored.startsWith(HF_PREFIX) ? stored.substring(HF_PREFIX.length()) : stored;
    if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.equals("lm_head.weight")) {
      return null;
    }
    return name;
  }

  @Override
  public Host host(Weights w) {
    return Gpt2Host.of(c, w);
  }

  @Override
  public Pass pass(Weights w, NDManager m) {
    return new Constants(w, m);
  }

  /**
   * Also every Conv1D weight's transposed view, made once per generation, so that each layer is one
   * fused {@code linear} call instead of a matmul and an add per layer and token (batch-1 decoding is
   * bound by the number of native calls, not by arithmetic).
   */
  @Override
  public Pass decoding(Weights w, NDManager m) {
    Constants k = new Constants(w, m);
    for (int i = 0; i < c.layers(); i++) {
      for (String layer : CONV1D) {
        String name = "h." + i + "." + layer;
        NDArray view = w.get(name + ".weight").transpose(); // (out, in), shares the weight's storage
        view.attach(m); // made in the weight's manager (its first operand); m owns it
        k.transposed.put(name, view);
      }
    }
    return k;
  }

  /**
   * Constants of a forward pass, owned by the manager they were made in. A differentiated pass makes
   * its own; generation makes one set per call and reuses it across decoding steps.
   */
  private final class Constants implements Pass {
    private final Weights w;
    private final NDArray scale; // 1 / sqrt(head width)
    private final NDArray geluLinear;
    private final NDArray geluCubic;
    /** Per Conv1D layer, its weight viewed as (out, in) for {@code linear}; empty in a differentiated pass. */
    private final Map<String, NDArray> transposed = new HashMap<>();

    Constants(Weights w, NDManager m) {
      this.w = w;
      DataType type = w.dataType();
      scale = Scalar.of(m, 1.0 / Math.sqrt(c.headWidth()), type);
      // GPT-2's tanh GELU, 0.5 x (1 + tanh(k (x + 0.044715 x^3))), equals x sigmoid(2k x + 2k 0.044715 x^3):
      // the same function in six ops instead of eight.
      double k = Math.sqrt(2.0 / Math.PI);
      geluLinear = Scalar.of(m, 2 * k, type);
      geluCubic = Scalar.of(m, 2 * k * 0.044715, type);
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
      long batch = ids.getShape().get(0);
      long seq = ids.getShape().get(1);
      int d = c.width();
      Shape split = new Shape(batch, seq, 3 * c.heads(), c.headWidth());
      NDArray x = embed(ids, w.get("wte.weight")).add(embed(positions, w.get("wpe.weight"))); // (batch, seq, d)
      for (int i = 0; i < c.layers(); i++) {
        String p = "h." + i + ".";
        NDArray a = layerNorm(x, p + "ln_1"); // (batch, seq, d)
        NDArray qkv = conv1d(a, p + "attn.c_attn"); // (batch, seq, 3d)
        // q, k and v are consecutive groups of heads along the last axis: split them after one reshape and
        // one transpose rather than splitting first (three native calls here instead of seven).
        NDList parts = qkv.reshape(split).transpose(0, 2, 1, 3).split(3, 1); // 3 x (batch, heads, seq, hw)
        NDArray q = parts.get(0);
        NDArray key = parts.get(1);
        NDArray v = parts.get(2);
        if (cache != null) {
          key = cache.keys(i, key);
          v = cache.values(i, v);
        }
        NDArray scores = q.mul(scale).matMul(key.transpose(0, 1, 3, 2)); // (batch, heads, seq, keys)
        if (mask != null) {
          scores = scores.add(mask);
        }
        NDArray att = scores.softmax(-1).matMul(v); // (batch, heads, seq, hw)
        NDArray merged = att.transpose(0, 2, 1, 3).reshape(new Shape(batch, seq, d)); // (batch, seq, d)
        x = x.add(conv1d(merged, p + "attn.c_proj"));
        NDArray f = layerNorm(x, p + "ln_2");
        NDArray hmid = gelu(conv1d(f, p + "mlp.c_fc")); // (batch, seq, 4d)
        x = x.add(conv1d(hmid, p + "mlp.c_proj"));
      }
      return layerNorm(x, "ln_f");
    }

    /** Through the output layer tied to {@code wte}. */
    @Override
    public NDArray logits(NDArray hidden) {
      return hidden.getNDArrayInternal().linear(hidden, w.get("wte.weight"), null).get(0);
    }

    /**
     * A Conv1D layer, x W + b with W stored (in, out): one fused {@code linear} call over the transposed
     * view that decoding constants hold, or a matmul and an add in a differentiated pass; plus the layer's
     * adapter when it has one.
     */
    private NDArray conv1d(NDArray x, String layer) {
      NDArray view = transposed.get(layer);
      NDArray y = view == null ? x.matMul(w.get(layer + ".weight")).add(w.get(layer + ".bias"))
          : x.getNDArrayInternal().linear(x, view, w.get(layer + ".bias")).get(0);
      return w.adapted(layer, x, y);
    }

    private NDArray layerNorm(NDArray x, String name) {
      return x.getNDArrayInternal()
          .layerNorm(x, new Shape(c.width()), w.get(name + ".weight"), w.get(name + ".bias"), (float) c.layerNormEps())
          .get(0);
    }

    private NDArray gelu(NDArray x) {
      NDArray inner = x.mul(x).mul(geluCubic).add(geluLinear).mul(x);
      return x.mul(inner.getNDArrayInternal().sigmoid());
    }
  }

  private static NDArray embed(NDArray ids, NDArray table) {
    return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).get(0);
  }
}
