package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** What tests read of a model beyond its API: full-pass logits and the native arrays it owns. */
final class Probes {
  private Probes() {}

  /** Full-pass logits of one unpadded sequence, (seq, vocab) row-major. */
  static float[] logits(BaseModel model, long[] ids) {
    return model.read(w -> {
      try (GradMode off = GradMode.off(); NDManager m = model.root.newSubManager()) {
        int n = ids.length;
        NDArray x = m.create(ids, new Shape(1, n));
        NDArray pos = m.arange(0, n, 1, DataType.INT64).reshape(1, n);
        Network.Pass pass = model.config().network().pass(w, m);
        NDArray h = pass.hidden(x, pos, AttentionMask.causal(m, n, w.dataType()), null);
        return pass.logits(h).toType(DataType.FLOAT32, false).toFloatArray();
      }
    });
  }

  /** Live native arrays owned by a model: its weights plus anything a step leaked. */
  static int liveArrays(BaseModel model) {
    return model.root.getManagedArrays().size();
  }
}
