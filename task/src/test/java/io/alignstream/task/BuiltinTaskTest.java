package io.alignstream.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BuiltinTaskTest {
  private static BuiltinTask task;

  @BeforeAll
  static void generate() {
    task = BuiltinTask.generate(TaskConfig.defaults());
  }

  private static double successRate(List<String[]> promptResponses) {
    long ok = promptResponses.stream().filter(pr -> GoldenJudge.judge(pr[0], pr[1]).success()).count();
    return (double) ok / promptResponses.size();
  }

  @Test
  void demonstrationsAllSucceed() {
    assertEquals(96, task.demonstrations().size());
    for (LabelledPair d : task.demonstrations()) {
      Verdict v = GoldenJudge.judge(d.prompt(), d.response());
      assertTrue(v.success(), () -> d + " -> " + v);
    }
    assertEquals(EnumSet.allOf(Kind.class),
        task.demonstrations().stream().map(LabelledPair::kind).collect(Collectors.toCollection(() -> EnumSet.noneOf(Kind.class))));
  }

  @Test
  void corpusBehavesWellOnlyAMinorityOfTheTime() {
    List<String[]> pairs = task.corpus().stream().map(e -> new String[] {e.prompt(), e.response()}).toList();
    double judged = successRate(pairs);
    assertEquals(0.35, judged, 1e-9, "judged success equals the desired fraction exactly");
    assertEquals(10_500, task.desiredInCorpus());
    // The desired behaviour is there for every kind, so SFT and a reward model can find it.
    for (Kind k : Kind.values()) {
      assertTrue(task.corpus().stream().anyMatch(e -> e.kind() == k && e.behaviour() == Behaviour.DESIRED), k.name());
    }
  }

  @Test
  void everyUndesiredKindIsJudgedAFailureAndEveryDesiredASuccess() {
    Map<Behaviour, Integer> seen = new HashMap<>();
    for (LabelledPair e : task.corpus()) {
      Verdict v = GoldenJudge.judge(e.prompt(), e.response());
      assertEquals(e.behaviour() == Behaviour.DESIRED, v.success(), () -> e + " -> " + v);
      seen.merge(e.behaviour(), 1, Integer::sum);
    }
    assertEquals(EnumSet.allOf(Behaviour.class), EnumSet.copyOf(seen.keySet()), "every behaviour occurs: " + seen);
  }

  /** The best a model can do by copying the corpus's most common answer: still mostly bad. */
  @Test
  void majorityImitationOfTheCorpusFailsMostly() {
    Map<String, List<String>> byPrompt = new LinkedHashMap<>();
    task.corpus().forEach(e -> byPrompt.computeIfAbsent(e.prompt(), p -> new ArrayList<>()).add(e.response()));
    List<String[]> majority = new ArrayList<>();
    List<String[]> greedy = new ArrayList<>();
    byPrompt.forEach((prompt, responses) -> {
      majority.add(new String[] {prompt, mostCommon(responses, Function.identity())});
      greedy.add(new String[] {prompt, greedyDecode(responses)});
    });
    double majorityRate = successRate(majority);
    double greedyRate = successRate(greedy);
    System.out.printf("corpus imitation: majority answer per prompt %.1f%%, token-greedy per prompt %.1f%%%n",
        100 * majorityRate, 100 * greedyRate);
    assertTrue(majorityRate < 0.4, "majority imitation succeeds " + majorityRate);
    assertTrue(greedyRate < 0.4, "greedy imitation succeeds " + greedyRate);
  }

  /** Greedy decoding of a perfect per-prompt imitator: the most common next token among matching responses. */
  private static String greedyDecode(List<String> responses) {
    List<List<String>> candidates = responses.stream().map(GoldenJudge::tokens).toList();
    List<String> out = new ArrayList<>();
    while (true) {
      int pos = out.size();
      List<List<String>> live = candidates.stream().filter(t -> t.size() >= pos && t.subList(0, pos).equals(out)).toList();
      String next = mostCommon(live, t -> t.size() == pos ? "<eos>" : t.get(pos));
      if (next.equals("<eos>")) {
        return String.join(" ", out);
      }
      out.add(next);
    }
  }

  private static <T> String mostCommon(List<T> items, Function<T, String> key) {
    Map<String, Long> counts = items.stream().collect(Collectors.groupingBy(key, LinkedHashMap::new, Collectors.counting()));
    return counts.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder()))).orElseThrow().getKey();
  }

  @Test
  void evaluationPromptsAreHeldOut() {
    Set<String> train = task.trainPrompts().stream().map(TaskPrompt::text).collect(Collectors.toSet());
    assertEquals(320, task.evalPrompts().size());
    assertEquals(320, task.evalPrompts().stream().map(TaskPrompt::text).distinct().count());
    for (TaskPrompt p : task.evalPrompts()) {
      assertFalse(train.contains(p.text()), p.text());
    }
    task.corpus().forEach(e -> assertTrue(train.contains(e.prompt()), e.prompt()));
    task.demonstrations().forEach(e -> assertTrue(train.contains(e.prompt()), e.prompt()));
    assertEquals(EnumSet.allOf(Kind.class),
        task.evalPrompts().stream().map(TaskPrompt::kind).collect(Collectors.toCollection(() -> EnumSet.noneOf(Kind.class))));
    // Every fact asked in evaluation is also asked in training (in another phrasing) ...
    Set<Request> trainedItems = task.trainPrompts().stream().map(TaskPrompt::request).collect(Collectors.toSet());
    task.evalPrompts().stream().filter(p -> p.kind().factual)
        .forEach(p -> assertTrue(trainedItems.contains(p.request()), p.text()));
    // ... and every word of an evaluation prompt is in the corpus, so a word-level tokenizer knows it.
    Set<String> corpusWords = new java.util.HashSet<>();
    task.corpus().forEach(e -> {
      corpusWords.addAll(GoldenJudge.tokens(e.prompt()));
      corpusWords.addAll(GoldenJudge.tokens(e.response()));
    });
    task.evalPrompts().forEach(p -> assertTrue(corpusWords.containsAll(GoldenJudge.tokens(p.text())), p.text()));
  }

  @Test
  void everyPromptReadsBackAsWhatItAsks() {
    for (TaskPrompt p : task.trainPrompts()) {
      assertEquals(p.request(), GoldenJudge.parse(p.text()).orElseThrow(), p.text());
    }
    for (TaskPrompt p : task.evalPrompts()) {
      assertEquals(p.request(), GoldenJudge.parse(p.text()).orElseThrow(), p.text());
    }
  }

  @Test
  void sizedForATinyWordLevelModel() {
    int vocabulary = task.vocabulary().size();
    System.out.println("vocabulary: " + vocabulary + " words");
    assertTrue(vocabulary >= 200 && vocabulary <= 500, "vocabulary " + vocabulary);
    int longestPrompt = task.trainPrompts().stream().mapToInt(p -> GoldenJudge.tokens(p.text()).size()).max().orElseThrow();
    int longestResponse = task.corpus().stream().mapToInt(e -> GoldenJudge.tokens(e.response()).size()).max().orElseThrow();
    assertTrue(longestPrompt <= 20, "prompt of " + longestPrompt + " tokens");
    assertTrue(longestResponse <= 24, "response of " + longestResponse + " tokens");
    for (String word : task.vocabulary()) {
      assertTrue(word.matches("[a-z0-9]+|[.,?!:]"), word);
    }
  }

  @Test
  void theSeedDeterminesEverything() {
    BuiltinTask again = BuiltinTask.generate(TaskConfig.defaults());
    assertEquals(task, again);
    BuiltinTask other = BuiltinTask.generate(TaskConfig.defaults().withSeed(7));
    assertNotEquals(task.corpus(), other.corpus());
    assertNotEquals(task.evalPrompts(), other.evalPrompts());
  }

  @Test
  void configSaysHowToFixItself() {
    var e = assertThrows(IllegalArgumentException.class, () -> new TaskConfig(1, 100, 0.0, 0.5, 10, 10));
    assertTrue(e.getMessage().contains("desiredFraction"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new TaskConfig(1, 100, 0.3, 0.5, 10, TaskConfig.MAX_EVAL_PROMPTS + 1));
    var practice = assertThrows(IllegalArgumentException.class, () -> new TaskConfig(1, 100, 0.3, 0.5, 10, 10, 5, 1.0));
    assertTrue(practice.getMessage().contains("demonstratedShare"), practice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new TaskConfig(1, 100, 0.3, 0.5, 10, 10, 5, 0));
    assertThrows(IllegalArgumentException.class, () -> new TaskConfig(1, 0, 0.3, 0.5, 10, 10));
  }

  @Test
  void theLargestEvaluationSetFitsAndDemonstrationsMayOutnumberPrompts() {
    // Every item demonstrated: the animal sounds run out at 200 held-out prompts.
    BuiltinTask big = BuiltinTask.generate(new TaskConfig(3, 2000, 0.3, 0.6, 5000, 200));
    assertEquals(200, big.evalPrompts().size());
    BuiltinTask split = BuiltinTask.generate(new TaskConfig(3, 2000, 0.3, 0.6, 50, TaskConfig.MAX_EVAL_PROMPTS, 300, 0.25));
    assertEquals(TaskConfig.MAX_EVAL_PROMPTS, split.evalPrompts().size());
    assertEquals(5000, big.demonstrations().size());
    big.demonstrations().forEach(d -> assertTrue(GoldenJudge.judge(d.prompt(), d.response()).success()));
    assertEquals(600, big.desiredInCorpus());
  }

  @Test
  void demonstrationsShowAQuarterOfTheItemsAndPracticeAndEvaluationAskAboutTheRest() {
    Set<Request> shown = task.demonstrations().stream().map(d -> GoldenJudge.parse(d.prompt()).orElseThrow())
        .collect(Collectors.toSet());
    assertEquals(400, task.practicePrompts().size());
    assertEquals(400, task.practicePrompts().stream().map(TaskPrompt::text).distinct().count());
    Set<String> train = task.trainPrompts().stream().map(TaskPrompt::text).collect(Collectors.toSet());
    Set<String> eval = task.evalPrompts().stream().map(TaskPrompt::text).collect(Collectors.toSet());
    for (TaskPrompt p : task.practicePrompts()) {
      assertFalse(shown.contains(p.request()), p.text());
      assertTrue(train.contains(p.text()), p.text());
      assertFalse(eval.contains(p.text()), p.text());
    }
    task.evalPrompts().forEach(p -> assertFalse(shown.contains(p.request()), p.text()));
    for (Kind kind : Kind.values()) {
      long items = task.trainPrompts().stream().filter(p -> p.kind() == kind).map(TaskPrompt::request).distinct().count();
      long demonstrated = shown.stream().filter(r -> r.kind() == kind).count();
      assertTrue(demonstrated >= 1 && demonstrated <= Math.round(items * 0.25), kind + ": " + demonstrated + " of " + items);
    }
    assertEquals(EnumSet.allOf(Kind.class),
        task.practicePrompts().stream().map(TaskPrompt::kind).collect(Collectors.toCollection(() -> EnumSet.noneOf(Kind.class))));
  }

  @Test
  void apportionSumsExactly() {
    for (int n : new int[] {0, 1, 7, 150, 199, 200, 1001}) {
      assertEquals(n, BuiltinTask.apportion(n).values().stream().mapToInt(Integer::intValue).sum());
    }
  }
}
