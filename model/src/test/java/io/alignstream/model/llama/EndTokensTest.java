package io.alignstream.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory's end tokens come from config.json, generation_config.json and the tokenizer's
 * eos_token together: a base Llama 3.1 config ends on {@code <|end_of_text|>} only, its chat turns on
 * {@code <|eot_id|>}.
 */
class EndTokensTest {

  @Test
  void generationConfigAndTokenizerAddTheirEndTokens(@TempDir Path dir) throws Exception {
    Path tokenizers = shared().resolve("data/tokenizers/llama3_1");
    Files.copy(tokenizers.resolve(Tokenizer.FILE_NAME), dir.resolve(Tokenizer.FILE_NAME));
    Files.copy(tokenizers.resolve(Tokenizer.CONFIG_FILE_NAME), dir.resolve(Tokenizer.CONFIG_FILE_NAME));
    LlamaConfig base = new LlamaConfig(LlamaConfig.Family.LLAMA, 128256, 64, 32, 64, 1, 2, 1, 16, 1e-5, 500000, null,
        true, false, 128000, List.of(128001));
    base.write(dir.resolve(ModelConfig.FILE_NAME));
    Files.writeString(dir.resolve(ModelConfig.GENERATION_FILE_NAME), "{\"eos_token_id\": [128001, 128008]}");

    ModelConfig read = ModelConfig.readDir(dir);

    assertEquals(List.of(128001, 128008, 128009), ((LlamaConfig) read).eosTokenIds());
    assertEquals(128001, read.eosTokenId(), "config.json's first id stays the EOS that pads batches");
    assertTrue(read.isEnd(128009) && read.isEnd(128008) && read.isEnd(128001));
    assertFalse(read.isEnd(128000));
    assertEquals(read, ModelConfig.fromJson(read.toJson()), "the merged ends travel in config.json");
  }

  @Test
  void aDirectoryWithOnlyConfigJsonKeepsItsEnds(@TempDir Path dir) throws Exception {
    LlamaConfig tiny = LlamaConfig.tiny(LlamaConfig.Family.QWEN3, 64, 3);
    tiny.write(dir.resolve(ModelConfig.FILE_NAME));
    assertEquals(tiny, ModelConfig.readDir(dir));
    assertSame(tiny, tiny.withEndTokens(List.of(3)));
  }

  private static Path shared() {
    Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (d != null && !Files.isDirectory(d.resolve("shared/data"))) {
      d = d.getParent();
    }
    assumeTrue(d != null, "shared/ not found above " + System.getProperty("user.dir"));
    return d.resolve("shared");
  }
}
