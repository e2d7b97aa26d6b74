package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SamplerCommandTest {
  private static SamplerConfig parse(String... args) {
    var command = new SamplerCommand();
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void everyConfigFieldHasAnOption() {
    SamplerConfig c = parse("--run", "r9", "--sampler-id", "s-1", "--policy-name", "sft", "-k", "3",
        "--prompts-per-batch", "5", "--temperature", "0.7", "--top-p", "0.9", "--top-k", "20",
        "--max-new-tokens", "16", "--seed", "11", "--max-prompts-per-version", "7", "--weights-timeout", "90s");
    assertEquals("r9", c.runId());
    assertEquals("s-1", c.samplerId());
    assertEquals("sft", c.policyName());
    assertEquals(3, c.samplesPerPrompt());
    assertEquals(5, c.promptsPerBatch());
    assertEquals(0.7, c.sampling().temperature());
    assertEquals(0.9, c.sampling().topP());
    assertEquals(20, c.sampling().topK());
    assertEquals(16, c.sampling().maxNewTokens());
    assertEquals(11, c.seed());
    assertEquals(7, c.maxPromptsPerVersion());
    assertEquals(Duration.ofSeconds(90), c.weightsTimeout());
  }

  @Test
  void pacingDefaultsDependOnTheLine() {
    assertEquals(64, parse().maxPromptsPerVersion());
    assertEquals(0, parse("--policy-name", "base").maxPromptsPerVersion());
  }

  @Test
  void helpExplainsTheService() {
    var out = new StringWriter();
    int code = new CommandLine(new SamplerCommand()).setOut(new PrintWriter(out)).execute("--help");
    assertEquals(0, code);
    assertTrue(out.toString().replaceAll("\\s+", " ").contains("exactly once"), out.toString());
    assertTrue(out.toString().contains("--max-prompts-per-version"));
    assertTrue(out.toString().contains("--bootstrap"));
    assertTrue(out.toString().contains("--weights-timeout"), out.toString());
    assertTrue(out.toString().contains("Ctrl-C"), "ServiceCommand's footer: " + out);
  }
}
