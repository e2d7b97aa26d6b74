package io.alignstream.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One (prompt, response) pair as token ids; the unit every objective consumes.
 *
 * <p>{@code response} is exactly the tokens that are scored: a finished response ends with the EOS id
 * (see {@link Tokenizer#responseIds}); a generation cut off by the token limit has no EOS. The prompt
 * must not be empty (the first response token is predicted from it). Arrays are not copied: callers
 * must not modify them afterwards.
 *
 * @param prompt prompt token ids, length >= 1
 * @param response response token ids (including the trailing EOS when finished), length >= 1
 */
public record Example(long[] prompt, long[] response) {
  public Example {
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException("Example: prompt must have at least one token (prepend BOS to an empty prompt)");
    }
    if (response == null || response.length == 0) {
      throw new IllegalArgumentException("Example: response must have at least one token (at least the EOS)");
    }
  }

  /** Prompt and response together. */
  public int length() {
    return prompt.length + response.length;
  }

  /** A bootstrap resample of {@code xs}: as many draws with replacement, {@code nextInt.applyAsInt(n)} in [0, n) each. */
  public static List<Example> resample(List<Example> xs, IntUnaryOperator nextInt) {
    List<Example> out = new ArrayList<>(xs.size());
    for (int i = 0; i < xs.size(); i++) {
      out.add(xs.get(nextInt.applyAsInt(xs.size())));
    }
    return out;
  }
}
