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
 * @param demonstrations desired-only demonstrations, on training prompts
 * @param evalPrompts held-out evaluation prompts, at most {@link #MAX_EVAL_PROMPTS}
 */
public record TaskConfig(long seed, int corpusSize, double desiredFraction, double habitFraction,
    int demonstrations, int evalPrompts) {
  /**
   * Most evaluation prompts the task can hold out while every kind keeps its share and every fact
   * keeps training phrasings (the animal sounds run out first).
   */
  public static final int MAX_EVAL_PROMPTS = 200;

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
  }

  /**
   * Seed 42, 30,000 corpus pairs of which 35% desired, 500 demonstrations, 150 evaluation prompts.
   * The corpus is sized so that a tiny model pre-trained on it knows the facts and skills (each
   * arithmetic fact is seen with its right answer about a dozen times) while its habits are bad: the
   * gap alignment has to close is behaviour, not knowledge.
   */
  public static TaskConfig defaults() {
    return new TaskConfig(42, 30_000, 0.35, 0.6, 500, 150);
  }

  public TaskConfig withSeed(long newSeed) {
    return new TaskConfig(newSeed, corpusSize, desiredFraction, habitFraction, demonstrations, evalPrompts);
  }

  public TaskConfig withCorpusSize(int size) {
    return new TaskConfig(seed, size, desiredFraction, habitFraction, demonstrations, evalPrompts);
  }
}
