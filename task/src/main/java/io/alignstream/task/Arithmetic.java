package io.alignstream.task;

import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.numbers;
import static io.alignstream.task.Answers.pick;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/** "what is 7 plus 5 ?": the answer is the result, and every number mentioned is an operand or it. */
public record Arithmetic(int a, Op op, int b) implements Request {
  static final int MAX_OPERAND = 9;
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,4}");

  static Optional<Request> parse(Map<String, String> slots) {
    String a = slots.get("a");
    String b = slots.get("b");
    Optional<Op> op = Arrays.stream(Op.values()).filter(o -> o.word.equals(slots.get("op"))).findFirst();
    if (a == null || b == null || op.isEmpty() || !NUMBER.matcher(a).matches() || !NUMBER.matcher(b).matches()) {
      return Optional.empty();
    }
    var request = new Arithmetic(Integer.parseInt(a), op.get(), Integer.parseInt(b));
    // Answers are non-negative: the vocabulary has no minus sign.
    return request.result() < 0 ? Optional.empty() : Optional.of(request);
  }

  int result() {
    return op.apply(a, b);
  }

  @Override public Kind kind() {
    return Kind.ARITHMETIC;
  }

  @Override public String item() {
    return a + " " + op.word + " " + b;
  }

  @Override public Map<String, String> slots() {
    return Map.of("a", Integer.toString(a), "op", op.word, "b", Integer.toString(b));
  }

  @Override public String desired(Random rnd) {
    return answer(result(), rnd);
  }

  @Override public String wrong(Random rnd) {
    List<Integer> options = new ArrayList<>();
    for (int d = -3; d <= 3; d++) {
      if (d != 0 && result() + d >= 0) {
        options.add(result() + d);
      }
    }
    for (Op other : Op.values()) {
      int r = other.apply(a, b);
      if (r >= 0 && r != result()) {
        options.add(r); // the classic slip: the wrong operation
      }
    }
    return answer(pick(options, rnd), rnd);
  }

  private String answer(int value, Random rnd) {
    return rnd.nextDouble() < 0.7 ? item() + " is " + value + " ." : "the answer is " + value + " .";
  }

  @Override public Verdict check(List<String> tokens) {
    List<Integer> numbers = numbers(tokens);
    int expected = result();
    if (numbers.isEmpty()) {
      return noAnswer(Integer.toString(expected));
    }
    int last = numbers.get(numbers.size() - 1);
    if (last != expected) {
      return Verdict.fail("wrong-answer", "expected " + expected + ", got " + last);
    }
    for (int n : numbers) {
      if (n != a && n != b && n != expected) {
        return Verdict.fail("wrong-answer", "mentions " + n + ", which is neither an operand nor " + expected);
      }
    }
    return Verdict.pass("correct");
  }

  /** The operations a request may ask for, by the word a prompt uses. */
  enum Op {
    PLUS, MINUS, TIMES;

    final String word = name().toLowerCase(Locale.ROOT);

    int apply(int a, int b) {
      return switch (this) {
        case PLUS -> a + b;
        case MINUS -> a - b;
        case TIMES -> a * b;
      };
    }
  }
}
