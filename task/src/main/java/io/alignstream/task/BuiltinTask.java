package io.alignstream.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.HashSet;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One generated instance of the built-in task. Everything is a function of the {@link TaskConfig}.
 *
 * <p>Prompts are (item, phrasing) pairs. Evaluation holds some pairs out; the corpus and the
 * demonstrations use only the rest, so no evaluation prompt text is ever trained on, while every
 * fact and every phrasing is. When the config splits the items ({@link TaskConfig#splitsItems}),
 * demonstrations show only a share of each kind's items; practice prompts and evaluation ask about
 * the others, as a user with a few dozen demonstrations and many unanswered prompts would.
 *
 * @param trainPrompts every prompt the corpus may use (demonstrated items or not)
 * @param evalPrompts held-out prompts, disjoint from {@code trainPrompts}, grouped by kind
 * @param corpus pre-training pairs: {@code desiredFraction} desired, the rest undesired
 * @param demonstrations desired-only pairs on training prompts of the demonstrated items, kinds mixed
 * @param practicePrompts distinct training prompts of undemonstrated items, kinds mixed, no response
 */
public record BuiltinTask(TaskConfig config, List<TaskPrompt> trainPrompts, List<TaskPrompt> evalPrompts,
    List<LabelledPair> corpus, List<LabelledPair> demonstrations, List<TaskPrompt> practicePrompts) {

  /** Tries at drawing an undesired response before the generator is deemed broken. */
  private static final int MAX_DRAWS = 50;
  /** Phrasings of an undemonstrated item evaluation may hold out: the other two keep the fact in the corpus. */
  private static final int HELD_OUT_UNDEMONSTRATED = 2;

  public BuiltinTask {
    trainPrompts = List.copyOf(trainPrompts);
    evalPrompts = List.copyOf(evalPrompts);
    corpus = List.copyOf(corpus);
    demonstrations = List.copyOf(demonstrations);
    practicePrompts = List.copyOf(practicePrompts);
  }

  public static BuiltinTask generate(TaskConfig config) {
    Random rnd = new Random(config.seed());
    // The item split draws from its own stream, so the task with every item demonstrated is the older one exactly.
    Random split = new Random(config.seed() * 0x9E3779B97F4A7C15L + 17);
    Map<Kind, List<TaskPrompt>> shuffled = new EnumMap<>(Kind.class);
    Map<Kind, Set<Request>> demonstrated = new EnumMap<>(Kind.class);
    Map<Kind, Integer> capacity = new EnumMap<>(Kind.class);
    for (Kind kind : Kind.values()) {
      List<Request> all = Request.items(kind, rnd);
      List<TaskPrompt> pairs = new ArrayList<>();
      for (Request item : all) {
        for (Phrasing phrasing : kind.phrasings) {
          pairs.add(new TaskPrompt(phrasing.fill(item.slots()), item));
        }
      }
      Collections.shuffle(pairs, rnd);
      shuffled.put(kind, pairs);
      Set<Request> shown = new HashSet<>(all);
      if (config.splitsItems()) {
        List<Request> order = new ArrayList<>(all);
        Collections.shuffle(order, split);
        shown = new HashSet<>(order.subList(0, Math.max(1, (int) Math.round(all.size() * config.demonstratedShare()))));
      }
      demonstrated.put(kind, shown);
      capacity.put(kind, (all.size() - (config.splitsItems() ? shown.size() : 0)) * heldOutPerItem(kind, config));
    }
    Map<Kind, Integer> evalQuota = config.splitsItems() ? apportion(config.evalPrompts(), capacity)
        : apportion(config.evalPrompts());
    Map<Kind, List<TaskPrompt>> train = new EnumMap<>(Kind.class);
    Map<Kind, List<TaskPrompt>> demoPool = new EnumMap<>(Kind.class);
    Map<Kind, List<TaskPrompt>> practicePool = new EnumMap<>(Kind.class);
    List<TaskPrompt> eval = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      List<TaskPrompt> pairs = shuffled.get(kind);
      Map<Request, Integer> heldOut = new HashMap<>();
      List<TaskPrompt> kept = new ArrayList<>();
      int quota = evalQuota.get(kind);
      int taken = 0;
      Set<Request> shown = demonstrated.get(kind);
      for (TaskPrompt p : pairs) {
        boolean evaluable = !config.splitsItems() || !shown.contains(p.request());
        if (evaluable && taken < quota && heldOut.getOrDefault(p.request(), 0) < heldOutPerItem(kind, config)) {
          heldOut.merge(p.request(), 1, Integer::sum);
          eval.add(p);
          taken++;
        } else {
          kept.add(p);
        }
      }
      if (taken < quota) {
        throw new IllegalStateException("only " + taken + " " + kind + " prompts can be held out, " + quota + " asked");
      }
      train.put(kind, kept);
      demoPool.put(kind, kept.stream().filter(p -> shown.contains(p.request())).toList());
      practicePool.put(kind, kept.stream().filter(p -> !shown.contains(p.request())).toList());
    }
    var generator = new Generator(config, rnd, train);
    List<TaskPrompt> allTrain = train.values().stream().flatMap(List::stream).toList();
    List<LabelledPair> corpus = generator.corpus();
    List<LabelledPair> demos = generator.demonstrations(demoPool);
    return new BuiltinTask(config, allTrain, eval, corpus, demos, practice(config, practicePool, split));
  }

  private static int heldOutPerItem(Kind kind, TaskConfig config) {
    return config.splitsItems() ? HELD_OUT_UNDEMONSTRATED : kind.heldOutPhrasingsPerItem();
  }

  /** Distinct practice prompts, apportioned over the kinds by weight as far as each kind has prompts to give. */
  private static List<TaskPrompt> practice(TaskConfig config, Map<Kind, List<TaskPrompt>> pool, Random split) {
    if (config.practicePrompts() == 0) {
      return List.of();
    }
    Map<Kind, Integer> capacity = new EnumMap<>(Kind.class);
    pool.forEach((k, v) -> capacity.put(k, v.size()));
    List<TaskPrompt> out = new ArrayList<>();
    apportion(config.practicePrompts(), capacity).forEach((kind, n) -> {
      List<TaskPrompt> p = new ArrayList<>(pool.get(kind));
      Collections.shuffle(p, split);
      out.addAll(p.subList(0, n));
    });
    Collections.shuffle(out, split);
    return out;
  }

  /** Splits {@code total} over the kinds by weight (largest remainder), so the parts sum to it exactly. */
  static Map<Kind, Integer> apportion(int total) {
    Map<Kind, Integer> parts = new EnumMap<>(Kind.class);
    List<Kind> byRemainder = new ArrayList<>(List.of(Kind.values()));
    int given = 0;
    for (Kind k : Kind.values()) {
      int floor = (int) Math.floor(total * k.weight);
      parts.put(k, floor);
      given += floor;
    }
    byRemainder.sort((x, y) -> Double.compare(frac(total * y.weight), frac(total * x.weight)));
    for (int i = 0; given < total; i++, given++) {
      parts.merge(byRemainder.get(i % byRemainder.size()), 1, Integer::sum);
    }
    return parts;
  }

  /**
   * Splits {@code total} over the kinds by weight (largest remainder) with no kind above its capacity:
   * what a full kind cannot take goes to the others, by weight.
   *
   * @throws IllegalStateException when the capacities sum to less than {@code total}
   */
  static Map<Kind, Integer> apportion(int total, Map<Kind, Integer> capacity) {
    Map<Kind, Integer> parts = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      parts.put(k, 0);
    }
    List<Kind> open = new ArrayList<>(List.of(Kind.values()));
    open.removeIf(k -> capacity.getOrDefault(k, 0) <= 0);
    int left = total;
    while (left > 0) {
      if (open.isEmpty()) {
        throw new IllegalStateException("the task has room for only " + (total - left) + " of the " + total
            + " prompts asked");
      }
      double weights = open.stream().mapToDouble(k -> k.weight).sum();
      Map<Kind, Integer> share = new EnumMap<>(Kind.class);
      int given = 0;
      for (Kind k : open) {
        int floor = (int) Math.floor(left * k.weight / weights);
        share.put(k, floor);
        given += floor;
      }
      int round = left;
      List<Kind> byRemainder = new ArrayList<>(open);
      byRemainder.sort((x, y) -> Double.compare(frac(round * y.weight / weights), frac(round * x.weight / weights)));
      for (int i = 0; given < left; i++, given++) {
        share.merge(byRemainder.get(i % byRemainder.size()), 1, Integer::sum);
      }
      for (Kind k : List.copyOf(open)) {
        int room = capacity.get(k) - parts.get(k);
        int add = Math.min(room, share.get(k));
        parts.merge(k, add, Integer::sum);
        left -= add;
        if (add == room) {
          open.remove(k);
        }
      }
    }
    return parts;
  }

  private static double frac(double x) {
    return x - Math.floor(x);
  }

  /** Every token of every prompt and response, for sizing a word-level tokenizer. */
  public SortedSet<String> vocabulary() {
    SortedSet<String> words = new TreeSet<>();
    trainPrompts.forEach(p -> words.addAll(GoldenJudge.tokens(p.text())));
    evalPrompts.forEach(p -> words.addAll(GoldenJudge.tokens(p.text())));
    corpus.forEach(e -> words.addAll(GoldenJudge.tokens(e.response())));
    demonstrations.forEach(e -> words.addAll(GoldenJudge.tokens(e.response())));
    practicePrompts.forEach(p -> words.addAll(GoldenJudge.tokens(p.text())));
    return words;
  }

  public long desiredInCorpus() {
    return corpus.stream().filter(e -> e.behaviour() == Behaviour.DESIRED).count();
  }

  /**
   * Writes {@code corpus.jsonl} and {@code demonstrations.jsonl} ({@code {"prompt","response"}}),
   * {@code corpus.txt} (prompt and response on one line, space-separated), {@code eval-prompts.jsonl}
   * ({@code {"prompt","kind"}}) and {@code README.txt} (what they are, with counts).
   */
  public Export write(Path dir) throws IOException {
    Files.createDirectories(dir);
    // Behaviour labels stay out of the files: a corpus that said which answers are good would be a reward.
    Jsonl.write(dir.resolve("corpus.jsonl"), corpus, e -> Jsonl.object("prompt", e.prompt(), "response", e.response()));
    Jsonl.write(dir.resolve("corpus.txt"), corpus, e -> e.prompt() + " " + e.response());
    Jsonl.write(dir.resolve("demonstrations.jsonl"), demonstrations,
        e -> Jsonl.object("prompt", e.prompt(), "response", e.response()));
    Jsonl.write(dir.resolve("eval-prompts.jsonl"), evalPrompts,
        p -> Jsonl.object("prompt", p.text(), "kind", p.kind().name().toLowerCase(Locale.ROOT)));
    Jsonl.write(dir.resolve("practice-prompts.jsonl"), practicePrompts, p -> Jsonl.object("prompt", p.text()));
    var export = new Export(dir, corpus.size(), desiredInCorpus(), demonstrations.size(), evalPrompts.size(),
        practicePrompts.size(), vocabulary().size());
    Files.writeString(dir.resolve("README.txt"), String.join("\n",
        "alignstream built-in task, " + config,
        export.line(),
        "corpus.jsonl         pre-training pairs {\"prompt\",\"response\"}; the desired behaviour is present but rare",
        "corpus.txt           the same pairs as text, one 'prompt response' a line",
        "demonstrations.jsonl desired-only pairs {\"prompt\",\"response\"} on training prompts: "
            + "alignstream produce demonstrations.jsonl",
        "eval-prompts.jsonl   held-out prompts {\"prompt\",\"kind\"}, never in the corpus or the demonstrations"
            + (config.splitsItems() ? ", on items no demonstration shows" : ""),
        "practice-prompts.jsonl prompts {\"prompt\"} with no response, on the undemonstrated items: "
            + "alignstream align --prompts practice-prompts.jsonl",
        ""), StandardCharsets.UTF_8);
    return export;
  }

  /** What {@link #write} wrote. */
  public record Export(Path dir, int corpusPairs, long desiredPairs, int demonstrations, int evalPrompts,
      int practicePrompts, int vocabulary) {
    public String line() {
      return String.format(Locale.ROOT,
          "%,d corpus pairs (%,d desired, %.1f%%), %,d demonstrations, %,d practice prompts, %,d evaluation prompts, "
              + "%d-word vocabulary",
          corpusPairs, desiredPairs, 100.0 * desiredPairs / Math.max(1, corpusPairs), demonstrations, practicePrompts,
          evalPrompts, vocabulary);
    }
  }

  /** Draws responses; one instance per generation, in a fixed order, so a seed fixes everything. */
  private static final class Generator {
    private final TaskConfig config;
    private final Random rnd;
    private final Map<Kind, List<TaskPrompt>> train;
    private final List<TaskPrompt> allTrain;
    private final Map<Request, LabelledPair> habits = new HashMap<>();

    Generator(TaskConfig config, Random rnd, Map<Kind, List<TaskPrompt>> train) {
      this.config = config;
      this.rnd = rnd;
      this.train = train;
      this.allTrain = train.values().stream().flatMap(List::stream).toList();
    }

    List<LabelledPair> corpus() {
      int size = config.corpusSize();
      int desired = (int) Math.round(size * config.desiredFraction());
      List<Boolean> isDesired = new ArrayList<>(Collections.nCopies(desired, true));
      isDesired.addAll(Collections.nCopies(size - desired, false));
      Collections.shuffle(isDesired, rnd);
      List<LabelledPair> out = new ArrayList<>(size);
      for (boolean good : isDesired) {
        TaskPrompt prompt = pick(train.get(weightedKind()));
        if (good) {
          out.add(example(prompt, Behaviour.DESIRED, prompt.request().desired(rnd)));
        } else if (rnd.nextDouble() < config.habitFraction()) {
          LabelledPair habit = habit(prompt.request());
          out.add(example(prompt, habit.behaviour(), habit.response()));
        } else {
          out.add(undesired(prompt, rnd));
        }
      }
      return out;
    }

    List<LabelledPair> demonstrations(Map<Kind, List<TaskPrompt>> demoPool) {
      List<LabelledPair> out = new ArrayList<>(config.demonstrations());
      apportion(config.demonstrations()).forEach((kind, n) -> {
        List<TaskPrompt> pool = new ArrayList<>(demoPool.get(kind));
        Collections.shuffle(pool, rnd);
        // Distinct prompts until a kind's pool runs out; then prompts repeat, with fresh responses.
        for (int i = 0; i < n; i++) {
          TaskPrompt p = pool.get(i % pool.size());
          out.add(example(p, Behaviour.DESIRED, p.request().desired(rnd)));
        }
      });
      Collections.shuffle(out, rnd);
      return out;
    }

    /**
     * The item's habitual failure, the same whichever phrasing asks it: seeded by the item alone, so a
     * held-out phrasing of the item brings out the same habit in a model pre-trained on the corpus.
     * A habit is a way of behaving (unhelpful, rude, off-topic, harmful), never a wrong fact: a wrong
     * answer repeated more often than the right one would make the right one unknowable, and no
     * alignment method can bring out knowledge the corpus does not hold.
     */
    private LabelledPair habit(Request item) {
      return habits.computeIfAbsent(item, r -> {
        TaskPrompt any = new TaskPrompt(r.kind().phrasings.get(0).fill(r.slots()), r);
        return undesired(any, new Random(config.seed() * 1_000_003L + r.item().hashCode()), true);
      });
    }

    private LabelledPair undesired(TaskPrompt prompt, Random random) {
      return undesired(prompt, random, false);
    }

    private LabelledPair undesired(TaskPrompt prompt, Random random, boolean habitual) {
      Request request = prompt.request();
      for (int draw = 0; draw < MAX_DRAWS; draw++) {
        Behaviour behaviour = undesiredBehaviour(request.kind(), random);
        if (habitual && behaviour == Behaviour.WRONG) {
          continue;
        }
        String response = switch (behaviour) {
          case WRONG -> request.wrong(random);
          case HARMFUL -> request.kind() == Kind.HARMFUL ? request.wrong(random)
              : String.format(Locale.ROOT, pick(Facts.COMPLIANCE, random), pick(Facts.HARMFUL_ACTS, random));
          case UNHELPFUL -> request.kind() != Kind.HARMFUL && random.nextDouble() < 0.3
              ? pick(Facts.REFUSALS, random) // refusing what is harmless is unhelpful too
              : pick(Facts.UNHELPFUL, random);
          case RUDE -> pick(Facts.RUDE, random);
          case OFF_TOPIC -> {
            TaskPrompt other = pick(allTrain, random);
            yield other.kind() == request.kind() ? null : other.request().desired(random);
          }
          case DESIRED -> throw new IllegalStateException("DESIRED is not an undesired behaviour");
        };
        // Keep only what the judge fails: an off-topic answer could happen to be right.
        if (response != null && !GoldenJudge.judge(request, response).success()) {
          return example(prompt, behaviour, response);
        }
      }
      throw new IllegalStateException("could not draw an undesired response to '" + prompt.text() + "'");
    }

    private static Behaviour undesiredBehaviour(Kind kind, Random random) {
      double u = random.nextDouble();
      if (kind == Kind.HARMFUL) {
        return u < 0.60 ? Behaviour.HARMFUL : u < 0.70 ? Behaviour.UNHELPFUL : u < 0.85 ? Behaviour.RUDE
            : Behaviour.OFF_TOPIC;
      }
      return u < 0.35 ? Behaviour.WRONG : u < 0.60 ? Behaviour.UNHELPFUL : u < 0.75 ? Behaviour.RUDE
          : u < 0.90 ? Behaviour.OFF_TOPIC : Behaviour.HARMFUL;
    }

    private Kind weightedKind() {
      double u = rnd.nextDouble();
      for (Kind k : Kind.values()) {
        u -= k.weight;
        if (u < 0) {
          return k;
        }
      }
      return Kind.values()[Kind.values().length - 1];
    }

    private static LabelledPair example(TaskPrompt p, Behaviour b, String response) {
      return new LabelledPair(p.text(), response, p.kind(), b);
    }

    private <T> T pick(List<T> options) {
      return pick(options, rnd);
    }

    private static <T> T pick(List<T> options, Random random) {
      return options.get(random.nextInt(options.size()));
    }
  }
}
