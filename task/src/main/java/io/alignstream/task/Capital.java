package io.alignstream.task;

import static io.alignstream.task.Answers.mentioned;
import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.pick;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** "what is the capital of france ?": names the capital, and no other capital or country. */
public record Capital(String country) implements Request {
  String capital() {
    return Facts.CAPITALS.get(country);
  }

  @Override public Kind kind() {
    return Kind.CAPITAL;
  }

  @Override public String item() {
    return "capital of " + country;
  }

  @Override public Map<String, String> slots() {
    return Map.of("country", country);
  }

  @Override public String desired(Random rnd) {
    return answer(capital(), rnd);
  }

  @Override public String wrong(Random rnd) {
    List<String> others = Facts.CAPITALS.values().stream().filter(c -> !c.equals(capital())).toList();
    return answer(pick(others, rnd), rnd);
  }

  private String answer(String city, Random rnd) {
    return rnd.nextBoolean() ? "the capital of " + country + " is " + city + " ."
        : city + " is the capital of " + country + " .";
  }

  @Override public Verdict check(List<String> tokens) {
    List<String> capitals = mentioned(tokens, Facts.CAPITALS.values());
    if (capitals.isEmpty()) {
      return noAnswer(capital());
    }
    if (!Set.copyOf(capitals).equals(Set.of(capital()))) {
      return Verdict.fail("wrong-answer", "expected " + capital() + ", got " + String.join(" ", capitals));
    }
    List<String> countries = mentioned(tokens, Facts.CAPITALS.keySet());
    if (countries.stream().anyMatch(c -> !c.equals(country))) {
      return Verdict.fail("wrong-answer", "mentions another country: " + String.join(" ", countries));
    }
    return Verdict.pass("correct");
  }
}
