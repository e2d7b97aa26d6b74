package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPT-2 safetensors file written by an independent PyTorch implementation
 * ({@code bench/reference/gpt2_reference.py}: "transformer." prefix, attention-mask buffers, tied
 * lm_head) loads by name and gives that implementation's logits to 1e-4.
 */
class ReferenceLogitsTest {

  @Test
  void committedReferenceModelGivesTheReferenceLogits() throws Exception {
    Path dir = Path.of(getClass().getResource("/reference/gpt2-tiny/config.json").toURI()).getParent();
    assertMatches(dir);
  }

  @Test
  void freshlyGeneratedReferenceModelGivesTheReferenceLogits(@TempDir Path out) throws Exception {
    Path python = Path.of("/usr/bin/python3");
    Path script = repositoryRoot().resolve("bench/reference/gpt2_reference.py");
    assumeTrue(Files.isExecutable(python) && Files.exists(script), "no /usr/bin/python3 or script");
    Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
    assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3-torch is not installed");
    Process p = new ProcessBuilder(python.toString(), script.toString(), "--out", out.toString(), "--seed", "77")
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);
    assertMatches(out);
  }

  private static void assertMatches(Path dir) throws Exception {
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected_logits.json").toFile());
    long[] tokens = new long[expected.get("tokens").size()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = expected.get("tokens").get(i).asLong();
    }
    try (Policy policy = Policy.load(dir)) {
      int vocab = policy.config().vocabSize();
      float[] logits = Probes.logits(policy, tokens); // (seq, vocab)
      double worst = 0;
      for (int t = 0; t < tokens.length; t++) {
        for (int v = 0; v < vocab; v++) {
          worst = Math.max(worst, Math.abs(logits[t * vocab + v] - expected.get("logits").get(t).get(v).asDouble()));
        }
      }
      assertTrue(worst < 1e-4, "max |java - pytorch| = " + worst);
      assertEquals(31, policy.config().eosTokenId());
    }
  }

  private static Path repositoryRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("bench/reference"))) {
      dir = dir.getParent();
    }
    return dir == null ? Path.of(".") : dir;
  }
}
