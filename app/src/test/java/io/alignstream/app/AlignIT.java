package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.Policy;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.LabelledPair;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code alignstream align} end to end on a real broker, through the command line as a user runs it:
 * a tiny base and a small demonstrations file with a few bad lines in, an aligned model directory that
 * loads and generates out, with the evaluation prompts answered by both models.
 */
@ExtendWith(KafkaFixture.class)
class AlignIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void aBaseAndAFileOfDemonstrationsBecomeAnAlignedModelDirectory() throws Exception {
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    List<LabelledPair> demos = ReplayIT.fitting(base, task.demonstrations(), 24);
    Path demosFile = dir.resolve("demos.jsonl");
    List<String> lines = new ArrayList<>();
    for (LabelledPair e : demos) {
      lines.add(JSON.createObjectNode().put("prompt", e.prompt()).put("response", e.response()).toString());
    }
    lines.add(3, "{\"prompt\": \"a prompt with no response\"}");
    lines.add(7, "this line is not JSON");
    lines.add(lines.get(0)); // a repeat
    Files.write(demosFile, lines, StandardCharsets.UTF_8);
    Path prompts = dir.resolve("eval.jsonl");
    List<String> evalLines = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      evalLines.add(JSON.createObjectNode().put("prompt", task.evalPrompts().get(i).text()).put("id", i).toString());
    }
    Files.write(prompts, evalLines, StandardCharsets.UTF_8);
    Path out = dir.resolve("aligned");

    KafkaConnection kafka = KafkaFixture.connection();
    List<String> args = new ArrayList<>(List.of("align", "--base", base.toString(), "--demos", demosFile.toString(),
        "--out", out.toString(), "--eval-prompts", prompts.toString(), "--updates", "3", "--samplers", "1",
        "--max-new-tokens", "16", "--dashboard-port", "-1", "--bootstrap", kafka.bootstrapServers(),
        "--run", KafkaFixture.uniqueRunId("align"), "--work-dir", dir.resolve("work").toString(),
        "--set", "samples.per_prompt=2", "--set", "sft.steps=20", "--set", "sft.batch=8", "--set", "sft.lr=2e-3",
        "--set", "loop.prompts_per_update=4", "--set", "loop.rounds=2", "--set", "reward.warmup_updates=1",
        "--set", "policy.max_lag=3"));
    if (!kafka.clientProperties().isEmpty()) {
      Properties p = new Properties();
      p.putAll(kafka.clientProperties());
      Path config = dir.resolve("client.properties");
      try (var w = Files.newBufferedWriter(config)) {
        p.store(w, null);
      }
      args.addAll(List.of("--kafka-config", config.toString()));
    }

    // Asking for more updates than the prompts can feed is refused before anything starts:
    // 24 prompts × 2 rounds make 48 batches, 12 updates of 4.
    List<String> tooMany = new ArrayList<>(args);
    tooMany.set(tooMany.indexOf("--updates") + 1, "13");
    Run refused = run(tooMany.toArray(String[]::new));
    assertEquals(1, refused.code(), refused.err());
    assertTrue(refused.err().contains("make only 48: lower --updates, or set loop.rounds=0"), refused.err());
    assertEquals("", refused.out());
    Path serviceLog = dir.resolve("work/services.log");
    assertFalse(Files.exists(serviceLog), "refused input leaves no service log behind");

    // When a user runs align...
    Run run = run(args.toArray(String[]::new));

    // ...it succeeds, saying which lines it skipped and why,
    assertEquals(0, run.code(), run.err() + run.out());
    assertTrue(run.out().contains("24 demonstrations in " + demosFile + ", 1 repeated lines dropped; 2 of 27 lines are "
        + "not valid demonstrations and are skipped (first: line 4: field 'response' is missing)"), run.out());
    // and that nothing it streamed was set aside on the way (the bad lines never reached Kafka),
    assertTrue(run.out().contains("dead letters: none"), run.out());
    // and the services' log lines went to the work directory's log, named in the banner, not to the terminal,
    assertTrue(run.out().contains("service logs: " + serviceLog), run.out());
    String services = Files.readString(serviceLog);
    assertTrue(services.contains("policy v1 loaded") && services.contains("align-rewarder"), services);
    // and writes a model directory in the base's layout, which loads and generates,
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "align.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(base.resolve("model.safetensors")),
        Files.readAllBytes(out.resolve("model.safetensors"))), "the aligned weights differ from the base's");
    try (Tokenizer tok = Tokenizer.load(out); Policy aligned = Policy.load(out)) {
      List<Sample> s = aligned.generate(List.of(tok.encode(demos.get(0).prompt())), SamplingConfig.greedy(12), 1);
      assertTrue(s.get(0).responseIds().length > 0, "the aligned model generates");
    }
    JsonNode summary = JSON.readTree(out.resolve("align.json").toFile());
    assertEquals(4, summary.get("version").asInt(), "SFT (v1) and 3 updates");
    assertEquals(24, summary.get("demonstrations_fitting").asInt());
    assertEquals(2, summary.get("demonstrations_rejected").asInt());
    assertTrue(Files.isDirectory(out.resolve("reward/member-00")), "the reward ensemble beside it");
    // and both models answered every evaluation prompt, with the input fields carried through.
    for (String model : List.of("aligned", "base")) {
      List<String> answers = Files.readAllLines(out.resolve("eval-" + model + ".jsonl"));
      assertEquals(5, answers.size(), model);
      for (int i = 0; i < 5; i++) {
        JsonNode a = JSON.readTree(answers.get(i));
        assertEquals(i, a.get("id").asInt());
        assertEquals(task.evalPrompts().get(i).text(), a.get("prompt").asText());
        assertTrue(a.has("response") && a.get("response_ids").size() > 0, answers.get(i));
      }
    }
  }

  @Test
  void withLoraTheAdapterIsTrainedSyncedAndWrittenBesideItsFrozenBase() throws Exception {
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    Path demosFile = dir.resolve("demos.jsonl");
    List<String> lines = new ArrayList<>();
    for (LabelledPair e : ReplayIT.fitting(base, task.demonstrations(), 16)) {
      lines.add(JSON.createObjectNode().put("prompt", e.prompt()).put("response", e.response()).toString());
    }
    Files.write(demosFile, lines, StandardCharsets.UTF_8);
    Path out = dir.resolve("aligned-lora");
    KafkaConnection kafka = KafkaFixture.connection();
    List<String> args = new ArrayList<>(List.of("align", "--base", base.toString(), "--demos", demosFile.toString(),
        "--out", out.toString(), "--updates", "2", "--samplers", "1", "--merge",
        "--max-new-tokens", "16", "--dashboard-port", "-1", "--bootstrap", kafka.bootstrapServers(),
        "--run", KafkaFixture.uniqueRunId("align-lora"), "--work-dir", dir.resolve("work-lora").toString(),
        "--set", "samples.per_prompt=2", "--set", "sft.steps=10", "--set", "sft.batch=8", "--set", "sft.lr=1e-2",
        "--set", "loop.prompts_per_update=4", "--set", "loop.rounds=2", "--set", "reward.warmup_updates=1",
        "--set", "policy.max_lag=3", "--set", "lora.rank=4", "--set", "lora.alpha=8", "--set", "lora.targets=c_attn,c_fc"));
    if (!kafka.clientProperties().isEmpty()) {
      Properties p = new Properties();
      p.putAll(kafka.clientProperties());
      Path config = dir.resolve("client-lora.properties");
      try (var w = Files.newBufferedWriter(config)) {
        p.store(w, null);
      }
      args.addAll(List.of("--kafka-config", config.toString()));
    }

    // When a user aligns with a LoRA recipe and --merge
    Run run = run(args.toArray(String[]::new));

    // Then it succeeds; OUT is the frozen base, bit for bit, with the trained adapter beside it in PEFT's layout
    assertEquals(0, run.code(), run.err() + run.out());
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "adapter_config.json",
        "adapter_model.safetensors")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    assertTrue(java.util.Arrays.equals(Files.readAllBytes(base.resolve("model.safetensors")),
        Files.readAllBytes(out.resolve("model.safetensors"))), "the base stayed frozen");
    JsonNode adapterConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
    assertEquals(4, adapterConfig.get("r").asInt());
    // and the sampler followed every version as an adapter of that size, not as whole weights
    long adapterBytes = Files.size(out.resolve("adapter_model.safetensors"));
    String services = Files.readString(dir.resolve("work-lora/services.log"));
    for (int v = 1; v <= 3; v++) {
      assertTrue(services.contains("policy v" + v + " loaded (" + adapterBytes + " bytes"), "v" + v + ": " + services);
    }
    assertTrue(adapterBytes < Files.size(base.resolve("model.safetensors")) / 4, adapterBytes + " bytes");
    // and OUT loads as the adapted policy, OUT/merged as a plain one, and both generate the same
    try (Tokenizer tok = Tokenizer.load(out); Policy adapted = Policy.load(out);
        Policy merged = Policy.load(out.resolve("merged"))) {
      assertEquals(4, adapted.lora().rank());
      assertFalse(merged.lora().enabled());
      long[] prompt = tok.encode(task.evalPrompts().get(0).text());
      List<Sample> a = adapted.generate(List.of(prompt), SamplingConfig.greedy(12), 1);
      List<Sample> b = merged.generate(List.of(prompt), SamplingConfig.greedy(12), 1);
      assertTrue(java.util.Arrays.equals(a.get(0).responseIds(), b.get(0).responseIds()));
      assertFalse(java.util.Arrays.equals(Files.readAllBytes(base.resolve("model.safetensors")),
          Files.readAllBytes(out.resolve("merged/model.safetensors"))), "the merged weights are the aligned ones");
    }
  }

  record Run(int code, String out, String err) {}

  /** Runs the command line with its standard output and error captured. */
  static Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // The command prints its stages on System.out; keep a copy and still show them.
    System.setOut(new PrintStream(new TeeStream(out, stdout), true, StandardCharsets.UTF_8));
    try {
      int code = cli.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }
}
