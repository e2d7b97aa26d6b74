package io.alignstream.task;

import java.util.Collection;
import java.util.List;
import java.util.Random;

/** What the requests share in writing and judging answers: a random pick, and what a response mentions. */
final class Answers {
  private Answers() {}

  /** One of {@code options}, drawn with {@code rnd}. */
  static <T> T pick(List<T> options, Random rnd) {
    return options.get(rnd.nextInt(options.size()));
  }

  /** The numbers a response mentions, in order. */
  static List<Integer> numbers(List<String> tokens) {
    return tokens.stream().filter(t -> t.chars().allMatch(Character::isDigit) && t.length() <= 9)
        .map(Integer::parseInt).toList();
  }

  /** The words of {@code vocabulary} a response mentions, in order. */
  static List<String> mentioned(List<String> tokens, Collection<String> vocabulary) {
    return tokens.stream().filter(vocabulary::contains).toList();
  }

  /** The verdict on a response that does not answer at all. */
  static Verdict noAnswer(String expected) {
    return Verdict.fail("no-answer", "expected " + expected);
  }
}
