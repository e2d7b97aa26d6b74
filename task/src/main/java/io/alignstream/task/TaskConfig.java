package io.alignstream.task;

/**
 * Everything that shapes the built-in task; the same config always generates the same task.
 *
 * @param seed seed of every random choice
 * @param corpusSize prompt/response pairs in the pre-training corpus
 * @param desiredFraction share of corpus pairs showing the desired behaviour, in (0, 1); the rest are
 *     unhelpful, wrong, harmful, rude or off-topic
 * @param habitFraction share of the undesired pairs that repeat the item's habitual failure (one fixed
 *     bad response per item), in [0, 1]: it makes the corpus's most common answer a bad one, as in real
 *     pre-training data, so that imitating the corpus fails even with greedy decoding
 * @param demonstrations desired-only demonstrations, on training prompts of the demonstrated items
 * @param evalPrompts held-out evaluation prompts, at most {@link #MAX_EVAL_PROMPTS}; when only some items
 *     are demonstrated, they ask about the others
 * @param practicePrompts prompts without a response (the loop's practice), on training phrasings of the
 *     items no demonstration shows
 * @param demonstratedShare share of each kind's items that demonstrations may show, in (0, 1]; 1 is
 *     the older task where demonstrations and evaluation cover every item
 */
public record TaskConfig(long seed, int corpusSize, double desiredFraction, double habitFraction,
    int demonstrations, int evalPrompts, int practicePrompts, double demonstratedShare) {
  /**
   * Most evaluation prompts the task can hold out while every fact keeps training phrasings (with
   * every item demonstrated, the animal sounds run out at 200).
   */
  public static final int MAX_EVAL_PROMPTS = 400;

  public TaskConfig {
    if (corpusSize < 1 || corpusSize > 10_000_000) {
      throw new IllegalArgumentException("corpusSize must be in [1, 10000000], got " + corpusSize);
    }
    if (!(desiredFraction > 0 && desiredFraction < 1)) {
      throw new IllegalArgumentException("desiredFraction must be in (0, 1) so that the desired behaviour is "
          + "present but not all there is; got " + desiredFraction + " (0.25 is typical)");
    }
    if (!(habitFraction >= 0 && habitFraction <= 1)) {
      throw new IllegalArgumentException("habitFraction must be in [0, 1], got " + habitFraction);
    }
    if (demonstrations < 0 || demonstrations > 1_000_000) {
      throw new IllegalArgumentException("demonstrations must be in [0, 1000000], got " + demonstrations);
    }
    if (evalPrompts < 0 || evalPrompts > MAX_EVAL_PROMPTS) {
      throw new IllegalArgumentException("evalPrompts must be in [0, " + MAX_EVAL_PROMPTS + "], got " + evalPrompts
          + ": the held-out prompts are (item, phrasing) pairs never used in training, and there are only so many");
    }
    if (practicePrompts < 0 || practicePrompts > 100_000) {
      throw new IllegalArgumentException("practicePrompts must be in [0, 100000], got " + practicePrompts);
    }
    if (!(demonstratedShare > 0 && demonstratedShare <= 1)) {
      throw new IllegalArgumentException("demonstratedShare must be in (0, 1], got " + demonstratedShare
          + " (0.25: demonstrations show a quarter of each kind's items)");
    }
    if (demonstratedShare == 1 && practicePrompts > 0) {
      throw new IllegalArgumentException("practice prompts ask about items no demonstration shows: with "
          + "demonstratedShare 1 there are none; lower demonstratedShare or set practicePrompts to 0");
    }
  }

  /** The older shape of the task: every item demonstrated and evaluated, no practice prompts. */
  public TaskConfig(long seed, int corpusSize, double desiredFraction, double habitFraction, int demonstrations,
      int evalPrompts) {
    this(seed, corpusSize, desiredFraction, habitFraction, demonstrations, evalPrompts, 0, 1.0);
  }

  /**
   * The real scenario alignment from demonstrations is for: seed 42, 30,000 corpus pairs of which 35%
   * desired, 96 demonstrations over a quarter of each kind's items, 400 practice prompts on the other
   * items and 320 evaluation prompts on those undemonstrated items. The corpus is sized so that a tiny
   * model pre-trained on it knows the facts and skills (each arithmetic fact is seen with its right
   * answer about a dozen times) while its habits are bad: what is left to align is behaviour on items
   * the demonstrations never showed, which copying the demonstrations does not reach.
   */
  public static TaskConfig defaults() {
    return new TaskConfig(42, 30_000, 0.35, 0.6, 96, 320, 400, 0.25);
  }

  /** Whether some items are left to practice and evaluation only. */
  public boolean splitsItems() {
    return demonstratedShare < 1;
  }

  public TaskConfig withSeed(long newSeed) {
    return new TaskConfig(newSeed, corpusSize, desiredFraction, habitFraction, demonstrations, evalPrompts,
        practicePrompts, demonstratedShare);
  }

  public TaskConfig withCorpusSize(int size) {
    return new TaskConfig(seed, size, desiredFraction, habitFraction, demonstrations, evalPrompts, practicePrompts,
        demonstratedShare);
  }
}
