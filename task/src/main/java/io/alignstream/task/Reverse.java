package io.alignstream.task;

import static io.alignstream.task.Answers.noAnswer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/** "reverse these words : sun moon tree .": exactly the words in reverse order. */
public record Reverse(List<String> words) implements Request {
  /** How many word sequences the task draws; each has three or four distinct words. */
  static final int ITEMS = 300;
  /**
   * Words per request, fixed at three to keep the skill within the tiny model's reach: with three or
   * four words it reversed 13–20% of held-out requests after SFT, a gap of capability, not behaviour.
   */
  static final int WORDS = 3;
  private static final Pattern WORD = Pattern.compile("[a-z]+");

  public Reverse {
    words = List.copyOf(words);
  }

  static Optional<Request> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    List<String> words = List.of(text.split(" "));
    return words.size() >= 2 && words.size() <= 8 && words.stream().allMatch(w -> WORD.matcher(w).matches())
        ? Optional.of(new Reverse(words)) : Optional.empty();
  }

  List<String> reversed() {
    List<String> r = new ArrayList<>(words);
    Collections.reverse(r);
    return r;
  }

  @Override public Kind kind() {
    return Kind.REVERSE;
  }

  @Override public String item() {
    return "reverse " + String.join(" ", words);
  }

  @Override public Map<String, String> slots() {
    return Map.of("words", String.join(" ", words));
  }

  @Override public String desired(Random rnd) {
    return answer(reversed(), rnd);
  }

  @Override public String wrong(Random rnd) {
    if (rnd.nextBoolean()) {
      return answer(words, rnd); // not reversed at all
    }
    List<String> shuffled = new ArrayList<>(words);
    while (shuffled.equals(reversed())) {
      Collections.shuffle(shuffled, rnd);
    }
    return answer(shuffled, rnd);
  }

  private String answer(List<String> order, Random rnd) {
    String text = String.join(" ", order) + " .";
    return rnd.nextDouble() < 0.7 ? text : "here they are : " + text;
  }

  @Override public Verdict check(List<String> tokens) {
    List<String> body = new ArrayList<>(tokens);
    int colon = body.lastIndexOf(":");
    if (colon >= 0) {
      body = new ArrayList<>(body.subList(colon + 1, body.size()));
    }
    body.removeIf(t -> !WORD.matcher(t).matches());
    if (body.isEmpty()) {
      return noAnswer(String.join(" ", reversed()));
    }
    return body.equals(reversed()) ? Verdict.pass("correct")
        : Verdict.fail("wrong-answer", "expected '" + String.join(" ", reversed()) + "', got '"
            + String.join(" ", body) + "'");
  }
}
