package io.alignstream.task;

import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.numbers;
import static io.alignstream.task.Answers.pick;

import java.util.List;
import java.util.Random;
import java.util.Set;

/** "how many legs does a dog have ?": the right count, and no other number or animal. */
public record AnimalLegs(String animal) implements AnimalQuestion {
  int legs() {
    return Facts.LEGS.get(animal);
  }

  @Override public Kind kind() {
    return Kind.ANIMAL_LEGS;
  }

  @Override public String item() {
    return "legs of " + animal;
  }

  @Override public String desired(Random rnd) {
    return answer(legs(), rnd);
  }

  @Override public String wrong(Random rnd) {
    return answer(pick(Facts.LEG_COUNTS.stream().filter(n -> n != legs()).toList(), rnd), rnd);
  }

  private String answer(int n, Random rnd) {
    return subject(rnd) + " has " + n + " legs .";
  }

  @Override public Verdict check(List<String> tokens) {
    List<Integer> numbers = numbers(tokens);
    if (numbers.isEmpty()) {
      return noAnswer(Integer.toString(legs()));
    }
    if (!Set.copyOf(numbers).equals(Set.of(legs()))) {
      return Verdict.fail("wrong-answer", "expected " + legs() + ", got " + numbers);
    }
    return otherAnimal(tokens).orElse(Verdict.pass("correct"));
  }
}
