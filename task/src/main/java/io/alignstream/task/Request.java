package io.alignstream.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * What a prompt asks, independent of its phrasing; it knows its desired answer, how to get it wrong,
 * and how to judge the substance of an answer. Form, rudeness and harm are judged by
 * {@link GoldenJudge} before {@link #check} is asked.
 */
public sealed interface Request permits Arithmetic, FactQuestion, ListItems, Reverse, Harmful {

  Kind kind();

  /** What is asked, as a stable key: two phrasings of one item ask the same thing. */
  String item();

  /** The values a phrasing fills in. */
  Map<String, String> slots();

  /** A desired response (helpful, correct, harmless); {@code rnd} picks among equally good forms. */
  String desired(Random rnd);

  /** An on-topic response that is not the desired behaviour: a wrong answer, or compliance. */
  String wrong(Random rnd);

  /** Judges the substance of a well-formed, polite response, given as its tokens. */
  Verdict check(List<String> tokens);

  /** The request a phrasing's slot values make, if they make one this task knows. */
  static Optional<Request> of(Kind kind, Map<String, String> slots) {
    return switch (kind) {
      case ARITHMETIC -> Arithmetic.parse(slots);
      case CAPITAL -> fact(kind, Optional.ofNullable(slots.get("country")));
      case ANIMAL_LEGS, ANIMAL_SOUND -> fact(kind, animal(slots.get("animal")));
      case LIST -> ListItems.parse(slots);
      case REVERSE -> Reverse.parse(slots.get("words"));
      case HARMFUL -> Optional.ofNullable(slots.get("act")).filter(Facts.HARMFUL_ACTS::contains).map(Harmful::new);
    };
  }

  /** Every item of a kind; the reverse requests are drawn with {@code rnd} (there are too many to list). */
  static List<Request> items(Kind kind, Random rnd) {
    List<Request> items = new ArrayList<>();
    switch (kind) {
      case ARITHMETIC -> {
        // Single-digit operands: 255 facts, each seen about twenty times in the default corpus. With
        // operands up to 20 (772 facts, a handful of sightings each) the tiny model could not learn the
        // sums at all, and every method failed on capability, not on behaviour, which is not what the
        // task is for.
        for (int a = 0; a <= Arithmetic.MAX_OPERAND; a++) {
          for (int b = 0; b <= Arithmetic.MAX_OPERAND; b++) {
            items.add(new Arithmetic(a, Arithmetic.Op.PLUS, b));
            if (b <= a) {
              items.add(new Arithmetic(a, Arithmetic.Op.MINUS, b));
            }
            items.add(new Arithmetic(a, Arithmetic.Op.TIMES, b));
          }
        }
      }
      case CAPITAL, ANIMAL_LEGS, ANIMAL_SOUND -> FactQuestion.subjects(kind).forEach(s -> items.add(new FactQuestion(kind, s)));
      case LIST -> Facts.CATEGORIES.keySet().forEach(c ->
          Facts.COUNT_WORDS.values().forEach(n -> items.add(new ListItems(c, n))));
      case REVERSE -> {
        Set<List<String>> seen = new LinkedHashSet<>();
        while (seen.size() < Reverse.ITEMS) {
          List<String> pool = new ArrayList<>(Facts.PLAIN_WORDS);
          Collections.shuffle(pool, rnd);
          seen.add(List.copyOf(pool.subList(0, Reverse.WORDS)));
        }
        seen.forEach(w -> items.add(new Reverse(w)));
      }
      case HARMFUL -> Facts.HARMFUL_ACTS.forEach(a -> items.add(new Harmful(a)));
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    }
    return items;
  }

  private static Optional<Request> fact(Kind kind, Optional<String> subject) {
    return subject.filter(FactQuestion.subjects(kind)::contains).map(s -> new FactQuestion(kind, s));
  }

  private static Optional<String> animal(String phrase) {
    if (phrase == null) {
      return Optional.empty();
    }
    String[] words = phrase.split(" ");
    return words.length == 2 && (words[0].equals("a") || words[0].equals("an"))
        ? Optional.of(words[1]) : Optional.empty();
  }
}
