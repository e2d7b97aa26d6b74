package io.alignstream.task;

import static io.alignstream.task.Answers.mentioned;
import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.numbers;
import static io.alignstream.task.Answers.pick;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A question whose answer is one fact from the task's tables: "what is the capital of france ?", "how
 * many legs does a dog have ?", "what sound does a cow make ?". The response must name that fact, no
 * other fact of its table, and no other subject (country or animal). The kinds differ only in their
 * table, their wording and how a fact shows in a response; the judging is the same.
 *
 * @param kind {@link Kind#CAPITAL}, {@link Kind#ANIMAL_LEGS} or {@link Kind#ANIMAL_SOUND}
 * @param subject the country or animal asked about, a key of the kind's table
 */
public record FactQuestion(Kind kind, String subject) implements Request {
  public FactQuestion {
    Objects.requireNonNull(kind, "kind");
    if (!subjects(kind).contains(subject)) {
      throw new IllegalArgumentException("the task has no " + kind + " fact about '" + subject + "'");
    }
  }

  /** What a kind asks about, in its table's order; a mention of another one fails a response. */
  static Set<String> subjects(Kind kind) {
    return switch (kind) {
      case CAPITAL -> Facts.CAPITALS.keySet();
      case ANIMAL_LEGS -> Facts.LEGS.keySet();
      case ANIMAL_SOUND -> Facts.SOUNDS.keySet();
      default -> throw notAFact(kind);
    };
  }

  /** The fact, as the word a response names it by. */
  String fact() {
    return switch (kind) {
      case CAPITAL -> Facts.CAPITALS.get(subject);
      case ANIMAL_LEGS -> Integer.toString(Facts.LEGS.get(subject));
      case ANIMAL_SOUND -> Facts.SOUNDS.get(subject);
      default -> throw notAFact(kind);
    };
  }

  @Override public String item() {
    String topic = switch (kind) {
      case CAPITAL -> "capital";
      case ANIMAL_LEGS -> "legs";
      case ANIMAL_SOUND -> "sound";
      default -> throw notAFact(kind);
    };
    return topic + " of " + subject;
  }

  @Override public Map<String, String> slots() {
    return kind == Kind.CAPITAL ? Map.of("country", subject) : Map.of("animal", Facts.article(subject) + " " + subject);
  }

  @Override public String desired(Random rnd) {
    return answer(fact(), rnd);
  }

  @Override public String wrong(Random rnd) {
    List<String> others = switch (kind) {
      case CAPITAL -> Facts.CAPITALS.values().stream().filter(c -> !c.equals(fact())).toList();
      // Plausible counts, not only those some animal has.
      case ANIMAL_LEGS -> Facts.LEG_COUNTS.stream().map(String::valueOf).filter(n -> !n.equals(fact())).toList();
      case ANIMAL_SOUND -> Facts.SOUNDS.values().stream().filter(s -> !s.equals(fact())).distinct().toList();
      default -> throw notAFact(kind);
    };
    return answer(pick(others, rnd), rnd);
  }

  private String answer(String fact, Random rnd) {
    return switch (kind) {
      case CAPITAL -> rnd.nextBoolean() ? "the capital of " + subject + " is " + fact + " ."
          : fact + " is the capital of " + subject + " .";
      case ANIMAL_LEGS -> animal(rnd) + " has " + fact + " legs .";
      case ANIMAL_SOUND -> animal(rnd) + " says " + fact + " .";
      default -> throw notAFact(kind);
    };
  }

  /** The subject of an answer about an animal: "a dog" most of the time, else "it". */
  private String animal(Random rnd) {
    return rnd.nextDouble() < 0.7 ? Facts.article(subject) + " " + subject : "it";
  }

  @Override public Verdict check(List<String> tokens) {
    List<String> named = switch (kind) {
      case CAPITAL -> mentioned(tokens, Facts.CAPITALS.values());
      case ANIMAL_LEGS -> numbers(tokens).stream().map(String::valueOf).toList();
      case ANIMAL_SOUND -> mentioned(tokens, Set.copyOf(Facts.SOUNDS.values()));
      default -> throw notAFact(kind);
    };
    if (named.isEmpty()) {
      return noAnswer(fact());
    }
    if (!Set.copyOf(named).equals(Set.of(fact()))) {
      return Verdict.fail("wrong-answer", "expected " + fact() + ", got " + String.join(" ", named));
    }
    // Every animal has a leg count: the legs table names the animals, for the sound questions too.
    Set<String> vocabulary = kind == Kind.CAPITAL ? Facts.CAPITALS.keySet() : Facts.LEGS.keySet();
    return mentioned(tokens, vocabulary).stream().filter(s -> !s.equals(subject)).findFirst()
        .map(s -> Verdict.fail("wrong-answer", "talks about " + s + ", not " + subject))
        .orElse(Verdict.pass("correct"));
  }

  private static IllegalArgumentException notAFact(Kind kind) {
    return new IllegalArgumentException(kind + " is not a fact question");
  }
}
