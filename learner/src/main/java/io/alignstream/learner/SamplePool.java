package io.alignstream.learner;

import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The recent responses of each population the discriminator can take its positives and negatives
 * from. Bounded per source: the oldest leave first, so "current policy samples" stay current.
 */
final class SamplePool {
  private final Map<Source, Deque<Example>> bySource = new EnumMap<>(Source.class);
  private final Map<Source, Integer> capacity = new EnumMap<>(Source.class);

  SamplePool(int currentPolicyCapacity, int otherCapacity) {
    for (Source s : Source.values()) {
      bySource.put(s, new ArrayDeque<>());
      capacity.put(s, s == Source.CURRENT_POLICY_SAMPLES ? currentPolicyCapacity : otherCapacity);
    }
  }

  void add(Source source, Example e) {
    Deque<Example> q = bySource.get(source);
    q.addLast(e);
    while (q.size() > capacity.get(source)) {
      q.removeFirst();
    }
  }

  int size(Source source) {
    return bySource.get(source).size();
  }

  /** {@code n} examples drawn uniformly with replacement; empty if the source has none. */
  List<Example> draw(Source source, int n, Random random) {
    List<Example> all = new ArrayList<>(bySource.get(source));
    List<Example> out = new ArrayList<>(n);
    if (all.isEmpty()) {
      return out;
    }
    for (int i = 0; i < n; i++) {
      out.add(all.get(random.nextInt(all.size())));
    }
    return out;
  }

  List<Example> all(Source source) {
    return new ArrayList<>(bySource.get(source));
  }

  /** The pool as JSON-friendly lists: source → [[prompt ids], [response ids]] per example. */
  Map<String, List<List<long[]>>> toJson() {
    Map<String, List<List<long[]>>> out = new java.util.TreeMap<>();
    bySource.forEach((s, q) -> out.put(s.name(), q.stream().map(e -> List.of(e.prompt(), e.response())).toList()));
    return out;
  }

  /** Refills the pool from {@link #toJson()}'s form as read back by Jackson. */
  void fromJson(Map<String, List<List<List<Number>>>> json) {
    if (json == null) {
      return;
    }
    json.forEach((name, examples) -> {
      for (List<List<Number>> e : examples) {
        add(Source.valueOf(name), new Example(longs(e.get(0)), longs(e.get(1))));
      }
    });
  }

  private static long[] longs(List<Number> xs) {
    long[] out = new long[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = xs.get(i).longValue();
    }
    return out;
  }
}
