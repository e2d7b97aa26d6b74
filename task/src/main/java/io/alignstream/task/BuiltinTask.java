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
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One generated instance of the built-in task. Everything is a function of the {@link TaskConfig}.
 *
 * <p>Prompts are (item, phrasing) pairs. Evaluation holds some pairs out; the corpus and the
 * demonstrations use only the rest, so no evaluation prompt text is ever trained on, while every
 * fact and every phrasing is.
 *
 * @param trainPrompts every prompt the corpus and demonstrations may use
 * @param evalPrompts held-out prompts, disjoint from {@code trainPrompts}, grouped by kind
 * @param corpus pre-training pairs: {@code desiredFraction} desired, the rest undesired
 * @param demonstrations desired-only pairs on training prompts, kinds mixed
 */
public record BuiltinTask(TaskConfig config, List<TaskPrompt> trainPrompts, List<TaskPrompt> evalPrompts,
    List<LabelledPair> corpus, List<LabelledPair> demonstrations) {

  /** Tries at drawing an undesired response before the generator is deemed broken. */
  private static final int MAX_DRAWS = 50;

  public BuiltinTask {
    trainPrompts = List.copyOf(trainPrompts);
    evalPrompts = List.copyOf(evalPrompts);
    corpus = List.copyOf(corpus);
    demonstrations = List.copyOf(demonstrations);
  }

  public static BuiltinTask generate(TaskConfig config) {
    Random rnd = new Random(config.seed());
    Map<Kind, Integer> evalQuota = apportion(config.evalPrompts());
    Map<Kind, List<TaskPrompt>> train = new EnumMap<>(Kind.class);
    List<TaskPrompt> eval = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      List<TaskPrompt> pairs = new ArrayList<>();
      for (Request item : Request.items(kind, rnd)) {
        for (Phrasing phrasing : kind.phrasings) {
          pairs.add(new TaskPrompt(phrasing.fill(item.slots()), item));
        }
      }
      Collections.shuffle(pairs, rnd);
      Map<Request, Integer> heldOut = new HashMap<>();
      List<TaskPrompt> kept = new ArrayList<>();
      int quota = evalQuota.get(kind);
      int taken = 0;
      for (TaskPrompt p : pairs) {
        if (taken < quota && heldOut.getOrDefault(p.request(), 0) < kind.heldOutPhrasingsPerItem()) {
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
    }
    var generator = new Generator(config, rnd, train);
    List<TaskPrompt> allTrain = train.values().stream().flatMap(List::stream).toList();
    return new BuiltinTask(config, allTrain, eval, generator.corpus(), generator.demonstrations());
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
    var export = new Export(dir, corpus.size(), desiredInCorpus(), demonstrations.size(), evalPrompts.size(),
        vocabulary().size());
    Files.writeString(dir.resolve("README.txt"), String.join("\n",
        "alignstream built-in task, " + config,
        export.line(),
        "corpus.jsonl         pre-training pairs {\"prompt\",\"response\"}; the desired behaviour is present but rare",
        "corpus.txt           the same pairs as text, one 'prompt response' a line",
        "demonstrations.jsonl desired-only pairs {\"prompt\",\"response\"} on training prompts: "
            + "alignstream produce demonstrations.jsonl",
        "eval-prompts.jsonl   held-out prompts {\"prompt\",\"kind\"}, never in the corpus or the demonstrations",
        ""), StandardCharsets.UTF_8);
    return export;
  }

  /** What {@link #write} wrote. */
  public record Export(Path dir, int corpusPairs, long desiredPairs, int demonstrations, int evalPrompts,
      int vocabulary) {
    public String line() {
      return String.format(Locale.ROOT,
          "%,d corpus pairs (%,d desired, %.1f%%), %,d demonstrations, %,d evaluation prompts, %d-word vocabulary",
          corpusPairs, desiredPairs, 100.0 * desiredPairs / Math.max(1, corpusPairs), demonstrations, evalPrompts,
          vocabulary);
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

    List<LabelledPair> demonstrations() {
      List<LabelledPair> out = new ArrayList<>(config.demonstrations());
      apportion(config.demonstrations()).forEach((kind, n) -> {
        List<TaskPrompt> pool = new ArrayList<>(train.get(kind));
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
