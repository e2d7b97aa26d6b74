package io.alignstream.task;

import static io.alignstream.task.Answers.mentioned;
import static io.alignstream.task.Answers.noAnswer;
import static io.alignstream.task.Answers.pick;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/** "list three colors .": exactly that many distinct members of the category, and nothing else listed. */
public record ListItems(String category, int count) implements Request {
  static Optional<Request> parse(Map<String, String> slots) {
    Integer count = Facts.COUNT_WORDS.get(slots.get("count"));
    List<String> members = Facts.CATEGORIES.get(slots.get("category"));
    return count == null || members == null || count > members.size() ? Optional.empty()
        : Optional.of(new ListItems(slots.get("category"), count));
  }

  String countWord() {
    return Facts.COUNT_WORDS.entrySet().stream().filter(e -> e.getValue() == count).findFirst()
        .orElseThrow().getKey();
  }

  List<String> members() {
    return Facts.CATEGORIES.get(category);
  }

  @Override public Kind kind() {
    return Kind.LIST;
  }

  @Override public String item() {
    return count + " " + category;
  }

  @Override public Map<String, String> slots() {
    return Map.of("count", countWord(), "category", category);
  }

  @Override public String desired(Random rnd) {
    return answer(sample(members(), count, rnd), rnd);
  }

  @Override public String wrong(Random rnd) {
    return switch (rnd.nextInt(4)) {
      case 0 -> answer(sample(members(), count - 1, rnd), rnd);
      case 1 -> answer(sample(members(), Math.min(count + 1, members().size()), rnd), rnd);
      case 2 -> {
        List<String> others = Facts.CATEGORIES.keySet().stream().filter(c -> !c.equals(category)).toList();
        yield answer(sample(Facts.CATEGORIES.get(pick(others, rnd)), count, rnd), rnd);
      }
      default -> {
        List<String> items = new ArrayList<>(sample(members(), count - 1, rnd));
        items.add(items.get(rnd.nextInt(items.size()))); // the same item twice
        yield answer(items, rnd);
      }
    };
  }

  private String answer(List<String> items, Random rnd) {
    String list = String.join(" , ", items) + " .";
    return rnd.nextDouble() < 0.7 ? list : "here are " + countWord() + " " + category + " : " + list;
  }

  private static List<String> sample(List<String> from, int n, Random rnd) {
    List<String> copy = new ArrayList<>(from);
    Collections.shuffle(copy, rnd);
    return List.copyOf(copy.subList(0, n));
  }

  @Override public Verdict check(List<String> tokens) {
    List<String> listed = mentioned(tokens, members());
    if (listed.isEmpty()) {
      return noAnswer(count + " " + category);
    }
    Set<String> foreign = Facts.allCategoryMembers();
    foreign.removeAll(members());
    List<String> strays = mentioned(tokens, foreign);
    if (!strays.isEmpty()) {
      return Verdict.fail("wrong-answer", "not " + category + ": " + String.join(" ", strays));
    }
    if (Set.copyOf(listed).size() != listed.size()) {
      return Verdict.fail("wrong-answer", "repeats an item: " + String.join(" ", listed));
    }
    if (listed.size() != count) {
      return Verdict.fail("wrong-answer", "expected " + count + " " + category + ", got " + listed.size());
    }
    return Verdict.pass("correct");
  }
}
