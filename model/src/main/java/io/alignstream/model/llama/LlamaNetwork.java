package io.alignstream.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.alignstream.model.KvCache;
import io.alignstream.model.Network;
import io.alignstream.model.Scalar;
import io.alignstream.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Llama-family forward pass: pre-norm blocks of RMSNorm, grouped-query attention with rotary
 * positions (and Qwen3's per-head q/k norms), a SwiGLU MLP, a final RMSNorm and an output layer that is
 * the embedding when tied. Parameters carry Hugging Face's names ({@code model.layers.N.self_attn.q_proj.weight})
 * in its {@code nn.Linear} layout: weights are (out, in).
 */
final class LlamaNetwork implements Network {
  static final String EMBED = "model.embed_tokens.weight";
  static final String NORM = "model.norm.weight";
  static final String LM_HEAD = "lm_head.weight";
  private static final String PREFIX = "model.";

  private final LlamaConfig c;
  private final long d; // model width
  private final long q; // query width: heads x headDim
  private final long kv; // key/value width: kvHeads x headDim
  private final long mlp; // MLP width

  LlamaNetwork(LlamaConfig c) {
    this.c = c;
    d = c.width();
    q = (long) c.heads() * c.headDim();
    kv = (long) c.kvHeads() * c.headDim();
    mlp = c.intermediateSize();
  }

  @Override
  public Map<String, Shape> spec() {
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put(EMBED, new Shape(c.vocabSize(), d));
    for (int i = 0; i < c.layers(); i++) {
      String p = layer(i);
      s.put(p + "input_layernorm.weight", new Shape(d));
      s.put(p + "self_attn.q_proj.weight", new Shape(q, d));
      s.put(p + "self_attn.k_proj.weight", new Shape(kv, d));
      s.put(p + "self_attn.v_proj.weight", new Shape(kv, d));
      if (c.qkvBias()) {
        s.put(p + "self_attn.q_proj.bias", new Shape(q));
        s.put(p + "self_attn.k_proj.bias", new Shape(kv));
        s.put(p + "self_attn.v_proj.bias", new Shape(kv));
      }
      s.put(p + "self_attn.o_proj.weight", new Shape(d, q));
      if (c.outputBias()) {
        s.put(p + "self_attn.o_proj.bias", new Shape(d));
      }
      if (c.qkNorm()) {
        s.put(p + "self_attn.q_norm.weight", new Shape(c.headDim()));
        s.put(p + "self_attn.k_norm.weight", new Shape(c.headDim()));
      }
      s.put(p + "post_attention_layernorm.weight", new Shape(d));
      s.put(p + "mlp.gate_proj.weight", new Shape(mlp, d));
      s.put(p + "mlp.up_proj.weight", new Shape(mlp, d));
      s.put(p + "mlp.down_proj.weight", new Shape(d, mlp));
    }
    s.put(NORM, new Shape(d));
    if (!c.tiedEmbeddings()) {
      s.put(LM_HEAD, new Shape(c.vocabSize(), d));
    }
    return s;
  }

  /** Every projection of every layer; the output layer is not one (PEFT's all-linear leaves it out too). */
  @Override
  public Map<String, Linear> linearLayers() {
    Map<String, Linear> out = new LinkedHashMap<>();
    for (int i = 0; i < c.layers(); i++) {
      String p = layer(i);
      linear(out, p + "self_attn.q_proj", d, q);
      linear(out, p + "self_attn.k_proj", d, kv);
      linear(out, p + "self_attn.v_proj", d, kv);
      linear(out, p + "self_attn.o_proj", q, d);
      linear(out, p + "mlp.gate_proj", d, mlp);
      linear(out, p + "mlp.up_proj", d, mlp);
      linear(out, p + "mlp.down_proj", mlp, d);
    }
    return out;
  }

  private static void linear(Map<String, Linear> out, String name, long in, long width) {
    out.put(name, new Linear(name, in, width, false));
  }

  @Override
  public Set<String> outputLayer() {
    return c.tiedEmbeddings() ? Set.of() : Set.of(LM_HEAD);
  }

  private static String layer(int i) {
    return "model.layers." + i + ".";
  }

  /** Hugging Face's initialisation: N(0, 0.02) for matrices and embeddings, ones for norm gains, zero biases. */
  @Override
  public Init init(String name) {
    return Init.of(name, name.endsWith("norm.weight"), 0.02);
  }

  /**
   * Names of a bare {@code LlamaModel} checkpoint gain the {@code model.} prefix; rotary buffers and an
   * {@code lm_head} tied to the embedding are skipped.
   */
  @Override
  public String parameterName(String stored) {
    if (stored.endsWith(".rotary_emb.inv_freq") || c.tiedEmbeddings() && stored.equals(LM_HEAD)) {
      return null;
    }
    boolean backbone = stored.startsWith("layers.") || stored.equals("embed_tokens.weight")
        || stored.equals("norm.weight");
    return backbone ? PREFIX + stored : stored;
  }

  @Override
  public Host host(Weights w) {
    return LlamaHost.of(c, w);
  }

  @Override
  public Pass pass(Weights w, NDManager m) {
    return new Constants(w, m);
  }

  /** Constants of a forward pass: rotary frequencies, the rotate-half matrix and scalars, in one manager. */
  private final class Constants implements Pass {
    private final Weights w;
    private final DataType type;
    private final NDArray inverseFrequencies; // (headDim / 2)
    private final NDArray rotateHalf; // (headDim, headDim): x R = cat(-x2, x1)
    private final NDArray scale; // 1 / sqrt(headDim)
    private final NDArray eps;
    private final NDArray minusHalf;

    Constants(Weights w, NDManager m) {
      this.w = w;
      this.type = w.dataType();
      int hd = c.headDim();
      int half = hd / 2;
      float[] rotation = new float[hd * hd];
      for (int j = 0; j < half; j++) {
        rotation[(j + half) * hd + j] = -1f; // out[j] = -x[j + half]
        rotation[j * hd + j + half] = 1f; // out[j + half] = x[j]
      }
      rotateHalf = typed(m.create(rotation, new Shape(hd, hd)));
      inverseFrequencies = typed(m.create(Rope.inverseFrequencies(c), new Shape(half)));
      scale = Scalar.of(m, 1.0 / Math.sqrt(hd), type);
      eps = Scalar.of(m, c.rmsNormEps(), type);
      minusHalf = Scalar.of(m, -0.5, type);
    }

    private NDArray typed(NDArray a) {
      return type == DataType.FLOAT32 ? a : a.toType(type, false);
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
      long batch = ids.getShape().get(0);
      long seq = ids.getShape().get(1);
      int hd = c.headDim();
      NDArray x = ids.getNDArrayInternal().embedding(ids, w.get(EMBED), SparseFormat.DENSE).get(0); // (batch, seq, d)
      // Rotation angles of every position and frequency, shared by all layers; the query's copy carries the
      // attention scale, so that scores need no separate multiplication.
      NDArray angles = positions.toType(type, false).expandDims(-1).mul(inverseFrequencies); // (b, seq, hd/2)
      angles = angles.concat(angles, -1).expandDims(1); // (b, 1, seq, hd), b = batch or 1
      NDArray cos = angles.cos();
      NDArray sin = angles.sin();
      NDArray cosQ = cos.mul(scale);
      NDArray sinQ = sin.mul(scale);
      Shape qShape = new Shape(batch, seq, c.heads(), hd);
      Shape kvShape = new Shape(batch, seq, c.kvHeads(), hd);
      int group = c.groupSize();
      for (int i = 0; i < c.layers(); i++) {
        String p = layer(i) + "self_attn.";
        NDArray a = rmsNorm(x, layer(i) + "input_layernorm.weight"); // (batch, seq, d)
        NDArray q = linear(a, p + "q_proj", c.qkvBias()).reshape(qShape); // (batch, seq, heads, hd)
        NDArray k = linear(a, p + "k_proj", c.qkvBias()).reshape(kvShape); // (batch, seq, kvHeads, hd)
        NDArray v = linear(a, p + "v_proj", c.qkvBias()).reshape(kvShape).transpose(0, 2, 1, 3); // (batch, kvHeads, seq, hd)
        if (c.qkNorm()) {
          q = rmsNorm(q, p + "q_norm.weight");
          k = rmsNorm(k, p + "k_norm.weight");
        }
        q = rotate(q.transpose(0, 2, 1, 3), cosQ, sinQ); // (batch, heads, seq, hd), scaled
        k = rotate(k.transpose(0, 2, 1, 3), cos, sin); // (batch, kvHeads, seq, hd)
        if (cache != null) {
          k = cache.keys(i, k);
          v = cache.values(i, v);
        }
        long keys = k.getShape().get(2);
        // Query heads h = g * group + r share key/value head g: view the queries as (batch, kvHeads,
        // group * seq, hd) and multiply once against the unrepeated keys and values.
        if (group > 1) {
          q = q.reshape(batch, c.kvHeads(), group * seq, hd);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // (batch, kvHeads, group * seq, keys)
        if (mask != null) {
          scores = scores.reshape(batch, c.heads(), seq, keys).add(mask); // (batch, heads, seq, keys)
          if (group > 1) {
            scores = scores.reshape(batch, c.kvHeads(), group * seq, keys);
          }
        }
        NDArray att = scores.softmax(-1).matMul(v); // (batch, kvHeads, group * seq, hd)
        NDArray merged = att.reshape(batch, c.heads(), seq, hd).transpose(0, 2, 1, 3)
            .reshape(batch, seq, (long) c.heads() * hd); // (batch, seq, heads * hd)
        x = x.add(linear(merged, p + "o_proj", c.outputBias()));
        NDArray f = rmsNorm(x, layer(i) + "post_attention_layernorm.weight");
        NDArray gate = linear(f, layer(i) + "mlp.gate_proj", false); // (batch, seq, intermediate)
        NDArray up = linear(f, layer(i) + "mlp.up_proj", false);
        NDArray swish = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up); // silu(gate) * up
        x = x.add(linear(swish, layer(i) + "mlp.down_proj", false));
      }
      return rmsNorm(x, NORM);
    }

    /** Through {@code lm_head}, or the embedding when tied. */
    @Override
    public NDArray logits(NDArray hidden) {
      NDArray out = w.get(c.tiedEmbeddings() ? EMBED : LM_HEAD);
      return hidden.getNDArrayInternal().linear(hidden, out, null).get(0);
    }

    /** x W^T (+ b) with W stored (out, in), plus the layer's adapter when it has one. */
    private NDArray linear(NDArray x, String layer, boolean bias) {
      NDArray y = x.getNDArrayInternal()
          .linear(x, w.get(layer + ".weight"), bias ? w.get(layer + ".bias") : null)
          .get(0);
      return w.adapted(layer, x, y);
    }

    /** x / sqrt(mean(x^2) + eps) * g over the last axis. */
    private NDArray rmsNorm(NDArray x, String gain) {
      NDArray inverseRms = x.square().mean(new int[] {-1}, true).add(eps).pow(minusHalf);
      return x.mul(inverseRms).mul(w.get(gain));
    }

    /** Rotary positions in the rotate-half layout: x cos + rotate_half(x) sin. */
    private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
      return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
    }
  }
}
