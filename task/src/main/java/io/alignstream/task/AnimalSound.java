package io.alignstream.task;

import static io.alignstream.task.Answers.mentioned;
import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.pick;

import java.util.List;
import java.util.Random;
import java.util.Set;

/** "what sound does a cow make ?": the right sound, and no other sound or animal. */
public record AnimalSound(String animal) implements AnimalQuestion {
  String sound() {
    return Facts.SOUNDS.get(animal);
  }

  @Override public Kind kind() {
    return Kind.ANIMAL_SOUND;
  }

  @Override public String item() {
    return "sound of " + animal;
  }

  @Override public String desired(Random rnd) {
    return answer(sound(), rnd);
  }

  @Override public String wrong(Random rnd) {
    List<String> others = Facts.SOUNDS.values().stream().filter(s -> !s.equals(sound())).distinct().toList();
    return answer(pick(others, rnd), rnd);
  }

  private String answer(String s, Random rnd) {
    return subject(rnd) + " says " + s + " .";
  }

  @Override public Verdict check(List<String> tokens) {
    List<String> sounds = mentioned(tokens, Set.copyOf(Facts.SOUNDS.values()));
    if (sounds.isEmpty()) {
      return noAnswer(sound());
    }
    if (!Set.copyOf(sounds).equals(Set.of(sound()))) {
      return Verdict.fail("wrong-answer", "expected " + sound() + ", got " + String.join(" ", sounds));
    }
    return otherAnimal(tokens).orElse(Verdict.pass("correct"));
  }
}
