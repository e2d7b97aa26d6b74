package io.alignstream.model;

import java.util.List;

/**
 * Incremental decoding of a batch over one weights snapshot: a pass over the prompts, then one token per
 * row per step, each returning the next-token logits of every row. Each row decodes exactly as it would
 * alone. Used by one thread, and closed by it.
 */
public interface TokenDecoder extends AutoCloseable {
  /**
   * The pass over the prompts (each non-empty); returns the logits of each row's next token.
   *
   * @return (batch, vocab) row-major
   */
  float[] prefill(List<long[]> prompts);

  /**
   * Appends one token per row (finished rows are fed anything, e.g. the EOS; their outputs are ignored)
   * and returns the logits of the token after it.
   *
   * @return (batch, vocab) row-major
   */
  float[] step(long[] next);

  @Override
  void close();
}
