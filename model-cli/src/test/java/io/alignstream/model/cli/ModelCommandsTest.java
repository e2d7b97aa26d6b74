package io.alignstream.model.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** pretrain then generate, end to end through picocli, on a mixed plain-text / JSONL corpus. */
class ModelCommandsTest {

  @Test
  void pretrainWritesAModelDirectoryThatGenerateUses(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("the cat sat on the mat number ").append(i % 5).append(".\n");
      sb.append("{\"prompt\": \"where is the dog?\", \"response\": \"the dog is in the garden.\"}\n");
    }
    Files.writeString(corpus, sb.toString());
    Path model = dir.resolve("model");
    int code = new CommandLine(new PretrainCommand()).execute("--corpus", corpus.toString(), "--out", model.toString(),
        "--steps", "6", "--batch-size", "4", "--seed", "3");
    assertEquals(0, code);
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      assertTrue(Files.exists(model.resolve(f)), f);
    }

    Path prompts = dir.resolve("prompts.jsonl");
    Files.writeString(prompts, "{\"prompt\": \"where is the dog?\", \"id\": 7}\n{\"prompt\": \"the cat\", \"id\": 8}\n");
    Path out = dir.resolve("out.jsonl");
    code = new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--prompts", prompts.toString(),
        "--out", out.toString(), "--max-new-tokens", "5", "--seed", "1", "-n", "2");
    assertEquals(0, code);
    List<String> lines = Files.readAllLines(out);
    assertEquals(4, lines.size());
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertEquals(7, first.get("id").asInt(), "input fields are carried through");
    assertTrue(first.has("response") && first.has("stopped_at_eos") && first.has("sampling"));
    assertEquals(first.get("response_ids").size(), first.get("logprobs").size());
    assertTrue(first.get("response_ids").size() <= 5);

    // Same seed, same output.
    Path again = dir.resolve("again.jsonl");
    new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--prompts", prompts.toString(),
        "--out", again.toString(), "--max-new-tokens", "5", "--seed", "1", "-n", "2");
    assertEquals(lines, Files.readAllLines(again));
  }

  @Test
  void pretrainArchLlamaWritesALlamaForCausalLmThatGenerateUses(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("{\"prompt\": \"where is the dog?\", \"response\": \"the dog is in the garden.\"}\n");
    }
    Files.writeString(corpus, sb.toString());
    Path model = dir.resolve("model");
    assertEquals(0, new CommandLine(new PretrainCommand()).execute("--corpus", corpus.toString(), "--out",
        model.toString(), "--arch", "llama", "--steps", "30", "--batch-size", "4", "--lr", "1e-2", "--seed", "3"));
    JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
    assertEquals("LlamaForCausalLM", config.path("architectures").get(0).asText());
    assertEquals("llama", config.path("model_type").asText());
    assertEquals(2, config.path("num_key_value_heads").asInt());

    Path prompts = dir.resolve("prompts.jsonl");
    Files.writeString(prompts, "{\"prompt\": \"where is the dog?\"}\n");
    Path out = dir.resolve("out.jsonl");
    assertEquals(0, new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--prompts",
        prompts.toString(), "--out", out.toString(), "--max-new-tokens", "8", "--seed", "1"));
    JsonNode answer = new ObjectMapper().readTree(Files.readAllLines(out).get(0));
    assertEquals("the dog is in the garden .", answer.get("response").asText(), "30 steps on one pair learn it");
  }

  @Test
  void anUnknownArchIsOneLineBeforeAnyWork(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("c.txt"), "the cat\n");
    assertEquals(1, new CommandLine(new PretrainCommand()).execute("--corpus", dir.resolve("c.txt").toString(), "--out",
        dir.resolve("m").toString(), "--arch", "mamba"));
    assertTrue(!Files.exists(dir.resolve("m")), "nothing written");
  }

  @Test
  void helpExplainsOptionsAndErrorsAreOneLine(@TempDir Path dir) {
    StringWriter help = new StringWriter();
    CommandLine cli = new CommandLine(new PretrainCommand());
    cli.setOut(new PrintWriter(help));
    assertEquals(0, cli.execute("--help"));
    assertTrue(help.toString().contains("--vocab-size") && help.toString().contains("Default: 4096"), help.toString());

    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new GenerateCommand()).execute("--model", dir.toString(), "--prompts",
          dir.resolve("missing.jsonl").toString(), "--out", dir.resolve("o.jsonl").toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(1, code);
    String message = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals(1, message.lines().count(), message);
    assertTrue(message.startsWith("alignstream generate: prompts file not found"), message);
  }
}
