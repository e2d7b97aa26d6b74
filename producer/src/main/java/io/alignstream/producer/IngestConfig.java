package io.alignstream.producer;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the ingest service: what a valid demonstration is, and how the topology runs.
 *
 * <p>Tokens are approximated without a tokenizer: each run of letters or digits, and each other
 * non-space character, counts as one (close to a word-level tokenizer, a lower bound for BPE).
 *
 * @param maxPromptChars longest prompt, in Unicode code points
 * @param maxResponseChars longest response, in Unicode code points
 * @param maxPromptTokens most approximate tokens in a prompt
 * @param maxResponseTokens most approximate tokens in a response
 * @param commitInterval how often the exactly-once topology commits (outputs become visible then)
 * @param stateDir where the topology keeps its local state; null for a fresh temporary directory,
 *     deleted on close (the state is restored from its changelog topic, so nothing is lost)
 */
public record IngestConfig(int maxPromptChars, int maxResponseChars, int maxPromptTokens, int maxResponseTokens,
    Duration commitInterval, Path stateDir) {

  public IngestConfig {
    positive("maxPromptChars", maxPromptChars);
    positive("maxResponseChars", maxResponseChars);
    positive("maxPromptTokens", maxPromptTokens);
    positive("maxResponseTokens", maxResponseTokens);
    if (maxPromptTokens > maxPromptChars || maxResponseTokens > maxResponseChars) {
      throw new IllegalArgumentException("a token is at least one character: token limits (" + maxPromptTokens + ", "
          + maxResponseTokens + ") must not exceed the character limits (" + maxPromptChars + ", " + maxResponseChars + ")");
    }
    if (commitInterval == null || commitInterval.isNegative() || commitInterval.isZero()
        || commitInterval.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("commitInterval must be in (0, 1 min], got " + commitInterval
          + " (100 ms keeps demonstrations flowing to samplers promptly)");
    }
  }

  /**
   * Limits that admit real assistant data (the longest Anthropic HH prompt is about 300 characters,
   * the longest response about 700) with room to spare, and a 100 ms commit interval.
   */
  public static IngestConfig defaults() {
    return new IngestConfig(16_000, 16_000, 4_096, 4_096, Duration.ofMillis(100), null);
  }

  public IngestConfig withLimits(int promptChars, int responseChars, int promptTokens, int responseTokens) {
    return new IngestConfig(promptChars, responseChars, promptTokens, responseTokens, commitInterval, stateDir);
  }

  public IngestConfig withStateDir(Path dir) {
    return new IngestConfig(maxPromptChars, maxResponseChars, maxPromptTokens, maxResponseTokens, commitInterval, dir);
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
  }
}
