package io.alignstream.learner;

import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.model.gpt2.Gpt2Config;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The learner tests' toy world: a word-level tokenizer over a few words and a tiny random GPT-2 on it. */
final class TinyModels {
  private TinyModels() {}

  /** A tokenizer of {@code words} (space-separated), written into {@code dir}. */
  static Tokenizer tokenizer(Path dir, String words) throws IOException {
    var b = new WordLevelTokenizerBuilder(64);
    b.addAll(List.of(words));
    return Tokenizer.load(b.write(dir.resolve("tokenizer.json")));
  }

  /** A GPT-2 of width 32, one layer of two heads, context 32, random weights from seed 3. */
  static Policy policy(Tokenizer t) {
    return Policy.create(new Gpt2Config(t.vocabSize(), 32, 32, 1, 2, 1e-5, t.eosId(), t.eosId()), 3);
  }
}
