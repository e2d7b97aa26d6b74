package io.alignstream.learner;

/** "Did you mean": the known key closest to a mistyped one by edit distance, if any is close. */
final class KeySuggestion {
  private KeySuggestion() {}

  static String of(String key, java.util.Set<String> known) {
    String best = null;
    int bestDistance = 4;
    for (String k : known) {
      int dist = distance(key, k);
      if (dist < bestDistance) {
        bestDistance = dist;
        best = k;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
