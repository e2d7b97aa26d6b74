package io.alignstream.model.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alignstream.model.Example;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
  @Test
  void promptResponseLinesTeachTheResponseGivenThePromptAndTextLinesAreLanguageModelling(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("corpus.jsonl");
    Files.writeString(file, "{\"prompt\": \"what is 2 plus 2 ?\", \"response\": \"4 .\"}\nthe cat sat .\n");
    Corpus c = Corpus.read(file);
    assertEquals(List.of("what is 2 plus 2 ? 4 .", "the cat sat ."), c.texts());
    try (Tokenizer tok = Tokenizer.load(new WordLevelTokenizerBuilder(64).addAll(c.texts())
        .write(dir.resolve("tokenizer.json")))) {
      List<Example> xs = Corpus.examples(c.documents(), tok, tok.eosId(), 32);
      assertEquals(2, xs.size());
      // As the pipeline prompts the model: the prompt's own tokens, then the response and EOS.
      assertArrayEquals(tok.encode("what is 2 plus 2 ?"), xs.get(0).prompt());
      assertArrayEquals(tok.responseIds("4 ."), xs.get(0).response());
      assertArrayEquals(new long[] {tok.eosId()}, xs.get(1).prompt());
      assertArrayEquals(tok.responseIds("the cat sat ."), xs.get(1).response());
      // A pair too long for the context falls back to language-modelling windows.
      List<Example> tight = Corpus.examples(c.documents(), tok, tok.eosId(), 6);
      assertArrayEquals(new long[] {tok.eosId()}, tight.get(0).prompt());
    }
  }
}
