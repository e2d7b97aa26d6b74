package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Right-padded arrays for a batch of {@link Example}s. Right padding needs only the causal mask:
 * a real position never attends to a later (padding) one, and padded targets carry mask 0.
 */
final class TokenBatch {
  final int batch;
  final int length;
  final long[] inputs; // (batch, length) prompt ++ response without its last token, padded
  final long[] targets; // (batch, length) the next token at every input position
  final float[] responseMask; // (batch, length) 1 where the target is a response token
  final long[] fullIds; // (batch, length + 1) prompt ++ response, padded (for reward heads)
  final float[] fullResponse; // (batch, length + 1) 1 at the response's tokens in fullIds (for reward heads)
  final float[] responseTokens; // (batch, 1) how many response tokens each row has

  private TokenBatch(List<Example> examples, int contextLength, long padId) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    batch = examples.size();
    int max = 0;
    for (Example e : examples) {
      if (e.length() > contextLength) {
        throw new IllegalArgumentException("sequence of " + e.length() + " tokens (prompt " + e.prompt().length
            + " + response " + e.response().length + ") exceeds the context length " + contextLength);
      }
      max = Math.max(max, e.length());
    }
    length = max - 1;
    inputs = new long[batch * length];
    targets = new long[batch * length];
    responseMask = new float[batch * length];
    fullIds = new long[batch * (length + 1)];
    fullResponse = new float[batch * (length + 1)];
    responseTokens = new float[batch];
    java.util.Arrays.fill(inputs, padId);
    java.util.Arrays.fill(targets, padId);
    java.util.Arrays.fill(fullIds, padId);
    for (int b = 0; b < batch; b++) {
      Example e = examples.get(b);
      long[] seq = new long[e.length()];
      System.arraycopy(e.prompt(), 0, seq, 0, e.prompt().length);
      System.arraycopy(e.response(), 0, seq, e.prompt().length, e.response().length);
      System.arraycopy(seq, 0, fullIds, b * (length + 1), seq.length);
      for (int t = 0; t < seq.length - 1; t++) {
        inputs[b * length + t] = seq[t];
        targets[b * length + t] = seq[t + 1];
        responseMask[b * length + t] = t + 1 >= e.prompt().length ? 1f : 0f;
      }
      for (int t = e.prompt().length; t < seq.length; t++) {
        fullResponse[b * (length + 1) + t] = 1f;
      }
      responseTokens[b] = e.response().length;
    }
  }

  static TokenBatch of(List<Example> examples, ModelConfig config) {
    return new TokenBatch(examples, config.contextLength(), config.eosTokenId());
  }

  /**
   * Log-probability of every target token under the model, teacher-forced.
   *
   * @return (batch, length); positions outside the response are not masked here (see {@link #mask})
   */
  NDArray tokenLogProbs(ModelConfig c, Weights w, NDManager m) {
    NDArray ids = m.create(inputs, new Shape(batch, length)); // (batch, length)
    NDArray positions = m.arange(0, length, 1, DataType.INT64).reshape(1, length); // (1, length)
    NDArray mask = AttentionMask.causal(m, length, w.dataType()); // (1, 1, length, length)
    Network.Pass pass = c.network().pass(w, m);
    NDArray hidden = pass.hidden(ids, positions, mask, null); // (batch, length, d)
    NDArray logProbs = pass.logits(hidden).logSoftmax(-1); // (batch, length, vocab)
    NDArray target = m.create(targets, new Shape(batch, length, 1)); // (batch, length, 1)
    return logProbs.gather(target, -1).reshape(batch, length); // (batch, length)
  }

  /** Response mask (batch, length) in the weights' type. */
  NDArray mask(NDManager m, DataType type) {
    NDArray mask = m.create(responseMask, new Shape(batch, length));
    return type == DataType.FLOAT32 ? mask : mask.toType(type, false);
  }

  /**
   * Mean final hidden state over each row's response tokens (EOS included): what a reward head reads.
   * The mean keeps what kind of reply the whole response is, where the last token alone carries mostly
   * the end of it.
   *
   * @return (batch, width)
   */
  NDArray responseMeanHidden(ModelConfig c, Weights w, NDManager m) {
    int full = length + 1;
    NDArray ids = m.create(fullIds, new Shape(batch, full)); // (batch, full)
    NDArray positions = m.arange(0, full, 1, DataType.INT64).reshape(1, full); // (1, full)
    NDArray mask = AttentionMask.causal(m, full, w.dataType()); // (1, 1, full, full)
    NDArray hidden = c.network().pass(w, m).hidden(ids, positions, mask, null); // (batch, full, d)
    NDArray response = m.create(fullResponse, new Shape(batch, full, 1)).toType(w.dataType(), false); // (batch, full, 1)
    NDArray count = m.create(responseTokens, new Shape(batch, 1)).toType(w.dataType(), false); // (batch, 1)
    return hidden.mul(response).sum(new int[] {1}).div(count); // (batch, d)
  }
}
