package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.gpt2.Gpt2Config;
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

  @Test
  void llama31TokenizerRendersPromptsWithItsTemplateAndEndsOnEotId(@TempDir Path dir) throws Exception {
    Path shared = TestData.shared();
    assumeTrue(shared != null, "shared/ not found above " + System.getProperty("user.dir"));
    try (Tokenizer tok = Tokenizer.load(shared.resolve("data/tokenizers/llama3_1"))) {
      assertEquals(128009, tok.eosId(), "<|eot_id|>, the eos_token of tokenizer_config.json");
      assertEquals(128256, tok.vocabSize());
      long[] prompt = tok.encode("Hello");
      long[] raw = tok.encodeText("Hello");
      assertEquals(1, raw.length);
      // <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
      assertEquals(128000, prompt[0]);
      assertEquals(128006, prompt[1]);
      assertEquals(raw[0], prompt[5]);
      assertEquals(128009, prompt[6]);
      assertEquals(128007, prompt[prompt.length - 2]);
      assertArrayEquals(tok.encodeText("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
          + "<|start_header_id|>assistant<|end_header_id|>\n\n"), prompt);
      assertEquals("Hello world", tok.decode(tok.responseIds("Hello world")), "the end token is dropped from text");
      assertPublishedAndSavedAlike(tok, dir);
    }
  }

  @Test
  void qwen3TokenizerRendersPromptsWithItsTemplateAndEndsOnImEnd(@TempDir Path dir) throws Exception {
    Path shared = TestData.shared();
    assumeTrue(shared != null, "shared/ not found above " + System.getProperty("user.dir"));
    try (Tokenizer tok = Tokenizer.load(shared.resolve("data/tokenizers/qwen3/tokenizer.json"))) {
      assertEquals(151645, tok.eosId(), "<|im_end|>");
      assertArrayEquals(tok.encodeText("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"),
          tok.encode("What is 2+2?"));
      assertEquals(151644, tok.encode("x")[0], "<|im_start|> is one token");
      long[] r = tok.responseIds("4");
      assertEquals(151645, r[r.length - 1]);
      assertPublishedAndSavedAlike(tok, dir);
    }
  }

  @Test
  void aTokenizerWithoutAnEndTokenIsRefusedWithTheReason(@TempDir Path dir) throws Exception {
    Path file = new WordLevelTokenizerBuilder(12).addAll(List.of("the cat")).write(dir.resolve(Tokenizer.FILE_NAME));
    Files.writeString(dir.resolve(Tokenizer.CONFIG_FILE_NAME), "{\"eos_token\": \"</s>\"}");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Tokenizer.load(file));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("</s>"), e.getMessage());
  }

  /** The manifest form fits a manifest record and renders the same; the saved copy keeps the template. */
  private static void assertPublishedAndSavedAlike(Tokenizer tok, Path dir) throws Exception {
    String published = tok.toJson();
    org.junit.jupiter.api.Assertions.assertTrue(published.length() < 3 << 20,
        "a manifest record holds at most 4 MiB; the tokenizer took " + published.length());
    assertEquals(published, tok.toJson(), "the same text every time: readers compare it to spot a new tokenizer");
    try (Tokenizer again = Tokenizer.fromJson(published)) {
      assertArrayEquals(tok.encode("What is 2+2?"), again.encode("What is 2+2?"));
      assertEquals(tok.eosId(), again.eosId());
      again.save(dir);
    }
    try (Tokenizer saved = Tokenizer.load(dir)) {
      assertArrayEquals(tok.encode("What is 2+2?"), saved.encode("What is 2+2?"));
      assertEquals(tok.vocabSize(), saved.vocabSize());
    }
  }
}
