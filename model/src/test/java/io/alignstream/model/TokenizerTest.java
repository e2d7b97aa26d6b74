package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WordLevel builder writes a real tokenizer.json that the native HF library loads offline. */
class TokenizerTest {

  @Test
  void wordLevelTokenizerRoundTripsThroughTheNativeLibrary(@TempDir Path dir) throws Exception {
    Path file = new WordLevelTokenizerBuilder(12)
        .addAll(List.of("the cat sat on the mat.", "the dog sat, the cat ran!", "a cat"))
        .write(dir.resolve("tokenizer.json"));
    JsonNode json = new ObjectMapper().readTree(file.toFile());
    assertEquals("WordLevel", json.path("model").path("type").asText());
    assertEquals("Whitespace", json.path("pre_tokenizer").path("type").asText());
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertEquals(1, tok.eosId());
      assertEquals(12, tok.vocabSize());
      long the = tok.encode("the")[0];
      long cat = tok.encode("cat")[0];
      assertEquals(2, the, "most frequent word first after the specials");
      assertArrayEquals(new long[] {the, cat, 0}, tok.encode("the cat zebra"), "unknown words map to <unk>");
      long[] ids = tok.encode("the cat sat on the mat.");
      assertEquals(7, ids.length);
      assertEquals("the cat sat on the mat .", tok.decode(ids), "tokens come back space-separated, as the task writes them");
      long[] response = tok.responseIds("the cat");
      assertEquals(1, response[response.length - 1]);
      assertEquals("the cat", tok.decode(response), "EOS is dropped from text");
      // As a manifest carries them: the texts, loaded on another host with no shared files.
      try (Tokenizer again = Tokenizer.fromJson(tok.toJson())) {
        assertArrayEquals(tok.encode("the cat sat on the mat."), again.encode("the cat sat on the mat."));
        assertEquals(tok.eosId(), again.eosId());
      }
      Gpt2Config config = Gpt2Config.tiny(tok.vocabSize(), tok.eosId());
      assertEquals(config, ModelConfig.fromJson(config.toJson()));
      tok.save(dir.resolve("copy"));
      assertEquals(Files.readString(file), Files.readString(dir.resolve("copy/tokenizer.json")));
    }
  }

  @Test
  void savesAfterTheFileItWasLoadedFromIsGone(@TempDir Path dir) throws Exception {
    // A resumed learner loads its tokenizer from a checkpoint, prunes that checkpoint, then saves newer ones.
    Path checkpoint = dir.resolve("v000005");
    Path file = new WordLevelTokenizerBuilder(12).addAll(List.of("the cat sat on the mat."))
        .write(Files.createDirectories(checkpoint).resolve(Tokenizer.FILE_NAME));
    String text = Files.readString(file);
    try (Tokenizer tok = Tokenizer.load(checkpoint)) {
      Files.delete(file);
      Files.delete(checkpoint);
      tok.save(dir.resolve("v000008"));
      assertEquals(text, Files.readString(dir.resolve("v000008").resolve(Tokenizer.FILE_NAME)));
      assertEquals(text, tok.toJson());
      tok.save(dir.resolve("v000008")); // onto the file it wrote: unchanged
      assertEquals(text, Files.readString(dir.resolve("v000008").resolve(Tokenizer.FILE_NAME)));
    }
  }

  @Test
  void aTokenizerFromTextLeavesNoFileBehind(@TempDir Path dir) throws Exception {
    // Services load the published tokenizer from text; a process killed with -9 never runs close(),
    // so anything written for the native library would stay in the temporary directory for good.
    String text = Files.readString(new WordLevelTokenizerBuilder(12).addAll(List.of("the cat sat on the mat."))
        .write(dir.resolve(Tokenizer.FILE_NAME)));
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    List<Path> before = tokenizerLeftovers(tmp);
    Tokenizer unclosed = Tokenizer.fromJson(text); // as if killed before close()
    assertEquals(7, unclosed.encode("the cat sat on the mat.").length);
    assertEquals(before, tokenizerLeftovers(tmp));
    unclosed.close();
  }

  private static List<Path> tokenizerLeftovers(Path tmp) throws java.io.IOException {
    try (var files = Files.list(tmp)) {
      return files.filter(f -> f.getFileName().toString().startsWith("alignstream-tokenizer-")).sorted().toList();
    }
  }

  @Test
  void realGpt2TokenizerLoadsWithoutSpecialTokensOrTruncation() throws Exception {
    Path shared = TestData.shared();
    assumeTrue(shared != null, "shared/ not found above " + System.getProperty("user.dir"));
    try (Tokenizer tok = Tokenizer.load(shared.resolve("data/tokenizers/gpt2/tokenizer.json"))) {
      assertEquals(50256, tok.eosId());
      assertEquals(50257, tok.vocabSize());
      assertArrayEquals(new long[] {15496, 995}, tok.encode("Hello world"));
      String longText = String.join(" ", java.util.Collections.nCopies(700, "word"));
      assertEquals(700, tok.encode(longText).length, "no truncation at 512");
      assertEquals("Hello world", tok.decode(tok.responseIds("Hello world")));
    }
  }
}
