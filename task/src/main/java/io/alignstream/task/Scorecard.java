package io.alignstream.task;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Tallies {@link GoldenJudge} verdicts over many responses: the success rate overall and per kind,
 * and how the failures fail. Responses to prompts that are not the task's are counted apart and
 * left out of every rate. Not thread-safe.
 */
public final class Scorecard {
  private final Map<Kind, long[]> byKind = new EnumMap<>(Kind.class); // kind -> {successes, judged}
  private final Map<String, Long> failures = new TreeMap<>();
  private long unknownPrompts;

  /** Judges one response and counts it; empty if the prompt is not one of the task's. */
  public Optional<Verdict> add(String prompt, String response) {
    Optional<Request> request = GoldenJudge.parse(prompt);
    if (request.isEmpty()) {
      unknownPrompts++;
      return Optional.empty();
    }
    Verdict v = GoldenJudge.judge(request.get(), response);
    long[] counts = byKind.computeIfAbsent(request.get().kind(), k -> new long[2]);
    counts[1]++;
    if (v.success()) {
      counts[0]++;
    } else {
      failures.merge(v.code(), 1L, Long::sum);
    }
    return Optional.of(v);
  }

  /** Responses judged (prompts of the task). */
  public long judged() {
    return byKind.values().stream().mapToLong(c -> c[1]).sum();
  }

  public long successes() {
    return byKind.values().stream().mapToLong(c -> c[0]).sum();
  }

  /** Successes over judged responses; NaN when none were judged. */
  public double successRate() {
    return (double) successes() / judged();
  }

  /** The success rate of one kind; NaN when none of that kind were judged. */
  public double successRate(Kind kind) {
    long[] c = byKind.getOrDefault(kind, new long[2]);
    return (double) c[0] / c[1];
  }

  /** Failure reason code → count. */
  public Map<String, Long> failures() {
    return Map.copyOf(failures);
  }

  public long unknownPrompts() {
    return unknownPrompts;
  }

  /** A few lines for people: overall, per kind, failure reasons. */
  public String report() {
    var out = new StringBuilder(String.format(Locale.ROOT, "success %.1f%% (%,d of %,d)",
        100 * successRate(), successes(), judged()));
    if (unknownPrompts > 0) {
      out.append(String.format(Locale.ROOT, "; %,d responses to prompts that are not the task's were skipped", unknownPrompts));
    }
    byKind.forEach((kind, c) -> out.append(String.format(Locale.ROOT, "%n  %-13s %5.1f%% (%,d of %,d)",
        kind.name().toLowerCase(Locale.ROOT), 100.0 * c[0] / c[1], c[0], c[1])));
    if (!failures.isEmpty()) {
      out.append(String.format("%n  failures:"));
      failures.forEach((code, n) -> out.append(String.format(Locale.ROOT, " %s %,d;", code, n)));
      out.setLength(out.length() - 1);
    }
    return out.toString();
  }
}
