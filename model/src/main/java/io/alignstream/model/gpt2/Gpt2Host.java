package io.alignstream.model.gpt2;

import ai.djl.ndarray.types.DataType;
import io.alignstream.model.HostDecoder;
import io.alignstream.model.HostMath;
import io.alignstream.model.Network;
import io.alignstream.model.Weights;

/** GPT-2 decoding on the JVM: the forward pass of {@link Gpt2Network} over weights copied once. */
final class Gpt2Host implements Network.Host {
  private final Gpt2Config c;
  private final float[] wte; // (vocab, d): the embedding
  private final HostMath.Matrix output; // wte as the tied output layer, d to vocab
  private final float[] wpe; // (context, d)
  private final Layer[] layers;
  private final float[] lnfGain; // (d)
  private final float[] lnfBias; // (d)

  /** One block's parameters. */
  private record Layer(float[] ln1Gain, float[] ln1Bias, HostMath.Matrix attn, float[] attnBias, HostMath.Matrix proj,
      float[] projBias, float[] ln2Gain, float[] ln2Bias, HostMath.Matrix fc, float[] fcBias, HostMath.Matrix mlpProj,
      float[] mlpProjBias) {}

  private Gpt2Host(Gpt2Config c, Weights w) {
    this.c = c;
    int d = c.width();
    wte = w.get("wte.weight").toFloatArray();
    output = HostMath.Matrix.ofOutIn(wte, c.vocabSize(), d);
    wpe = w.get("wpe.weight").toFloatArray();
    layers = new Layer[c.layers()];
    for (int i = 0; i < c.layers(); i++) {
      String p = "h." + i + ".";
      layers[i] = new Layer(
          w.get(p + "ln_1.weight").toFloatArray(), w.get(p + "ln_1.bias").toFloatArray(),
          conv1d(w, p + "attn.c_attn", d, 3 * d), w.get(p + "attn.c_attn.bias").toFloatArray(),
          conv1d(w, p + "attn.c_proj", d, d), w.get(p + "attn.c_proj.bias").toFloatArray(),
          w.get(p + "ln_2.weight").toFloatArray(), w.get(p + "ln_2.bias").toFloatArray(),
          conv1d(w, p + "mlp.c_fc", d, 4 * d), w.get(p + "mlp.c_fc.bias").toFloatArray(),
          conv1d(w, p + "mlp.c_proj", 4 * d, d), w.get(p + "mlp.c_proj.bias").toFloatArray());
    }
    lnfGain = w.get("ln_f.weight").toFloatArray();
    lnfBias = w.get("ln_f.bias").toFloatArray();
  }

  /** A copy of float32 weights, or null for any other type. */
  static Gpt2Host of(Gpt2Config c, Weights w) {
    return w.dataType() == DataType.FLOAT32 ? new Gpt2Host(c, w) : null;
  }

  @Override
  public HostDecoder decoder() {
    return new HostDecoder(c.layers(), c.width(), this::forward);
  }

  private static HostMath.Matrix conv1d(Weights w, String layer, int in, int out) {
    return HostMath.Matrix.ofInOut(w.get(layer + ".weight").toFloatArray(), in, out);
  }

  /** The forward pass of {@link HostDecoder.Forward}. */
  private float[] forward(HostDecoder.Cache[] caches, int batch, int[] rows, int[] positions, long[] tokens) {
    int n = tokens.length;
    int d = c.width();
    int hw = c.headWidth();
    float eps = (float) c.layerNormEps();
    float[] x = new float[n * d]; // (n, d)
    for (int t = 0; t < n; t++) {
      int tok = Math.toIntExact(tokens[t]);
      for (int j = 0; j < d; j++) {
        x[t * d + j] = wte[tok * d + j] + wpe[positions[t] * d + j];
      }
    }
    float[] a = new float[n * d];
    float[] qkv = new float[n * 3 * d];
    float[] att = new float[n * d];
    float[] proj = new float[n * d];
    float[] hidden = new float[n * 4 * d];
    for (int i = 0; i < layers.length; i++) {
      Layer l = layers[i];
      HostDecoder.Cache cache = caches[i];
      for (int t = 0; t < n; t++) {
        HostMath.layerNorm(x, t * d, d, l.ln1Gain(), l.ln1Bias(), eps, a, t * d);
      }
      HostMath.linear(a, n, l.attn(), l.attnBias(), qkv); // (n, 3d): q, k, v
      for (int t = 0; t < n; t++) {
        cache.put(rows[t], positions[t], qkv, t * 3 * d + d, qkv, t * 3 * d + 2 * d);
      }
      HostDecoder.attend(cache, rows, positions, qkv, 0, 3 * d, c.heads(), hw, 1, att);
      HostMath.linear(att, n, l.proj(), l.projBias(), proj);
      HostMath.add(proj, x, n * d);
      for (int t = 0; t < n; t++) {
        HostMath.layerNorm(x, t * d, d, l.ln2Gain(), l.ln2Bias(), eps, a, t * d);
      }
      HostMath.linear(a, n, l.fc(), l.fcBias(), hidden);
      HostMath.geluTanh(hidden, hidden.length);
      HostMath.linear(hidden, n, l.mlpProj(), l.mlpProjBias(), proj);
      HostMath.add(proj, x, n * d);
    }
    return HostDecoder.lastLogits(batch, rows, x, d,
        (h, off, out, outOff) -> HostMath.layerNorm(h, off, d, lnfGain, lnfBias, eps, out, outOff), output, c.vocabSize());
  }
}
