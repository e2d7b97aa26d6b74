package io.alignstream.model.llama;

import ai.djl.ndarray.types.DataType;
import io.alignstream.model.HostDecoder;
import io.alignstream.model.HostMath;
import io.alignstream.model.Network;
import io.alignstream.model.Weights;

/** Llama-family decoding on the JVM: the forward pass of {@link LlamaNetwork} over weights copied once. */
final class LlamaHost implements Network.Host {
  private final LlamaConfig c;
  private final float[] embed; // (vocab, d)
  private final HostMath.Matrix output; // lm_head, or the embedding when tied: d to vocab
  private final Layer[] layers;
  private final float[] norm; // (d)
  private final float[] inverseFrequencies; // (headDim / 2)

  /** One block's parameters; absent biases and norms null. */
  private record Layer(float[] inputNorm, HostMath.Matrix q, float[] qBias, HostMath.Matrix k, float[] kBias,
      HostMath.Matrix v, float[] vBias, HostMath.Matrix o, float[] oBias, float[] qNorm, float[] kNorm,
      float[] postNorm, HostMath.Matrix gate, HostMath.Matrix up, HostMath.Matrix down) {}

  private LlamaHost(LlamaConfig c, Weights w) {
    this.c = c;
    embed = w.get(LlamaNetwork.EMBED).toFloatArray();
    int d = c.width();
    int qw = c.heads() * c.headDim();
    int kvw = c.kvHeads() * c.headDim();
    int mlp = c.intermediateSize();
    output = HostMath.Matrix.ofOutIn(c.tiedEmbeddings() ? embed : w.get(LlamaNetwork.LM_HEAD).toFloatArray(),
        c.vocabSize(), d);
    layers = new Layer[c.layers()];
    for (int i = 0; i < c.layers(); i++) {
      String p = "model.layers." + i + ".";
      String a = p + "self_attn.";
      boolean qkvBias = c.qkvBias();
      layers[i] = new Layer(
          get(w, p + "input_layernorm.weight", true),
          matrix(w, a + "q_proj.weight", d, qw), get(w, a + "q_proj.bias", qkvBias),
          matrix(w, a + "k_proj.weight", d, kvw), get(w, a + "k_proj.bias", qkvBias),
          matrix(w, a + "v_proj.weight", d, kvw), get(w, a + "v_proj.bias", qkvBias),
          matrix(w, a + "o_proj.weight", qw, d), get(w, a + "o_proj.bias", c.outputBias()),
          get(w, a + "q_norm.weight", c.qkNorm()), get(w, a + "k_norm.weight", c.qkNorm()),
          get(w, p + "post_attention_layernorm.weight", true),
          matrix(w, p + "mlp.gate_proj.weight", d, mlp), matrix(w, p + "mlp.up_proj.weight", d, mlp),
          matrix(w, p + "mlp.down_proj.weight", mlp, d));
    }
    norm = w.get(LlamaNetwork.NORM).toFloatArray();
    inverseFrequencies = Rope.inverseFrequencies(c);
  }

  /** A copy of float32 weights, or null for any other type. */
  static LlamaHost of(LlamaConfig c, Weights w) {
    return w.dataType() == DataType.FLOAT32 ? new LlamaHost(c, w) : null;
  }

  @Override
  public HostDecoder decoder() {
    return new HostDecoder(c.layers(), c.kvHeads() * c.headDim(), this::forward);
  }

  private static HostMath.Matrix matrix(Weights w, String name, int in, int out) {
    return HostMath.Matrix.ofOutIn(w.get(name).toFloatArray(), out, in);
  }

  private static float[] get(Weights w, String name, boolean present) {
    return present ? w.get(name).toFloatArray() : null;
  }

  /** The forward pass of {@link HostDecoder.Forward}. */
  private float[] forward(HostDecoder.Cache[] caches, int batch, int[] rows, int[] positions, long[] tokens) {
    int n = tokens.length;
    int d = c.width();
    int hd = c.headDim();
    int half = hd / 2;
    int qw = c.heads() * hd; // query width
    int kvw = c.kvHeads() * hd; // key/value width
    int mlp = c.intermediateSize();
    float eps = (float) c.rmsNormEps();
    float[] x = new float[n * d]; // (n, d)
    for (int t = 0; t < n; t++) {
      System.arraycopy(embed, Math.toIntExact(tokens[t]) * d, x, t * d, d);
    }
    // Rotation of every token's position, shared by all layers (angles in float32, as libtorch's).
    float[] cos = new float[n * half];
    float[] sin = new float[n * half];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < half; j++) {
        float angle = (float) positions[t] * inverseFrequencies[j];
        cos[t * half + j] = (float) Math.cos(angle);
        sin[t * half + j] = (float) Math.sin(angle);
      }
    }
    float[] a = new float[n * d];
    float[] q = new float[n * qw];
    float[] k = new float[n * kvw];
    float[] v = new float[n * kvw];
    float[] att = new float[n * qw];
    float[] proj = new float[n * d];
    float[] gate = new float[n * mlp];
    float[] up = new float[n * mlp];
    for (int i = 0; i < layers.length; i++) {
      Layer l = layers[i];
      HostDecoder.Cache cache = caches[i];
      for (int t = 0; t < n; t++) {
        HostMath.rmsNorm(x, t * d, d, l.inputNorm(), eps, a, t * d);
      }
      HostMath.linear(a, n, l.q(), l.qBias(), q);
      HostMath.linear(a, n, l.k(), l.kBias(), k);
      HostMath.linear(a, n, l.v(), l.vBias(), v);
      for (int t = 0; t < n; t++) {
        normAndRotate(q, t * qw, c.heads(), hd, l.qNorm(), eps, cos, sin, t * half);
        normAndRotate(k, t * kvw, c.kvHeads(), hd, l.kNorm(), eps, cos, sin, t * half);
        cache.put(rows[t], positions[t], k, t * kvw, v, t * kvw);
      }
      // Query head h reads key/value head h / group.
      HostDecoder.attend(cache, rows, positions, q, 0, qw, c.heads(), hd, c.groupSize(), att);
      HostMath.linear(att, n, l.o(), l.oBias(), proj);
      HostMath.add(proj, x, n * d);
      for (int t = 0; t < n; t++) {
        HostMath.rmsNorm(x, t * d, d, l.postNorm(), eps, a, t * d);
      }
      HostMath.linear(a, n, l.gate(), null, gate);
      HostMath.linear(a, n, l.up(), null, up);
      HostMath.siluTimes(gate, up, gate.length);
      HostMath.linear(gate, n, l.down(), null, proj);
      HostMath.add(proj, x, n * d);
    }
    return HostDecoder.lastLogits(batch, rows, x, d,
        (h, off, out, outOff) -> HostMath.rmsNorm(h, off, d, norm, eps, out, outOff), output, c.vocabSize());
  }

  /** One token's heads, each {@code hd} wide from {@code off}: its RMS norm (Qwen3's, when {@code gain}) and rotation. */
  private static void normAndRotate(float[] x, int off, int heads, int hd, float[] gain, float eps, float[] cos,
      float[] sin, int at) {
    for (int h = 0; h < heads; h++) {
      int o = off + h * hd;
      if (gain != null) {
        HostMath.rmsNorm(x, o, hd, gain, eps, x, o);
      }
      rotate(x, o, cos, sin, at, hd / 2);
    }
  }

  /** Rotate-half rotation of one head in place: pairs (j, j + half) turned by each frequency's angle. */
  private static void rotate(float[] x, int off, float[] cos, float[] sin, int at, int half) {
    for (int j = 0; j < half; j++) {
      float x1 = x[off + j];
      float x2 = x[off + j + half];
      float cj = cos[at + j];
      float sj = sin[at + j];
      x[off + j] = x1 * cj - x2 * sj;
      x[off + j + half] = x2 * cj + x1 * sj;
    }
  }
}
