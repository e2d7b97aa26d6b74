package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.llama.LlamaConfig;
import io.alignstream.model.llama.LlamaConfig.Family;
import io.alignstream.testkit.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alignstream align --base DIR} on Hugging Face directories of the Llama family, on a real
 * broker: a random-init SmolLM2-shaped Llama (two layers of width 96 instead of thirty of 576, the
 * same 3:1 grouped-query attention, tied embeddings; the full depth is too slow for a test on two
 * cores) with the real Llama 3.1 tokenizer and chat template, and a Qwen3-shaped one (q/k norms,
 * head_dim 32 × 4 heads wider than the width of 64) with Qwen3's. Each makes three updates after SFT;
 * the aligned directory keeps the template, ends on the template's end token, and answers through
 * {@code generate}.
 */
@ExtendWith(KafkaFixture.class)
class AlignHuggingFaceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] DEMOS = {
      {"What is the capital of France?", "Paris."},
      {"What is two plus two?", "Four."},
      {"Name a primary colour.", "Red."},
      {"What do bees make?", "Honey."},
      {"Which planet is closest to the sun?", "Mercury."},
      {"What is frozen water called?", "Ice."},
      {"How many legs does a spider have?", "Eight."},
      {"What colour is the sky on a clear day?", "Blue."}};

  @TempDir
  Path dir;

  @Test
  void aSmolLm2ShapedLlamaWithTheLlama31TokenizerAligns() throws Exception {
    LlamaConfig shape = new LlamaConfig(Family.LLAMA, 128256, 256, 96, 256, 2, 3, 1, 32, 1e-5, 100000, null, true,
        false, 128000, List.of(128001));
    Path out = align(hfDirectory("llama3_1", shape, "[128001, 128008, 128009]"));

    try (Tokenizer tok = Tokenizer.load(out)) {
      assertEquals(128009, tok.eosId(), "responses end on <|eot_id|>");
      assertEquals(128000, tok.encode(DEMOS[0][0])[0], "prompts still open with the template's <|begin_of_text|>");
    }
    LlamaConfig aligned = (LlamaConfig) ModelConfig.read(out.resolve(ModelConfig.FILE_NAME));
    assertEquals(List.of(128001, 128008, 128009), aligned.eosTokenIds(), "generation_config's ends kept");
  }

  @Test
  void aQwen3ShapedModelWithItsTokenizerAligns() throws Exception {
    LlamaConfig shape = new LlamaConfig(Family.QWEN3, 151936, 256, 64, 192, 2, 4, 2, 32, 1e-6, 1000000, null, true,
        false, 151643, List.of(151645));
    Path out = align(hfDirectory("qwen3", shape, "[151645, 151643]"));

    try (Tokenizer tok = Tokenizer.load(out)) {
      assertEquals(151645, tok.eosId(), "<|im_end|>");
      assertEquals(151644, tok.encode(DEMOS[0][0])[0], "<|im_start|>");
    }
    assertTrue(ModelConfig.read(out.resolve(ModelConfig.FILE_NAME)).isEnd(151643));
  }

  /** A Hugging Face directory: random weights of {@code shape}, a real tokenizer with its config. */
  private Path hfDirectory(String tokenizer, LlamaConfig shape, String generationEnds) throws Exception {
    Path shared = shared();
    Path base = dir.resolve("base");
    try (Policy p = Policy.create(shape, 7)) {
      p.save(base);
    }
    for (String f : List.of(Tokenizer.FILE_NAME, Tokenizer.CONFIG_FILE_NAME)) {
      Files.copy(shared.resolve("data/tokenizers/" + tokenizer + "/" + f), base.resolve(f));
    }
    Files.writeString(base.resolve(ModelConfig.GENERATION_FILE_NAME), "{\"eos_token_id\": " + generationEnds + "}");
    return base;
  }

  /** Runs {@code align --base} for three updates and checks what every base must come out with. */
  private Path align(Path base) throws Exception {
    Path demos = dir.resolve("demos.jsonl");
    List<String> lines = new ArrayList<>();
    for (String[] d : DEMOS) {
      lines.add(JSON.createObjectNode().put("prompt", d[0]).put("response", d[1]).toString());
    }
    Files.write(demos, lines, StandardCharsets.UTF_8);
    Path prompts = dir.resolve("eval.jsonl");
    Files.writeString(prompts, "{\"prompt\": \"What is the capital of Italy?\", \"id\": 1}\n");
    Path out = dir.resolve("aligned");
    KafkaConnection kafka = KafkaFixture.connection();
    List<String> args = new ArrayList<>(List.of("align", "--base", base.toString(), "--demos", demos.toString(),
        "--out", out.toString(), "--updates", "3", "--samplers", "1", "--max-new-tokens", "6",
        "--dashboard-port", "-1", "--bootstrap", kafka.bootstrapServers(), "--run", KafkaFixture.uniqueRunId("align-hf"),
        "--work-dir", dir.resolve("work").toString(), "--set", "samples.per_prompt=2", "--set", "sft.steps=4",
        "--set", "sft.batch=4", "--set", "loop.prompts_per_update=4", "--set", "loop.rounds=2",
        "--set", "reward.members=1", "--set", "reward.warmup_updates=1", "--set", "policy.max_lag=3"));
    if (!kafka.clientProperties().isEmpty()) {
      Properties p = new Properties();
      p.putAll(kafka.clientProperties());
      Path config = dir.resolve("client.properties");
      try (var w = Files.newBufferedWriter(config)) {
        p.store(w, null);
      }
      args.addAll(List.of("--kafka-config", config.toString()));
    }

    AlignIT.Run run = AlignIT.run(args.toArray(String[]::new));

    assertEquals(0, run.code(), run.err() + run.out());
    assertTrue(run.out().contains("dead letters: none"), run.out());
    JsonNode summary = JSON.readTree(out.resolve("align.json").toFile());
    assertEquals(4, summary.get("version").asInt(), "SFT (v1) and 3 updates");
    assertEquals(DEMOS.length, summary.get("demonstrations_fitting").asInt());
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    // The aligned output loads in generate.
    Path answers = out.resolve("answers.jsonl");
    AlignIT.Run generate = AlignIT.run("generate", "--model", out.toString(), "--prompts", prompts.toString(), "--out",
        answers.toString(), "--max-new-tokens", "4");
    assertEquals(0, generate.code(), generate.err());
    JsonNode answer = JSON.readTree(Files.readAllLines(answers).get(0));
    assertEquals(1, answer.get("id").asInt());
    assertTrue(answer.get("response_ids").size() > 0, answer.toString());
    return out;
  }

  private static Path shared() {
    Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (d != null && !Files.isDirectory(d.resolve("shared/data/tokenizers"))) {
      d = d.getParent();
    }
    assumeTrue(d != null, "shared/data/tokenizers not found above " + System.getProperty("user.dir"));
    return d.resolve("shared");
  }
}
