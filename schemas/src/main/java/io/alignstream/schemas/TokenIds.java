package io.alignstream.schemas;

import java.util.ArrayList;
import java.util.List;

/**
 * Token ids as the records carry them ({@code array<int>}: a {@code List<Integer>} in the generated
 * classes) and as the model takes them ({@code long[]}); the sampler, the rewarder and the learner
 * convert through here.
 */
public final class TokenIds {
  private TokenIds() {}

  /** (length) the record's ids as the model takes them. */
  public static long[] toArray(List<Integer> ids) {
    long[] out = new long[ids.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ids.get(i);
    }
    return out;
  }

  /** (length) the model's ids as a record field; every id of a vocabulary fits an int. */
  public static List<Integer> toList(long[] ids) {
    List<Integer> out = new ArrayList<>(ids.length);
    for (long id : ids) {
      out.add((int) id);
    }
    return out;
  }
}
